#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Dynamic dax regions from CXL RAM: a region made with cxl-cli on
# cxl_test's emulated topology.  dax_cxl gives its device to kmem by
# default; daxctl moves it to devdax and back, and the region is carved
# like an hmem region.  cxl_test's windows are not backed by memory, so
# nothing here onlines or touches the memory itself.  Needs bash and
# kmod's modprobe (the ndctl boot has both: busybox sh would run its own
# modprobe applet).
cd "$(dirname "$0")"
. ./dax_tap.sh

CXL=${CXL:-cxl}
DAXCTL=${DAXCTL:-daxctl}
M=1048576
CXLREGION=

# the memdevs below the root decoder $1's target at position $2
port_memdevs() {
	port=$($CXL list -T -d "$1" | jq -r ".[] | .targets | .[] |
		select(.position == $2) | .target")
	[ -n "$port" ] && $CXL list -M -p "$port" | jq -r '.[].memdev'
}

# sets REGION, RID and DEV for a new, enabled CXL RAM region: an x2
# interleave on cxl_test's volatile-capable two-port root decoder, one
# memdev under each host bridge position
make_cxl_region() {
	decoder=$($CXL list -b cxl_test -D -d root | jq -r '[.[] |
		select(.volatile_capable == true) |
		select(.nr_targets == 2)][0].decoder // empty')
	[ -n "$decoder" ] || fail "no volatile-capable x2 root decoder in cxl_test" || return 1
	# cxl_test's endpoints may still be probing: wait for memdevs under
	# each host bridge position
	for i in $(seq 30); do
		mems0=$(port_memdevs "$decoder" 0)
		mems1=$(port_memdevs "$decoder" 1)
		[ -n "$mems0" ] && [ -n "$mems1" ] && break
		sleep 1
	done
	[ -n "$mems0" ] && [ -n "$mems1" ] || fail "no memdev under each port of $decoder" || return 1
	# a memdev whose ram capacity an auto-assembled region of cxl_test
	# already holds fails with ENOSPC: try the pairs until one is free
	for m0 in $mems0; do
		for m1 in $mems1; do
			CXLREGION=$($CXL create-region -t ram -d "$decoder" -m $m0 $m1 \
				2>/tmp/cxl.err | jq -r '.region')
			[ -n "$CXLREGION" ] && [ "$CXLREGION" != null ] && break 2
			CXLREGION=
		done
	done
	if [ -z "$CXLREGION" ]; then
		sed 's/^/# cxl: /' /tmp/cxl.err
		fail "create-region -d $decoder, no free pair of $mems0 / $mems1: $(tail -n 1 /tmp/cxl.err)"
		return 1
	fi
	# the region's dax region and device appear once dax_cxl has probed
	for i in $(seq 30); do
		json=$($CXL list -X -r "$CXLREGION")
		DEV=$(echo "$json" | jq -r '.[0].daxregion.devices[0].chardev // empty')
		[ -n "$DEV" ] && [ -e "/sys/bus/dax/devices/$DEV" ] && break
		sleep 1
	done
	RID=$(echo "$json" | jq -r '.[0].daxregion.id')
	REGION=$(readlink -f "/sys/bus/dax/devices/$DEV/..")/dax_region
	[ -d "$REGION" ] || fail "no dax region for $CXLREGION ($json)" || return 1
}

drop_cxl_region() {
	[ -n "$CXLREGION" ] || return 0
	$CXL disable-region "$CXLREGION" >/dev/null 2>&1
	$CXL destroy-region "$CXLREGION" >/dev/null 2>&1
	CXLREGION=
}

run() {
	MSG=
	"$@"
	rc=$?
	drop_cxl_region
	case $rc in
	0) tap_ok "${1#case_}" ;;
	2) tap_skip "${1#case_}" "$MSG" ;;
	*) tap_not_ok "${1#case_}" "$MSG" ;;
	esac
}

no_block_online() {
	[ "$(dev_blocks_count $1 online)" -eq 0 ] || fail "memory of $1 went online" || return 1
}

case_cxl_ram_device_goes_to_kmem_by_default() {
	make_cxl_region || return 1
	[ "$(dev_driver $DEV)" = kmem ] || fail "driver '$(dev_driver $DEV)', expected kmem" || return 1
	[ "$(dev_attr $DEV size)" -eq "$(region_size)" ] || fail "device does not span the region" || return 1
	no_block_online $DEV || return 1
}

