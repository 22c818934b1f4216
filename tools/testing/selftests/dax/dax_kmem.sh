#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kmem scenarios (issue case 16): daxctl reconfigure-device -m system-ram
# on a one-range and a two-range device, checked on the kernel side per
# range (/proc/iomem, memory block states, MemTotal); offline-memory and
# -m devdax back; online-memory with auto_online_blocks off.
#
# Known daxctl 76.1 limit: on a discontiguous device it walks only the
# memory blocks in [resource, resource + size), so blocks of ranges
# outside that window stay offline; this script onlines those through
# sysfs and says so.  On a three-range device, the kmem "state"
# attribute (ours only; stock has none and the case is skipped there)
# onlines every block of every range in one write and removes them all
# in another, with daxctl before and after.
cd "$(dirname "$0")"
. ./dax_tap.sh

M=1048576

# number of "System RAM (kmem)" resources inside the ranges of device $1
kmem_resources() {
	n=0
	for m in /sys/bus/dax/devices/$1/mapping[0-9]*; do
		s=$(printf '%d' "$(cat $m/start)")
		e=$(printf '%d' "$(cat $m/end)")
		for r in $(grep 'System RAM (kmem)' /proc/iomem | awk '{ print $1 }'); do
			rs=$(printf '%d' "0x${r%-*}")
			re=$(printf '%d' "0x${r#*-}")
			[ "$rs" -ge "$s" ] && [ "$re" -le "$e" ] && n=$((n + 1))
		done
	done
	echo $n
}

dev_mappings() { ls -d /sys/bus/dax/devices/$1/mapping[0-9]* 2>/dev/null | wc -l; }
dev_blocks() {
	bs=$(block_size)
	echo $(( $(dev_attr $1 size) / bs ))
}

# Every block of device $1 online and MemTotal $3 bytes above $2.
expect_all_online() {
	[ "$(dev_blocks_count $1 online)" -eq "$(dev_blocks $1)" ] ||
		fail "online blocks $(dev_blocks_count $1 online) of $(dev_blocks $1)" || return 1
	delta=$(( $(memtotal_bytes) - $2 ))
	[ "$delta" -eq "$3" ] || fail "MemTotal grew by $delta" || return 1
}

# Device $1's memory offline and MemTotal back at $2; then -m devdax hands
# it back to device_dax with no kmem resource left.
expect_offline_then_devdax() {
	[ "$(dev_blocks_count $1 online)" -eq 0 ] || fail "blocks still online" || return 1
	[ "$(memtotal_bytes)" -eq "$2" ] || fail "MemTotal not back after offline" || return 1
	daxctl reconfigure-device -m devdax $1 >/dev/null 2>/tmp/daxctl.err ||
		fail "reconfigure -m devdax failed" || return 1
	[ "$(dev_driver $1)" = device_dax ] || fail "driver '$(dev_driver $1)' after -m devdax" || return 1
	[ "$(kmem_resources $1)" -eq 0 ] || fail "kmem resources left" || return 1
}

case_one_range_system_ram_and_back() {
	base=$(memtotal_bytes)
	dev=$(create -s 256M)
	[ -n "$dev" ] || fail "create failed" || return 1
	[ "$(dev_mappings $dev)" -eq 1 ] || fail "expected one range" || return 1
	daxctl reconfigure-device -m system-ram $dev >/dev/null 2>/tmp/daxctl.err ||
		fail "reconfigure -m system-ram failed" || return 1
	[ "$(dev_driver $dev)" = kmem ] || fail "driver '$(dev_driver $dev)'" || return 1
	[ "$(kmem_resources $dev)" -eq 1 ] || fail "kmem resources: $(kmem_resources $dev)" || return 1
	expect_all_online $dev $base $((256 * M)) || return 1
	daxctl offline-memory $dev 2>/tmp/daxctl.err || fail "offline-memory failed" || return 1
	expect_offline_then_devdax $dev $base || return 1
	[ -c /dev/$dev ] || fail "/dev/$dev missing" || return 1
}

# d: [R+256M, 256M]@0, [R, 256M] -- resource is R+256M, so daxctl's
# window [R+256M, R+768M) misses the second range.
make_two_range_device() {
	a=$(create -s 256M) && d=$(create -s 256M) && b=$(create -s 256M) || return 1
	for x in $a $d; do daxctl disable-device $x >/dev/null 2>&1 || return 1; done
	echo 0 > /sys/bus/dax/devices/$a/size || return 1
	echo $((512 * M)) > /sys/bus/dax/devices/$d/size || return 1
	TWO=$d
}

