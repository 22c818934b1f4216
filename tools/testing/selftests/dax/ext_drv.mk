# SPDX-License-Identifier: GPL-2.0
# Tests of the device_dax and kmem drivers (included by Makefile).
TEST_GEN_PROGS += ext_drv_mmap_rules
TEST_GEN_PROGS += ext_drv_mmap_fault_sizes
TEST_GEN_PROGS += ext_drv_mmap_many_ranges
TEST_GEN_PROGS += ext_drv_kmem_ranges
TEST_GEN_PROGS += ext_drv_id_exclusive

LOCAL_HDRS += ext_drv_common.h
TEST_GEN_PROGS += ext_drv_kmem_state
