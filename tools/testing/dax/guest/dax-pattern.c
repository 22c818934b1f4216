// SPDX-License-Identifier: GPL-2.0
/*
 * dax-pattern: mmap a device-dax character device, write a pattern that
 * names every 4K step of it, read the pattern back.
 *
 *   dax-pattern DEVICE SIZE [write|verify|both]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define STEP 4096UL

static uint64_t pattern_at(uint64_t offset)
{
	return 0x6461785f70617474ULL ^ (offset * 0x9e3779b97f4a7c15ULL);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 3 ? argv[3] : "both";
	unsigned long long size, off, bad = 0;
	volatile uint64_t *word;
	char *map;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: %s DEVICE SIZE [write|verify|both]\n",
			argv[0]);
		return 2;
	}
	size = strtoull(argv[2], NULL, 0);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "mmap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (strcmp(mode, "verify")) {
		for (off = 0; off < size; off += STEP) {
			word = (uint64_t *)(map + off);
			*word = pattern_at(off);
		}
		printf("wrote %llu pages of %s\n", size / STEP, argv[1]);
	}
	if (strcmp(mode, "write")) {
		for (off = 0; off < size; off += STEP) {
			word = (uint64_t *)(map + off);
			if (*word != pattern_at(off))
				bad++;
		}
		printf("verified %llu pages of %s: %llu mismatches\n",
		       size / STEP, argv[1], bad);
	}
	munmap(map, size);
	close(fd);
	return bad ? 1 : 0;
}