case_two_range_system_ram_per_range() {
	base=$(memtotal_bytes)
	make_two_range_device || fail "setup failed" || return 1
	dev=$TWO
	[ "$(dev_mappings $dev)" -eq 2 ] || fail "expected two ranges" || return 1
	daxctl enable-device $dev >/dev/null 2>&1
	daxctl reconfigure-device -m system-ram $dev >/dev/null 2>/tmp/daxctl.err
	[ "$(dev_driver $dev)" = kmem ] || fail "driver '$(dev_driver $dev)'" || return 1
	[ "$(kmem_resources $dev)" -eq 2 ] || fail "kmem resources: $(kmem_resources $dev), want 2" || return 1
	on=$(dev_blocks_count $dev online)
	off=$(dev_blocks_count $dev offline)
	[ $((on + off)) -eq "$(dev_blocks $dev)" ] ||
		fail "memory blocks present: $((on + off)) of $(dev_blocks $dev)" || return 1
	[ "$off" -gt 0 ] && tap_diag "daxctl 76.1 left $off blocks outside [resource, resource+size) offline; onlining them via sysfs"
	dev_blocks_set $dev online_movable
	expect_all_online $dev $base $((512 * M)) || return 1
	daxctl offline-memory $dev >/dev/null 2>/tmp/daxctl.err
	dev_blocks_set $dev offline
	expect_offline_then_devdax $dev $base
}

case_online_memory_with_auto_online_off() {
	aob=/sys/devices/system/memory/auto_online_blocks
	saved=$(cat $aob)
	echo offline > $aob
	base=$(memtotal_bytes)
	dev=$(create -s 256M)
	rc=0
	if [ -z "$dev" ]; then
		fail "create failed"; rc=1
	elif ! daxctl reconfigure-device -N -m system-ram $dev >/dev/null 2>/tmp/daxctl.err; then
		fail "reconfigure -N -m system-ram failed"; rc=1
	elif [ "$(dev_blocks_count $dev online)" -ne 0 ]; then
		fail "blocks online with auto_online_blocks=offline and -N"; rc=1
	elif [ "$(memtotal_bytes)" -ne "$base" ]; then
		fail "MemTotal changed before online"; rc=1
	elif ! daxctl online-memory $dev 2>/tmp/daxctl.err; then
		fail "online-memory failed"; rc=1
	elif [ "$(dev_blocks_count $dev online)" -ne "$(dev_blocks $dev)" ]; then
		fail "online-memory onlined $(dev_blocks_count $dev online) blocks"; rc=1
	elif [ $(( $(memtotal_bytes) - base )) -ne $((256 * M)) ]; then
		fail "MemTotal grew by $(( $(memtotal_bytes) - base ))"; rc=1
	fi
	echo "$saved" > $aob
	return $rc
}

case_devdax_with_online_memory_refused() {
	dev=$(create -s 256M)
	[ -n "$dev" ] || fail "create failed" || return 1
	daxctl reconfigure-device -m system-ram $dev >/dev/null 2>/tmp/daxctl.err || fail "to system-ram failed" || return 1
	# without --force daxctl will not touch online memory
	if daxctl reconfigure-device -m devdax $dev >/dev/null 2>&1; then
		fail "-m devdax succeeded with memory online"
		return 1
	fi
	[ "$(dev_driver $dev)" = kmem ] || fail "device left kmem" || return 1
	[ "$(dev_blocks_count $dev online)" -eq "$(dev_blocks $dev)" ] || fail "blocks changed" || return 1
}

# t: [R+256M, 256M]@0, [R, 256M], [R+768M, 256M] -- daxctl's window
# [R+256M, R+1024M) misses the second range.  a and c were bound, so
# on a kernel that scrubs, their space is clean only once the scrub is
# done: before that t's grow would take the clean space above c.  The
# same holds for what earlier suites gave back: the four devices are
# only laid out from R once it is clean.
make_three_range_device() {
	region_wait_scrubbed || return 1
	a=$(create -s 256M) && t=$(create -s 256M) && b=$(create -s 256M) &&
		c=$(create -s 256M) || return 1
	for x in $a $t $c; do daxctl disable-device $x >/dev/null 2>&1 || return 1; done
	echo 0 > /sys/bus/dax/devices/$a/size || return 1
	echo 0 > /sys/bus/dax/devices/$c/size || return 1
	region_wait_scrubbed || return 1
	echo $((768 * M)) > /sys/bus/dax/devices/$t/size || return 1
	THREE=$t
}

