// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input on every writable attribute (issue case 17): empty,
 * whitespace, negative, decimal vs hex, 2^64 and beyond, very long
 * strings, embedded NUL, non-numeric. Each write must fail with the errno
 * stock 6.12 returns and leave the region and every device as they were.
 *
 * Stock facts used here (drivers/dax/bus.c, fs/sysfs/file.c):
 *  - a 0-byte write never reaches the attribute: write() returns 0;
 *  - writes longer than a page reach the attribute truncated to 4096;
 *  - size: kstrtoull(base 0) errors as is, then EINVAL when misaligned,
 *    ENOSPC when larger than available;
 *  - align: any kstrtoul error becomes ENXIO, unsupported values EINVAL;
 *  - mapping: "START-END" in hex, parse errors EINVAL/ERANGE, a range
 *    the region cannot hold ENOMEM;
 *  - create: kstrtoint(base 0) errors as is, any value but 1 EINVAL;
 *  - delete: no child device of that name ENXIO;
 *  - new_id/remove_id: anything but exactly "daxR.I" EINVAL.
 */
#include "kselftest_harness.h"
#include "dax_common.h"

enum target { T_SIZE, T_ALIGN, T_MAPPING, T_CREATE, T_DELETE, T_NEW_ID,
	      T_REMOVE_ID };

FIXTURE(bad_input) {
	struct dax_region r;
	struct dax_state start;
	char a[DAX_NAME];
};

FIXTURE_VARIANT(bad_input) {
	enum target target;
	const char *data;	/* may contain NUL bytes */
	size_t len;
	char longc;		/* when set: data, then longn x longc */
	size_t longn;
	int err;		/* expected errno, 0: write returns 0 */
};

#define BAD(name, tgt, str, e) \
	FIXTURE_VARIANT_ADD(bad_input, name) { \
		.target = tgt, .data = str, .len = sizeof(str) - 1, .err = e, \
	}
#define BAD_LONG(name, tgt, prefix, c, n, e) \
	FIXTURE_VARIANT_ADD(bad_input, name) { \
		.target = tgt, .data = prefix, .len = sizeof(prefix) - 1, \
		.longc = c, .longn = n, .err = e, \
	}

/* size */
BAD(size_zero_bytes_ignored, T_SIZE, "", 0);
BAD(size_newline_only, T_SIZE, "\n", EINVAL);
BAD(size_space_only, T_SIZE, " ", EINVAL);
BAD(size_leading_space, T_SIZE, " 4194304", EINVAL);
BAD(size_trailing_space, T_SIZE, "4194304 ", EINVAL);
BAD(size_two_newlines, T_SIZE, "4194304\n\n", EINVAL);
BAD(size_negative, T_SIZE, "-4194304", EINVAL);
BAD(size_octal_misaligned, T_SIZE, "0200000", EINVAL);
BAD(size_bare_hex_prefix, T_SIZE, "0x", EINVAL);
BAD(size_hex_without_prefix, T_SIZE, "400000", EINVAL);
BAD(size_unit_suffix, T_SIZE, "4M", EINVAL);
BAD(size_2_pow_64, T_SIZE, "18446744073709551616", ERANGE);
BAD(size_2_pow_65, T_SIZE, "36893488147419103232", ERANGE);
BAD(size_hex_2_pow_64, T_SIZE, "0x10000000000000000", ERANGE);
BAD(size_u64_max_misaligned, T_SIZE, "18446744073709551615", EINVAL);
BAD(size_2_pow_63_no_space, T_SIZE, "0x8000000000000000", ENOSPC);
BAD_LONG(size_very_long_number, T_SIZE, "", '9', 4000, ERANGE);
BAD_LONG(size_longer_than_page, T_SIZE, "", '7', 6000, ERANGE);
BAD(size_leading_nul, T_SIZE, "\0" "4194304", EINVAL);
BAD(size_nul_inside, T_SIZE, "4\0" "194304", EINVAL);
BAD(size_non_numeric, T_SIZE, "lots", EINVAL);
BAD(size_float, T_SIZE, "4.0e6", EINVAL);

