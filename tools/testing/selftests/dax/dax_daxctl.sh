#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# daxctl 76.1 scenarios (issue case 19): create-device -s/-a, reconfigure
# -s, disable/enable, destroy, list -M, create-device --input. Every case
# checks daxctl's answer against sysfs, restores the region and checks the
# restore and the accounting invariant.
cd "$(dirname "$0")"
. ./dax_tap.sh

M=1048576

case_create_with_size() {
	dev=$(create -s 4M)
	[ -n "$dev" ] || fail "create-device -s 4M failed" || return 1
	[ "$(dev_attr $dev size)" = $((4 * M)) ] || fail "size $(dev_attr $dev size)" || return 1
	[ "$(dev_driver $dev)" = device_dax ] || fail "driver '$(dev_driver $dev)'" || return 1
	[ -c /dev/$dev ] || fail "/dev/$dev missing" || return 1
	region_invariant
}

case_create_json_matches_sysfs() {
	out=$(daxctl create-device -r "$RID" -s 6M 2>/tmp/daxctl.err)
	dev=$(echo "$out" | jq -r '.[0].chardev // empty')
	[ -n "$dev" ] || fail "create-device -s 6M failed" || return 1
	[ "$(echo "$out" | jq -r '.[0].size')" = "$(dev_attr $dev size)" ] || fail "json size" || return 1
	[ "$(echo "$out" | jq -r '.[0].mode')" = devdax ] || fail "json mode" || return 1
	[ "$(echo "$out" | jq -r '.[0].target_node')" = "$(dev_attr $dev target_node)" ] || fail "json target_node" || return 1
	[ "$(echo "$out" | jq -r '.[0].align')" = "$(dev_attr $dev align)" ] || fail "json align" || return 1
}

case_create_with_align_4k() {
	dev=$(create -s 4M -a 4K)
	[ -n "$dev" ] || fail "create-device -a 4K failed" || return 1
	[ "$(dev_attr $dev align)" = 4096 ] || fail "align $(dev_attr $dev align)" || return 1
	[ "$(dev_attr $dev size)" = $((4 * M)) ] || fail "size" || return 1
}

case_create_with_align_1g() {
	[ "$(region_avail)" -ge 1073741824 ] || { MSG="region has less than 1G free"; return 2; }
	dev=$(create -s 1G -a 1G)
	[ -n "$dev" ] || fail "create-device -s 1G -a 1G failed" || return 1
	[ "$(dev_attr $dev align)" = 1073741824 ] || fail "align" || return 1
	[ "$(dev_driver $dev)" = device_dax ] || fail "not enabled" || return 1
}

# The region without its idle devices (size 0, unbound) and the seed.
sized_snapshot() {
	region_snapshot | sed 's/ seed=.*//' | grep -v '^dax[0-9.]* 0 drv=$'
}

# daxctl create-device "$@" must exit non-zero, print no device and take
# no space: available_size and every sized device unchanged (checked here,
# before run_case's restore). daxctl 76.1 writes `create` before it sets
# the size and does not delete on failure, so one idle size-0 device (the
# new seed) may be left behind; it must be unbound and have no ranges.
create_must_fail() {
	before=$(sized_snapshot)
	ndev=$(region_devs | wc -l)
	if daxctl create-device -r "$RID" "$@" >/tmp/daxctl.out 2>/tmp/daxctl.err; then
		fail "daxctl create-device $* exited 0: $(cat /tmp/daxctl.out)"
		return 1
	fi
	dev=$(jq -r '.[0].chardev // empty' /tmp/daxctl.out 2>/dev/null)
	[ -z "$dev" ] || fail "device $dev was created" || return 1
	after=$(sized_snapshot)
	if [ "$before" != "$after" ]; then
		echo "$before" | sed 's/^/# before: /'
		echo "$after" | sed 's/^/# after:  /'
		fail "failed create-device $* took space or changed a device"
		return 1
	fi
	left=$(( $(region_devs | wc -l) - ndev ))
	[ "$left" -le 1 ] || fail "$left devices left behind" || return 1
	[ "$left" -eq 1 ] && tap_diag "daxctl 76.1 left idle device $(cat $REGION/seed) behind"
	region_invariant
}

