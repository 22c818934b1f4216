# SPDX-License-Identifier: GPL-2.0
"""Boot the dax-vm guest in qemu and collect what it says.

The guest has three channels: ttyS0 is the kernel console (and the demo's
output), ttyS1 carries test results only (KTAP), and the isa-debug-exit
port carries the guest's verdict: qemu exits with (code << 1) | 1.  A qemu
that exits any other way (panic, triple fault, timeout) gave no verdict.
"""

import os
import re
import subprocess
import sys
import time

import dax_vm_host as host

VERDICT_PASS = 0x10
VERDICT_FAIL = 0x11
EXIT_PORT = 0xf4


def parse_size(text):
	"""'2G' -> bytes; plain numbers are bytes."""
	m = re.fullmatch(r'(\d+)([KMGT]?)', text.strip().upper())
	if not m:
		host.die(f'bad size: {text}')
	shift = {'': 0, 'K': 10, 'M': 20, 'G': 30, 'T': 40}[m.group(2)]
	return int(m.group(1)) << shift


class Layout:
	"""Guest memory: normal RAM plus soft-reserved ranges.

	With -m above 3.5G, qemu's pc machine puts 3G below 4G and the rest
	from 4G up.  Soft-reserved ranges are carved from the high part with
	memmap=SIZE%START-1+0xefffffff, with a 256M gap of normal RAM between
	ranges so that e820 does not merge them.  The last NUMA node holds the
	soft-reserved memory (like an HBM or CXL node).
	"""

	GAP = 256 << 20

	def __init__(self, sr_size='2G', sr_count=1, nodes=2, ram='1G'):
		self.sr_size = parse_size(sr_size)
		self.sr_count = sr_count
		self.nodes = nodes
		self.ram_high = parse_size(ram)
		self.ranges = []
		start = (4 << 30) + self.ram_high
		for _ in range(sr_count):
			self.ranges.append((start, self.sr_size))
			start += self.sr_size + self.GAP
		self.total = start - self.GAP - (4 << 30) + (3 << 30)

	def cmdline(self):
		return ' '.join(f'memmap={size >> 20}M%{start >> 20}M-1+0xefffffff'
				for start, size in self.ranges)

	def qemu_args(self):
		mb = self.total >> 20
		args = ['-m', f'{mb}M']
		if self.nodes < 2:
			return args
		# node 0: the low 3G + normal high RAM; the last node: the rest
		first = ((3 << 30) + self.ram_high) >> 20
		sizes = [first] + [0] * (self.nodes - 2) + [mb - first]
		for i, size in enumerate(sizes):
			if size:
				args += ['-object',
					 f'memory-backend-ram,id=m{i},size={size}M',
					 '-numa', f'node,nodeid={i},memdev=m{i}']
			else:
				args += ['-numa', f'node,nodeid={i}']
		return args


class PmemLayout:
	"""Guest memory for the ndctl suites: RAM, legacy pmem, an NVDIMM.

	memmap=SIZE!START turns RAM above 4G into legacy (e820) pmem for the
	tests that look for the "e820" bus; qemu's nvdimm device, backed by a
	sparse file and given label space, is the ACPI.NFIT bus that
	daxctl-devices.sh, align.sh, dm.sh and sub-section.sh carve.
	"""

	# nfit_test fakes its NVDIMMs' physical addresses in [4G, 8G): the
	# e820 pmem goes above that, after 5G of RAM from 4G up
	RAM = 8 << 30
	E820 = 4 << 30
	NVDIMM = 8 << 30
	LABELS = 128 << 10
	machine = 'pc,nvdimm=on'

	def __init__(self, image):
		self.image = image

	def cmdline(self):
		# with more than 3.5G, qemu puts 3G below 4G and the rest above
		start = 4 << 30
		start += self.RAM - (3 << 30)
		return f'memmap={self.E820 >> 20}M!{start >> 20}M'

	def qemu_args(self):
		ram = (self.RAM + self.E820) >> 20
		# a blank (sparse) NVDIMM for every boot: no labels, no data;
		# qemu takes the label area from the end of the backing file
		backing = self.NVDIMM + self.LABELS
		with open(self.image, 'wb') as f:
			f.truncate(backing)
		slot = -(-backing >> 30)
		return ['-m', f'{ram}M,slots=2,maxmem={ram + (slot << 10)}M',
			'-object', 'memory-backend-file,id=nvmem0,share=on,'
			f'mem-path={self.image},size={backing >> 10}K',
			'-device', f'nvdimm,id=nvdimm0,memdev=nvmem0,label-size={self.LABELS}']


