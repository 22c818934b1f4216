#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the dax-vm benchmarks; "bench NAME VALUE UNIT" lines go to ttyS1.
. /dax-vm/lib.sh
echo "# dax-vm: implementation $DAX_IMPL, kernel $(uname -r)"
kmsg_mark "begin suite bench"
/dax-vm/dax-bench
rc=$?
kmsg_mark "end suite bench"
echo "# dax-vm-done rc=$rc"
exit $rc
