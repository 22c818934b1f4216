#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static dax regions from pmem: devdax namespaces on the ACPI.NFIT bus
# (qemu's labelled NVDIMM) made with ndctl, carved at 4K, 2M and 1G
# alignment.  A static region's geometry belongs to its provider: the bus
# shows it read-only, has no create/delete/seed, and the device comes and
# goes with the namespace.  Runs in the ndctl boot, on the kernel's own
# (not the nfit_test) modules.
cd "$(dirname "$0")"
. ./dax_tap.sh

NDCTL=${NDCTL:-ndctl}
DAXCTL=${DAXCTL:-daxctl}
PATTERN=/dax-vm/dax-pattern
M=1048576
NS=
DEV=
REGION=

# make_ns ALIGN SIZE: a devdax namespace; sets NS, DEV and REGION (the
# dax region's sysfs directory)
make_ns() {
	json=$($NDCTL create-namespace -b ACPI.NFIT -m devdax -a "$1" -s "$2" 2>/tmp/ndctl.err) ||
		fail "create-namespace -a $1 -s $2: $(tail -n 1 /tmp/ndctl.err)" || return 1
	NS=$(echo "$json" | jq -r '.dev')
	DEV=$(echo "$json" | jq -r '.daxregion.devices[0].chardev')
	[ -e "/sys/bus/dax/devices/$DEV" ] || fail "no dax device for $NS" || return 1
	REGION=$(readlink -f "/sys/bus/dax/devices/$DEV/..")/dax_region
	[ -d "$REGION" ] || fail "no dax_region beside $DEV" || return 1
}

drop_ns() {
	[ -n "$NS" ] && $NDCTL destroy-namespace -f "$NS" >/dev/null 2>&1
	NS=
	DEV=
}

# run CASE: a case returns 0 (ok), 2 (skip, reason in MSG) or 1 (not ok)
run() {
	MSG=
	"$@"
	rc=$?
	drop_ns
	case $rc in
	0) tap_ok "${1#case_}" ;;
	2) tap_skip "${1#case_}" "$MSG" ;;
	*) tap_not_ok "${1#case_}" "$MSG" ;;
	esac
}

# The region and its one device have the namespace's geometry, and every
# 4K page of the device can be written and read back through mmap (PTE,
# PMD or PUD faults, by alignment).
geometry_and_faults() {
	make_ns "$1" "$2" || return 1
	[ "$(cat $REGION/align)" -eq "$(($1))" ] ||
		fail "region align $(cat $REGION/align), asked $1" || return 1
	[ "$(dev_attr $DEV align)" -eq "$(($1))" ] ||
		fail "device align $(dev_attr $DEV align)" || return 1
	size=$(dev_attr $DEV size)
	[ "$size" -eq "$(cat $REGION/size)" ] ||
		fail "device size $size, region size $(cat $REGION/size)" || return 1
	[ $((size % $1)) -eq 0 ] && [ "$size" -gt 0 ] ||
		fail "device size $size not a positive multiple of $1" || return 1
	[ -d /sys/bus/dax/devices/$DEV/mapping0 ] || fail "no mapping0" || return 1
	[ "$(dev_driver $DEV)" = device_dax ] || fail "driver '$(dev_driver $DEV)'" || return 1
	$PATTERN /dev/$DEV "$size" both > /tmp/pattern.out 2>&1 ||
		fail "pattern over $size bytes: $(tail -n 1 /tmp/pattern.out)" || return 1
}
case_static_region_4k_align_mmap_faults() { geometry_and_faults 4096 $((256 * M)); }
case_static_region_2m_align_mmap_faults() { geometry_and_faults $((2 * M)) $((512 * M)); }
case_static_region_1g_align_mmap_faults() { geometry_and_faults $((1024 * M)) $((2048 * M)); }

# A static region has no create, delete, seed or available_size, and a
# device of it no mapping attribute.  Nor has it scrub or scrub_pending:
# its memory is persistent and is never cleared by the bus.
case_static_region_has_no_provisioning_attributes() {
	make_ns 2M 256M || return 1
	for a in create delete seed available_size scrub scrub_pending; do
		[ ! -e "$REGION/$a" ] || fail "region has '$a'" || return 1
	done
	[ ! -e /sys/bus/dax/devices/$DEV/mapping ] || fail "device has 'mapping'" || return 1
}

