#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The boots with an NVDIMM, e820 pmem, nfit_test and cxl_test: our suites
# for the pmem and CXL providers ("providers"), or ndctl v81's own tests,
# unmodified, as dax-vm suites "ndctl-NAME" ("ndctl").
# Each test gets what meson would give it (NDCTL, DAXCTL, CXL, TEST_PATH,
# DATA_PATH) and its exit code is mapped the way meson maps it: 0 pass,
# 77 skip, anything else fail.  Results go to stdout (ttyS1), each test's
# own output to ttyS2 (build/<impl>/logs/ndctl.log on the host).
. /dax-vm/lib.sh

NDCTL_TIMEOUT=${NDCTL_TIMEOUT:-900}
LOG=/dev/ttyS2
overall=0

# as on a system with ndctl v81 installed (sub-section.sh runs "ndctl")
export PATH=/usr/local/bin:/ndctl/build/ndctl:/ndctl/build/daxctl:/ndctl/build/cxl:$PATH
export NDCTL=/ndctl/build/ndctl/ndctl
export DAXCTL=/ndctl/build/daxctl/daxctl
export CXL=/ndctl/build/cxl/cxl
export TEST_PATH=/ndctl/build/test
# no udev: libdevmapper makes the /dev/mapper nodes itself (dm.sh)
export DM_DISABLE_UDEV=1
export DATA_PATH=/ndctl/test

# What udev does on a distribution: load the driver of every device that
# appears (mdev on netlink, see /etc/mdev.conf), and once for the devices
# that were there before it started.
start_module_loader() {
	mountpoint -q /sys/kernel/tracing ||
		mount -t tracefs tracefs /sys/kernel/tracing
	if ! pidof mdev > /dev/null; then
		mdev -d
		sleep 1		# its netlink socket, before the coldplug events
	fi
	for ev in $(find /sys/devices -name uevent); do
		[ -f "${ev%/uevent}/modalias" ] && echo add > "$ev"
	done
	wait_for "the NVDIMM's nmem" "[ -n \"\$($NDCTL list -b ACPI.NFIT -D)\" ]"
	wait_for "the e820 pmem region" "[ -n \"\$($NDCTL list -b e820 -R)\" ]"
	echo "# modules: $(awk '{ print $1 }' /proc/modules | tr '\n' ' ')" > $LOG
}

# wait_for WHAT CMD: up to 60 s for CMD to succeed
wait_for() {
	for i in $(seq 60); do
		sh -c "$2" > /dev/null 2>&1 && return 0
		sleep 1
	done
	echo "# gave up waiting for $1" > $LOG
}

# A new NVDIMM has no labels; provision them as an administrator would
# before carving namespaces (daxctl-devices.sh expects labelled DIMMs).
init_nvdimm_labels() {
	echo "# ACPI.NFIT: $($NDCTL list -b ACPI.NFIT -D)" > $LOG
	$NDCTL disable-region -b ACPI.NFIT all > $LOG 2>&1
	$NDCTL init-labels -f -b ACPI.NFIT all > $LOG 2>&1
	$NDCTL enable-region -b ACPI.NFIT all > $LOG 2>&1
}

# The scripts are not all executable in ndctl's tree; like meson, run
# those through the interpreter their #! line names.
interpreter() {
	[ -x "$1" ] && return
	head -n 1 "$1" | sed -n 's/^#! *//p'
}

run_ndctl_test() {
	name=$1
	prog=$2
	suite=ndctl-$name
	begin_suite $suite
	echo "1..1"
	echo "=== $suite: $prog" > $LOG
	export DAX_VM_SUITE=$suite
	mkdir -p /tmp/ndctl-work/$name
	(cd /tmp/ndctl-work/$name && timeout $NDCTL_TIMEOUT $(interpreter "$prog") "$prog") \
		> $LOG 2>&1 < /dev/null
	rc=$?
	echo "=== $suite: exit $rc" > $LOG
	case $rc in
	0) echo "ok 1 $name" ;;
	77) echo "ok 1 $name # SKIP ndctl exit 77 (see ndctl.log)" ;;
	*) echo "not ok 1 $name # exit $rc" ;;
	esac
	end_suite $suite 0
	[ $rc -eq 0 ] || [ $rc -eq 77 ] || overall=1
}

# nfit_test's modules (device_dax, dax_pmem, libnvdimm, nfit... rebuilt
# with its wrappers) shadow the kernel's only in the boot of ndctl's
# tests; our provider suites run on the kernel's own.  cxl_test's modules
# wrap only the CXL core, so they are there in both.
MODS=/lib/modules/$(uname -r)
# (busybox sh prefers its own applets to PATH: name kmod's tools in full)
use_nfit_test() {
	# outside /lib/modules when off: depmod indexes every directory there
	if [ "$1" = on ]; then
		mv /lib/nfit_test.off $MODS/updates/nvdimm
	else
		mv $MODS/updates/nvdimm /lib/nfit_test.off
	fi
	/usr/local/bin/depmod
}

provider_suites() {
	cd /selftests/dax || return 0
	for t in $(cat /dax-vm/provider-tests.list); do
		wanted "$t" || continue
		begin_suite "$t"
		timeout $NDCTL_TIMEOUT ./$t $filter_args < /dev/null 2> $LOG
		end_suite "$t" $?
	done
	cd /
}

# run-ndctl.sh providers|ndctl: one boot each, so that the mocked
# modules are never loaded where the kernel's own are tested
stage=$1
echo "# dax-vm: $stage suites, implementation $DAX_IMPL, kernel $(uname -r)"
if [ "$stage" = providers ]; then
	use_nfit_test off
	# the drivers our suites bind, loaded up front as in the first boot
	/usr/local/bin/modprobe -a device_dax kmem
fi
start_module_loader
init_nvdimm_labels
# enabling the region again adds seed devices whose drivers (nd_pmem,
# dax_pmem) the module loader brings in: wait for it, as a setup script
# runs `udevadm settle`, so that the first test does not race it
/dax-vm/settle
echo "# modules after settle: $(awk '{ print $1 }' /proc/modules | tr '\n' ' ')" > $LOG
if [ "$stage" = ndctl ]; then
	while read -r name prog; do
		wanted "ndctl-$name" || continue
		run_ndctl_test "$name" "$prog"
	done < /dax-vm/ndctl-tests.list
else
	provider_suites
fi
kmemleak_suite
echo "# dax-vm-done"
exit $overall