/* align */
BAD(align_zero_bytes_ignored, T_ALIGN, "", 0);
BAD(align_newline_only, T_ALIGN, "\n", ENXIO);
BAD(align_space_only, T_ALIGN, " ", ENXIO);
BAD(align_trailing_space, T_ALIGN, "4096 ", ENXIO);
BAD(align_negative, T_ALIGN, "-4096", ENXIO);
BAD(align_2_pow_64, T_ALIGN, "18446744073709551616", ENXIO);
BAD(align_hex_misvalued, T_ALIGN, "0x1001", EINVAL);
BAD(align_decimal_misvalued, T_ALIGN, "4097", EINVAL);
BAD(align_u64_max, T_ALIGN, "18446744073709551615", EINVAL);
BAD_LONG(align_very_long_number, T_ALIGN, "", '9', 4000, ENXIO);
BAD(align_leading_nul, T_ALIGN, "\0" "4096", ENXIO);
BAD(align_non_numeric, T_ALIGN, "page", ENXIO);
BAD(align_unit_suffix, T_ALIGN, "4K", ENXIO);

/* mapping */
BAD(mapping_zero_bytes_ignored, T_MAPPING, "", 0);
BAD(mapping_newline_only, T_MAPPING, "\n", EINVAL);
BAD(mapping_space_only, T_MAPPING, " ", EINVAL);
BAD(mapping_dash_only, T_MAPPING, "-", EINVAL);
BAD(mapping_negative, T_MAPPING, "-200000", EINVAL);
BAD(mapping_missing_end, T_MAPPING, "200000-", EINVAL);
BAD(mapping_no_dash, T_MAPPING, "200000", EINVAL);
BAD(mapping_two_dashes, T_MAPPING, "0-1fffff-3fffff", EINVAL);
BAD(mapping_non_hex, T_MAPPING, "start-end", EINVAL);
BAD(mapping_2_pow_64, T_MAPPING, "10000000000000000-100000001ffffff", ERANGE);
BAD(mapping_outside_any_region, T_MAPPING, "ffffffffffe00000-ffffffffffffffff",
    ENOMEM);
BAD_LONG(mapping_very_long, T_MAPPING, "", 'f', 4000, EINVAL);
BAD(mapping_leading_nul, T_MAPPING, "\0" "0-1fffff", EINVAL);
BAD(mapping_trailing_space, T_MAPPING, "0-1fffff ", EINVAL);

/* create */
BAD(create_zero_bytes_ignored, T_CREATE, "", 0);
BAD(create_newline_only, T_CREATE, "\n", EINVAL);
BAD(create_space_only, T_CREATE, " ", EINVAL);
BAD(create_trailing_space, T_CREATE, "1 ", EINVAL);
BAD(create_negative, T_CREATE, "-1", EINVAL);
BAD(create_zero, T_CREATE, "0", EINVAL);
BAD(create_two, T_CREATE, "2", EINVAL);
BAD(create_hex_two, T_CREATE, "0x2", EINVAL);
BAD(create_2_pow_32_plus_1, T_CREATE, "4294967297", ERANGE);
BAD(create_2_pow_64, T_CREATE, "18446744073709551616", ERANGE);
BAD_LONG(create_very_long, T_CREATE, "", '1', 4000, ERANGE);
BAD(create_leading_nul, T_CREATE, "\0" "1", EINVAL);
BAD(create_non_numeric, T_CREATE, "one", EINVAL);

/* delete */
BAD(delete_zero_bytes_ignored, T_DELETE, "", 0);
BAD(delete_newline_only, T_DELETE, "\n", ENXIO);
BAD(delete_space_only, T_DELETE, " ", ENXIO);
BAD(delete_negative, T_DELETE, "-1", ENXIO);
BAD(delete_trailing_space, T_DELETE, "dax0.1 ", ENXIO);
BAD(delete_uppercase, T_DELETE, "DAX0.1", ENXIO);
BAD(delete_2_pow_64, T_DELETE, "dax18446744073709551616.1", ENXIO);
BAD_LONG(delete_very_long, T_DELETE, "dax0.", '1', 4000, ENXIO);
BAD(delete_leading_nul, T_DELETE, "\0" "dax0.1", ENXIO);
BAD(delete_numeric, T_DELETE, "1", ENXIO);

