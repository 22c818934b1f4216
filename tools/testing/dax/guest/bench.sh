#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One pass of the dax-vm benchmarks; "bench NAME VALUE UNIT" lines go to
# ttyS1.  dax_vm.filter names the groups (fault bind prov kmem, comma
# separated); empty runs all.
. /dax-vm/lib.sh
echo "# dax-vm: implementation $DAX_IMPL, kernel $(uname -r)"
kmsg_mark "begin suite bench"
/dax-vm/dax-bench $(echo "$DAX_VM_FILTER" | tr ',' ' ')
rc=$?
kmsg_mark "end suite bench"
echo "# dax-vm-done rc=$rc"
exit $rc