# daxctl 76.1 onlines block by block and misses a range; one write of
# the kmem "state" attribute onlines every block, one write of
# "unplugged" removes them all, and daxctl hands the device back.
case_three_range_daxctl_then_state() {
	base=$(memtotal_bytes)
	make_three_range_device || fail "setup failed" || return 1
	dev=$THREE
	[ "$(dev_mappings $dev)" -eq 3 ] || fail "expected three ranges" || return 1
	daxctl enable-device $dev >/dev/null 2>&1
	daxctl reconfigure-device -m system-ram $dev >/dev/null 2>/tmp/daxctl.err
	[ "$(dev_driver $dev)" = kmem ] || fail "driver '$(dev_driver $dev)'" || return 1
	[ "$(kmem_resources $dev)" -eq 3 ] || fail "kmem resources: $(kmem_resources $dev), want 3" || return 1
	off=$(dev_blocks_count $dev offline)
	tap_diag "daxctl 76.1 left $off of $(dev_blocks $dev) blocks offline"
	st=/sys/bus/dax/devices/$dev/state
	if [ ! -e $st ]; then
		[ "$DAX_IMPL" = ours ] && { fail "no $st on ours"; return 1; }
		fail "stock divergence: no daxX.Y/state attribute, $off blocks stay offline after daxctl"
		return 2
	fi
	[ "$off" -gt 0 ] && [ "$(cat $st)" != offline ] &&
		fail "state '$(cat $st)' with $off blocks offline" && return 1
	echo online_movable > $st || fail "state online_movable failed" || return 1
	[ "$(cat $st)" = online_movable ] || fail "state reads '$(cat $st)'" || return 1
	expect_all_online $dev $base $((768 * M)) || return 1
	echo unplugged > $st || fail "state unplugged failed" || return 1
	[ "$(kmem_resources $dev)" -eq 0 ] || fail "kmem resources left after unplugged" || return 1
	[ "$(memtotal_bytes)" -eq "$base" ] || fail "MemTotal not back after unplugged" || return 1
	# daxctl 76.1 looks up the memory blocks of a system-ram device
	# before it unbinds it, and an unplugged device has none
	if ! daxctl reconfigure-device -m devdax $dev >/dev/null 2>&1; then
		tap_diag "daxctl 76.1 cannot reconfigure an unplugged device; unbinding kmem through sysfs"
		echo $dev > /sys/bus/dax/drivers/kmem/unbind || fail "kmem unbind failed" || return 1
		daxctl reconfigure-device -m devdax $dev >/dev/null 2>/tmp/daxctl.err ||
			fail "reconfigure -m devdax of the unbound device failed" || return 1
	fi
	[ "$(dev_driver $dev)" = device_dax ] || fail "driver '$(dev_driver $dev)' after -m devdax" || return 1
}

if ! region_find; then
	tap_not_ok "dax region present"
	tap_done
fi
if ! command -v daxctl >/dev/null || ! command -v jq >/dev/null ||
   [ ! -d /sys/bus/dax/drivers/kmem ]; then
	tap_skip "kmem scenarios" "daxctl, jq or kmem missing"
	tap_done
fi
if [ "$(region_avail)" -lt $((1024 * M)) ]; then
	tap_skip "kmem scenarios" "region needs 1024M free"
	tap_done
fi

run_case "kmem one-range device: system-ram raises MemTotal, one kmem resource, back to devdax" case_one_range_system_ram_and_back
run_case "kmem two-range device: one kmem resource and online blocks per range" case_two_range_system_ram_per_range
run_case "kmem online-memory with auto_online_blocks off" case_online_memory_with_auto_online_off
run_case "kmem -m devdax refused while memory is online" case_devdax_with_online_memory_refused
run_case "kmem three-range device: daxctl misses a range, one state write onlines all, one unplugs all" case_three_range_daxctl_then_state
tap_done