# guest clocks: 'wall' follows the host (multi-threaded TCG); 'icount' counts
# executed instructions, one ns each, on one host thread, so the same work
# takes the same guest time on every run and every host
CLOCKS = ('wall', 'icount')


def accel_args(kvm, clock):
	if kvm:
		return ['-accel', 'kvm', '-cpu', 'host']
	if clock == 'icount':
		return ['-accel', 'tcg,thread=single', '-cpu', 'max',
			'-icount', 'shift=0,align=off,sleep=off']
	return ['-accel', 'tcg', '-cpu', 'max']


def qemu_command(kernel, initrd, append, layout, console, results, kvm,
		 interactive=False, logs=None, clock='wall'):
	machine = getattr(layout, 'machine', 'pc')
	cmd = ['qemu-system-x86_64', '-machine', machine, '-smp', '2',
	       '-nographic', '-no-reboot', '-kernel', kernel, '-initrd', initrd,
	       '-append', append,
	       '-device', f'isa-debug-exit,iobase={EXIT_PORT:#x},iosize=0x04']
	cmd += layout.qemu_args()
	cmd += accel_args(kvm, clock)
	if interactive:
		cmd += ['-serial', 'mon:stdio']
	else:
		cmd += ['-display', 'none', '-monitor', 'none',
			'-serial', f'file:{console}']
	cmd += ['-serial', f'file:{results}']
	if logs:
		cmd += ['-serial', f'file:{logs}']
	return cmd


class Boot:
	"""One guest boot; follows the console and result files as they grow."""

	def __init__(self, cmd, console, results, timeout):
		self.cmd = cmd
		self.console = console
		self.results = results
		self.timeout = timeout
		self.exit_code = None
		self.timed_out = False

	def verdict(self):
		"""'pass', 'fail' or None when the guest said nothing."""
		if self.exit_code == (VERDICT_PASS << 1) | 1:
			return 'pass'
		if self.exit_code == (VERDICT_FAIL << 1) | 1:
			return 'fail'
		return None

	def run(self, on_console_line=None, on_result_line=None):
		for path in (self.console, self.results):
			open(path, 'w').close()
		proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
					stdout=subprocess.DEVNULL,
					stderr=subprocess.PIPE)
		feeds = [(self.console, on_console_line), (self.results, on_result_line)]
		offsets = [0, 0]
		partial = ['', '']
		deadline = time.monotonic() + self.timeout
		while True:
			done = proc.poll() is not None
			for i, (path, cb) in enumerate(feeds):
				with open(path, 'rb') as f:
					f.seek(offsets[i])
					data = f.read()
				offsets[i] += len(data)
				text = partial[i] + data.decode('utf-8', 'replace')
				lines = text.split('\n')
				partial[i] = '' if done else lines.pop()
				for line in lines:
					if cb:
						cb(line.rstrip('\r'))
			if done:
				break
			if time.monotonic() > deadline:
				self.timed_out = True
				proc.kill()
				proc.wait()
				break
			time.sleep(0.2)
		err = proc.stderr.read().decode(errors='replace')
		if err.strip():
			sys.stderr.write(err)
		self.exit_code = proc.returncode
		return self.verdict()


def interactive(cmd):
	"""Run qemu attached to this terminal (dax-vm shell)."""
	return subprocess.call(cmd)


def kernel_image(src):
	return os.path.join(src, 'arch/x86/boot/bzImage')