case_cxl_ram_device_devdax_and_back_to_system_ram() {
	make_cxl_region || return 1
	$DAXCTL reconfigure-device -f -m devdax "$DEV" >/dev/null 2>/tmp/daxctl.err ||
		fail "-m devdax: $(tail -n 1 /tmp/daxctl.err)" || return 1
	[ "$(dev_driver $DEV)" = device_dax ] || fail "driver '$(dev_driver $DEV)' after devdax" || return 1
	[ -c /dev/$DEV ] || fail "/dev/$DEV missing" || return 1
	$DAXCTL reconfigure-device -m system-ram --no-online "$DEV" >/dev/null 2>/tmp/daxctl.err ||
		fail "-m system-ram: $(tail -n 1 /tmp/daxctl.err)" || return 1
	[ "$(dev_driver $DEV)" = kmem ] || fail "driver '$(dev_driver $DEV)' after system-ram" || return 1
	no_block_online $DEV || return 1
}

# shrink the boot device to 0, carve two devices, grow one into a second
# range, give back everything: available_size + sizes == region size
# after every step
case_cxl_ram_region_resizes_like_hmem() {
	make_cxl_region || return 1
	$DAXCTL reconfigure-device -f -m devdax "$DEV" >/dev/null 2>/tmp/daxctl.err ||
		fail "-m devdax: $(tail -n 1 /tmp/daxctl.err)" || return 1
	$DAXCTL disable-device "$DEV" >/dev/null 2>&1 || fail "disable-device" || return 1
	echo 0 > /sys/bus/dax/devices/$DEV/size || fail "size 0" || return 1
	[ "$(region_avail)" -eq "$(region_size)" ] || fail "available_size $(region_avail)" || return 1
	a=$($DAXCTL create-device -r "$RID" -s 256M 2>/tmp/daxctl.err | jq -r '.[0].chardev // empty')
	b=$($DAXCTL create-device -r "$RID" -s 256M 2>/tmp/daxctl.err | jq -r '.[0].chardev // empty')
	[ -n "$a" ] && [ -n "$b" ] || fail "create-device: $(tail -n 1 /tmp/daxctl.err)" || return 1
	region_invariant || fail "invariant after create" || return 1
	$DAXCTL disable-device "$a" >/dev/null 2>&1 || fail "disable $a" || return 1
	echo $((512 * M)) > /sys/bus/dax/devices/$a/size || fail "grow $a" || return 1
	n=$(ls -d /sys/bus/dax/devices/$a/mapping[0-9]* | wc -l)
	[ "$n" -eq 2 ] || fail "$a has $n ranges, expected 2" || return 1
	region_invariant || fail "invariant after grow" || return 1
	for d in $a $b; do
		$DAXCTL disable-device "$d" >/dev/null 2>&1
		$DAXCTL destroy-device "$d" >/dev/null 2>/tmp/daxctl.err ||
			fail "destroy $d: $(tail -n 1 /tmp/daxctl.err)" || return 1
	done
	[ "$(region_avail)" -eq "$(region_size)" ] || fail "space not returned" || return 1
	# ours clears what bound devices gave back; cxl_test's windows have
	# no memory behind them, which must not stop the scrubber
	[ "$DAX_IMPL" = ours ] || return 0
	[ "$(cat $REGION/scrub)" = 1 ] || fail "scrub is $(cat $REGION/scrub) on CXL RAM" || return 1
	for i in $(seq 600); do
		[ "$(cat $REGION/scrub_pending)" -eq 0 ] && break
		sleep 1
	done
	[ "$(cat $REGION/scrub_pending)" -eq 0 ] ||
		fail "scrub_pending stays $(cat $REGION/scrub_pending)" || return 1
}

if ! modprobe cxl_test 2>/dev/null; then
	tap_skip "CXL RAM regions" "cxl_test not available (needs the ndctl boot)"
	tap_done
fi
sleep 2
for c in $(grep -o '^case_[a-z0-9_]*' "$0"); do
	run "$c"
done
modprobe -r cxl_test
tap_done