case_create_misaligned_size_fails() {
	create_must_fail -s 3M
}

case_create_too_big_fails() {
	create_must_fail -s $(( $(region_size) + 2 * M ))
}

case_create_without_size_takes_all_available() {
	avail=$(region_avail)
	dev=$(create)
	[ -n "$dev" ] || fail "create-device without -s failed" || return 1
	[ "$(dev_attr $dev size)" = "$avail" ] || fail "size $(dev_attr $dev size) != $avail" || return 1
	[ "$(region_avail)" = 0 ] || fail "available_size not 0" || return 1
}

case_reconfigure_size_grows_and_shrinks() {
	dev=$(create -s 4M)
	[ -n "$dev" ] || fail "create failed" || return 1
	daxctl disable-device $dev 2>/tmp/daxctl.err || fail "disable failed" || return 1
	daxctl reconfigure-device -s 8M $dev >/dev/null 2>/tmp/daxctl.err || fail "reconfigure -s 8M failed" || return 1
	[ "$(dev_attr $dev size)" = $((8 * M)) ] || fail "size after grow $(dev_attr $dev size)" || return 1
	region_invariant || return 1
	[ -n "$(dev_driver $dev)" ] && { daxctl disable-device $dev 2>/tmp/daxctl.err || return 1; }
	daxctl reconfigure-device -s 2M $dev >/dev/null 2>/tmp/daxctl.err || fail "reconfigure -s 2M failed" || return 1
	[ "$(dev_attr $dev size)" = $((2 * M)) ] || fail "size after shrink" || return 1
	region_invariant
}

case_disable_enable() {
	dev=$(create -s 2M)
	[ -n "$dev" ] || fail "create failed" || return 1
	daxctl disable-device $dev 2>/tmp/daxctl.err || fail "disable failed" || return 1
	[ -z "$(dev_driver $dev)" ] || fail "still bound after disable" || return 1
	daxctl enable-device $dev 2>/tmp/daxctl.err || fail "enable failed" || return 1
	[ "$(dev_driver $dev)" = device_dax ] || fail "not bound to device_dax after enable" || return 1
	[ "$(daxctl list -d $dev | jq -r '.[0].mode')" = devdax ] || fail "list mode" || return 1
}

case_destroy_device() {
	before=$(region_avail)
	dev=$(create -s 4M)
	[ -n "$dev" ] || fail "create failed" || return 1
	daxctl disable-device $dev 2>/tmp/daxctl.err || fail "disable failed" || return 1
	daxctl destroy-device $dev 2>/tmp/daxctl.err || fail "destroy failed" || return 1
	[ "$(region_avail)" = "$before" ] || fail "space not returned" || return 1
	# daxctl shrinks the device to 0; stock keeps the idle device as seed
	sz=$(cat /sys/bus/dax/devices/$dev/size 2>/dev/null || echo 0)
	[ "$sz" = 0 ] || fail "destroyed device has size $sz" || return 1
}

# d ends up with ranges [R+2M,2M] [R,2M] [R+6M,2M] (three, discontiguous)
make_three_range_device() {
	a=$(create -s 2M) && d=$(create -s 2M) && b=$(create -s 2M) && c=$(create -s 2M) || return 1
	for x in $a $d $c; do daxctl disable-device $x 2>/dev/null || return 1; done
	daxctl reconfigure-device -s 0 $a >/dev/null 2>&1 || echo 0 > /sys/bus/dax/devices/$a/size
	daxctl reconfigure-device -s 0 $c >/dev/null 2>&1 || echo 0 > /sys/bus/dax/devices/$c/size
	echo $((6 * M)) > /sys/bus/dax/devices/$d/size || return 1
	THREE=$d
}