# size and align of a static device are read-only (0444); as root a write
# still reaches the kernel, which must refuse it and change nothing.
case_static_size_and_align_are_read_only() {
	make_ns 2M 256M || return 1
	d=/sys/bus/dax/devices/$DEV
	for a in size align; do
		mode=$(stat -c %a $d/$a)
		[ "$mode" = 444 ] || fail "$a mode $mode" || return 1
	done
	size=$(cat $d/size)
	if echo 0 > $d/size 2>/dev/null; then
		fail "size 0 accepted"
		return 1
	fi
	if echo 4096 > $d/align 2>/dev/null; then
		fail "align 4096 accepted"
		return 1
	fi
	[ "$(cat $d/size)" -eq "$size" ] || fail "size changed to $(cat $d/size)" || return 1
	[ "$(cat $d/align)" -eq $((2 * M)) ] || fail "align changed" || return 1
}

# daxctl hands the pmem-backed device to the kernel as System-RAM and
# takes it back.
case_static_device_system_ram_and_back() {
	make_ns 2M 2G || return 1
	before=$(memtotal_bytes)
	$DAXCTL reconfigure-device -m system-ram "$DEV" >/dev/null 2>/tmp/daxctl.err ||
		fail "-m system-ram: $(tail -n 1 /tmp/daxctl.err)" || return 1
	[ "$(dev_driver $DEV)" = kmem ] || fail "driver '$(dev_driver $DEV)'" || return 1
	grown=$(($(memtotal_bytes) - before))
	[ "$grown" -gt 0 ] && [ "$grown" -le "$(dev_attr $DEV size)" ] ||
		fail "MemTotal grew by $grown" || return 1
	$DAXCTL offline-memory "$DEV" >/dev/null 2>/tmp/daxctl.err ||
		fail "offline-memory: $(tail -n 1 /tmp/daxctl.err)" || return 1
	$DAXCTL reconfigure-device -m devdax "$DEV" >/dev/null 2>/tmp/daxctl.err ||
		fail "-m devdax: $(tail -n 1 /tmp/daxctl.err)" || return 1
	[ "$(dev_driver $DEV)" = device_dax ] || fail "driver '$(dev_driver $DEV)' after devdax" || return 1
	[ "$(memtotal_bytes)" -eq "$before" ] || fail "MemTotal not back" || return 1
	$PATTERN /dev/$DEV $((64 * M)) both > /tmp/pattern.out 2>&1 ||
		fail "pattern after the round trip: $(tail -n 1 /tmp/pattern.out)" || return 1
}

# Disabling the namespace takes its dax device away; enabling it brings
# the same device back, with its data (pmem persists).
case_static_namespace_disable_enable_keeps_device_and_data() {
	make_ns 2M 256M || return 1
	$PATTERN /dev/$DEV $((32 * M)) write > /tmp/pattern.out 2>&1 ||
		fail "pattern write failed" || return 1
	$NDCTL disable-namespace "$NS" >/dev/null 2>&1 || fail "disable-namespace" || return 1
	[ ! -e /sys/bus/dax/devices/$DEV ] || fail "$DEV still there when disabled" || return 1
	$NDCTL enable-namespace "$NS" >/dev/null 2>&1 || fail "enable-namespace" || return 1
	[ -c /dev/$DEV ] || fail "/dev/$DEV not back" || return 1
	[ "$(dev_driver $DEV)" = device_dax ] || fail "driver '$(dev_driver $DEV)'" || return 1
	$PATTERN /dev/$DEV $((32 * M)) verify > /tmp/pattern.out 2>&1 ||
		fail "data lost across disable/enable: $(tail -n 1 /tmp/pattern.out)" || return 1
}

# The device's driver can be unbound and bound again while the namespace
# stays enabled, and what was written before is still there (a volatile
# region's memory is scrubbed only when it changes hands; this never does).
case_static_device_unbind_bind() {
	make_ns 2M 256M || return 1
	$PATTERN /dev/$DEV $((16 * M)) write > /tmp/pattern.out 2>&1 ||
		fail "pattern write failed" || return 1
	echo "$DEV" > /sys/bus/dax/drivers/device_dax/unbind || fail "unbind" || return 1
	[ -z "$(dev_driver $DEV)" ] || fail "still bound" || return 1
	echo "$DEV" > /sys/bus/dax/drivers/device_dax/bind || fail "bind" || return 1
	$PATTERN /dev/$DEV $((16 * M)) verify > /tmp/pattern.out 2>&1 ||
		fail "data lost across unbind/bind: $(tail -n 1 /tmp/pattern.out)" || return 1
	$PATTERN /dev/$DEV $((16 * M)) both > /tmp/pattern.out 2>&1 ||
		fail "pattern after rebind: $(tail -n 1 /tmp/pattern.out)" || return 1
}

if ! $NDCTL list -b ACPI.NFIT -R 2>/dev/null | jq -e 'length > 0' >/dev/null; then
	tap_skip "static pmem regions" "no ACPI.NFIT region (needs the ndctl boot)"
	tap_done
fi
for c in $(grep -o '^case_[a-z0-9_]*' "$0"); do
	run "$c"
done
tap_done
