#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run every dax-vm suite in the guest; all output goes to ttyS1 and is
# parsed on the host.  Each suite is framed by begin/end lines so that a
# suite that dies without its results is counted as crashed there.
#   run-tests.sh MODULES_RC
. /dax-vm/lib.sh

SUITE_TIMEOUT=${SUITE_TIMEOUT:-900}
modules_rc=$1
overall=0

# The harness's own checks: the guest came up the way every test expects.
guest_suite() {
	begin_suite guest
	echo "TAP version 13"
	echo "1..2"
	if [ "$modules_rc" -eq 0 ]; then
		echo "ok 1 dax modules load in order device_dax kmem dax_hmem"
	else
		echo "not ok 1 dax modules load in order device_dax kmem dax_hmem"
	fi
	if [ -n "$(first_region)" ]; then
		echo "ok 2 soft-reserved memory is published as a dax region"
	else
		echo "not ok 2 soft-reserved memory is published as a dax region"
	fi
	rc=0
	[ "$modules_rc" -eq 0 ] || rc=1
	end_suite guest $rc
}

# KUnit suites built as modules under drivers/dax: load, then print their
# KTAP from debugfs.
kunit_suites() {
	dir=/lib/modules/$(uname -r)/kernel/drivers/dax
	for ko in $(find $dir -name '*test*.ko' -o -name '*kunit*.ko' 2>/dev/null | sort); do
		name=$(basename $ko .ko)
		wanted "kunit-$name" || continue
		begin_suite "kunit-$name"
		before=$(ls /sys/kernel/debug/kunit 2>/dev/null)
		insmod $ko
		rc=$?
		for s in $(ls /sys/kernel/debug/kunit 2>/dev/null); do
			case " $(echo $before) " in
			*" $s "*) continue ;;
			esac
			cat /sys/kernel/debug/kunit/$s/results
			grep -q '^not ok' /sys/kernel/debug/kunit/$s/results && rc=1
		done
		end_suite "kunit-$name" $rc
	done
}

selftest_suites() {
	cd /selftests/dax 2>/dev/null || return 0
	for t in $(cat /dax-vm/tests.list); do
		wanted "$t" || continue
		begin_suite "$t"
		timeout $SUITE_TIMEOUT ./$t $filter_args < /dev/null
		end_suite "$t" $?
	done
}

echo "# dax-vm: implementation $DAX_IMPL, kernel $(uname -r)"
wanted guest && guest_suite
kunit_suites
selftest_suites
kmemleak_suite
echo "# dax-vm-done"
exit $overall
