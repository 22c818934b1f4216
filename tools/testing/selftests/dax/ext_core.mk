# SPDX-License-Identifier: GPL-2.0
# Tests of the bus core's extensions (included by Makefile): all-or-nothing
# layout changes under fault injection, 1G alignment, allocation order,
# a 1024-range device given back by a shrink, the teardown order when the
# provider unbinds.
TEST_GEN_PROGS += ext_core_alloc_order
TEST_GEN_PROGS += ext_core_align_skip_hole
TEST_GEN_PROGS += ext_core_many_ranges_shrink
TEST_GEN_PROGS += ext_core_resize_rollback
TEST_GEN_PROGS += ext_core_teardown_order