sysfs_mappings() {
	for m in /sys/bus/dax/devices/$1/mapping[0-9]*; do
		printf '%d %d %d\n' "$(cat $m/page_offset)" "$(cat $m/start)" "$(cat $m/end)"
	done | sort -n
}

case_list_M_matches_sysfs() {
	make_three_range_device || fail "setup failed" || return 1
	[ "$(ls -d /sys/bus/dax/devices/$THREE/mapping[0-9]* | wc -l)" -eq 3 ] || fail "expected 3 mappings" || return 1
	json=$(daxctl list -d $THREE -M 2>/tmp/daxctl.err)
	[ "$(echo "$json" | jq '.[0].mappings | length')" = 3 ] || fail "list -M has $(echo "$json" | jq '.[0].mappings | length') mappings" || return 1
	want=$(sysfs_mappings $THREE)
	got=$(echo "$json" | jq -r '.[0].mappings[] | "\(.page_offset) \(.start) \(.end)"' |
	      while read p s e; do printf '%d %d %d\n' "$p" "$s" "$e"; done | sort -n)
	[ "$want" = "$got" ] || fail "list -M: $got; sysfs: $want" || return 1
}

case_create_input_rebuilds_same_mappings() {
	make_three_range_device || fail "setup failed" || return 1
	want=$(sysfs_mappings $THREE)
	daxctl list -d $THREE -M 2>/tmp/daxctl.err | jq '.[0]' > /tmp/dax_input.json || fail "list failed" || return 1
	daxctl disable-device $THREE 2>/dev/null
	daxctl destroy-device $THREE 2>/tmp/daxctl.err || fail "destroy failed" || return 1
	out=$(daxctl create-device --input /tmp/dax_input.json 2>/tmp/daxctl.err)
	dev=$(echo "$out" | jq -r '.[0].chardev // empty')
	[ -n "$dev" ] || fail "create-device --input failed" || return 1
	got=$(sysfs_mappings $dev)
	[ "$want" = "$got" ] || fail "rebuilt mappings: $got; saved: $want" || return 1
	region_invariant
}

case_list_region_matches_sysfs() {
	json=$(daxctl list -R -r "$RID" 2>/tmp/daxctl.err)
	[ "$(echo "$json" | jq -r '.[0].size')" = "$(region_size)" ] || fail "region size" || return 1
	[ "$(echo "$json" | jq -r '.[0].available_size')" = "$(region_avail)" ] || fail "available_size" || return 1
	[ "$(echo "$json" | jq -r '.[0].align')" = "$(cat $REGION/align)" ] || fail "align" || return 1
	[ "$(echo "$json" | jq -r '.[0].id')" = "$RID" ] || fail "id" || return 1
}

if ! region_find; then
	tap_not_ok "dax region present"
	tap_done
fi
if ! command -v daxctl >/dev/null || ! command -v jq >/dev/null; then
	tap_skip "daxctl scenarios" "daxctl or jq missing"
	tap_done
fi

run_case "daxctl create-device -s makes an enabled devdax device" case_create_with_size
run_case "daxctl create-device JSON matches sysfs" case_create_json_matches_sysfs
run_case "daxctl create-device -a 4K sets align" case_create_with_align_4k
run_case "daxctl create-device -s 1G -a 1G sets align" case_create_with_align_1g
run_case "daxctl create-device with misaligned size fails, takes no space" case_create_misaligned_size_fails
run_case "daxctl create-device larger than the region fails, takes no space" case_create_too_big_fails
run_case "daxctl create-device without -s takes all available" case_create_without_size_takes_all_available
run_case "daxctl reconfigure-device -s grows and shrinks" case_reconfigure_size_grows_and_shrinks
run_case "daxctl disable-device and enable-device" case_disable_enable
run_case "daxctl destroy-device returns the space" case_destroy_device
run_case "daxctl list -M matches sysfs mappings" case_list_M_matches_sysfs
run_case "daxctl create-device --input rebuilds the same mappings" case_create_input_rebuilds_same_mappings
run_case "daxctl list -R matches region sysfs" case_list_region_matches_sysfs
tap_done
