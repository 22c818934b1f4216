# SPDX-License-Identifier: GPL-2.0
# Random sysfs writes checked against a model of the region (included by
# Makefile).
TEST_GEN_PROGS += dax_fuzz_test
