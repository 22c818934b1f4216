# SPDX-License-Identifier: GPL-2.0
# Regression tests for bugs found by review (included by Makefile).
TEST_GEN_PROGS += dax_rebind_open_test
TEST_GEN_PROGS += dax_kmem_held_test
TEST_GEN_PROGS += dax_probe_teardown_race_test
TEST_GEN_PROGS += dax_stress_test
TEST_GEN_PROGS += dax_probe_faults_test
TEST_GEN_PROGS += dax_killable_writer_test
TEST_GEN_PROGS += dax_node_outlives_device_test
TEST_PROGS += dax_stress_faults.sh
