#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The concurrency stress of dax_stress_test with a few percent of the
# allocations of its writes and reads failing (failslab, fail_page_alloc).
exec "$(dirname "$0")/dax_stress_test" --faults