/* new_id */
BAD(new_id_zero_bytes_ignored, T_NEW_ID, "", 0);
BAD(new_id_newline_only, T_NEW_ID, "\n", EINVAL);
BAD(new_id_space_only, T_NEW_ID, " ", EINVAL);
BAD(new_id_negative, T_NEW_ID, "-1", EINVAL);
BAD(new_id_missing_instance, T_NEW_ID, "dax0", EINVAL);
BAD(new_id_leading_zero, T_NEW_ID, "dax0.01", EINVAL);
BAD(new_id_trailing_junk, T_NEW_ID, "dax0.1x", EINVAL);
BAD(new_id_trailing_space, T_NEW_ID, "dax0.1 ", EINVAL);
BAD(new_id_2_pow_64, T_NEW_ID, "dax0.18446744073709551616", EINVAL);
BAD_LONG(new_id_very_long, T_NEW_ID, "dax0.1", ' ', 4000, EINVAL);
BAD(new_id_leading_nul, T_NEW_ID, "\0" "dax0.1", EINVAL);
BAD(new_id_hex, T_NEW_ID, "0x1", EINVAL);

/* remove_id */
BAD(remove_id_zero_bytes_ignored, T_REMOVE_ID, "", 0);
BAD(remove_id_newline_only, T_REMOVE_ID, "\n", EINVAL);
BAD(remove_id_space_only, T_REMOVE_ID, " ", EINVAL);
BAD(remove_id_negative, T_REMOVE_ID, "-1", EINVAL);
BAD(remove_id_plus_sign, T_REMOVE_ID, "dax+0.+1", EINVAL);
BAD(remove_id_2_pow_64, T_REMOVE_ID, "dax18446744073709551616.0", EINVAL);
BAD_LONG(remove_id_very_long, T_REMOVE_ID, "dax", '9', 4000, EINVAL);
BAD(remove_id_leading_nul, T_REMOVE_ID, "\0" "dax0.1", EINVAL);
BAD(remove_id_non_numeric, T_REMOVE_ID, "daxA.B", EINVAL);

FIXTURE_SETUP(bad_input)
{
	DAX_FIXTURE_SETUP(self);
	ASSERT_EQ(0, dax_create_sized(&self->r, self->a, SZ_2M));
}

FIXTURE_TEARDOWN_PARENT(bad_input)
{
	DAX_FIXTURE_TEARDOWN(self);
}

static void target_path(const struct dax_region *r, const char *dev,
			enum target t, char *p)
{
	switch (t) {
	case T_SIZE:
		dax_dpath(dev, "size", p);
		break;
	case T_ALIGN:
		dax_dpath(dev, "align", p);
		break;
	case T_MAPPING:
		dax_dpath(dev, "mapping", p);
		break;
	case T_CREATE:
		dax_rpath(r, "create", p);
		break;
	case T_DELETE:
		dax_rpath(r, "delete", p);
		break;
	case T_NEW_ID:
		dax_drvpath("device_dax", "new_id", p);
		break;
	case T_REMOVE_ID:
		dax_drvpath("device_dax", "remove_id", p);
		break;
	}
}

TEST_F(bad_input, write_is_rejected_and_changes_nothing)
{
	char p[PATH_MAX];
	size_t len = variant->len + variant->longn;
	char *buf = malloc(len + 1);

	ASSERT_NE(NULL, buf);
	memcpy(buf, variant->data, variant->len);
	memset(buf + variant->len, variant->longc, variant->longn);
	target_path(&self->r, self->a, variant->target, p);
	ASSERT_WRITE_FAILS(&self->r, p, buf, len, variant->err);
	free(buf);
}

TEST_HARNESS_MAIN
