#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Tiny TAP printer and dax region helpers for the shell scenarios.
# Source it; call run_case (or tap_*) per case and tap_done at the end.

TAP_N=0
TAP_FAILED=0
echo "TAP version 13"

tap_ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N $1"; }
tap_not_ok() {
	TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N $1"
	shift
	[ $# -gt 0 ] && echo "# $*"
	return 0
}
tap_skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N $1 # SKIP $2"; }
tap_diag() { echo "# $*"; }
tap_done() { echo "1..$TAP_N"; [ $TAP_FAILED -eq 0 ]; exit $?; }

# ---- region discovery -------------------------------------------------------
# REGION: .../hmem.N/dax_region of the lowest region id; RID: its id.
region_find() {
	REGION=
	RID=
	for d in /sys/devices/platform/hmem.*/dax_region; do
		[ -f "$d/id" ] || continue
		id=$(cat "$d/id")
		if [ -z "$RID" ] || [ "$id" -lt "$RID" ]; then
			RID=$id
			REGION=$d
		fi
	done
	[ -n "$REGION" ]
}

region_size() { cat "$REGION/size"; }
region_avail() { cat "$REGION/available_size"; }
region_devs() {
	for d in /sys/bus/dax/devices/dax$RID.*; do
		[ -e "$d" ] && basename "$d"
	done
}
dev_attr() { cat "/sys/bus/dax/devices/$1/$2"; }
dev_driver() {
	l=$(readlink "/sys/bus/dax/devices/$1/driver" 2>/dev/null) || return 0
	basename "$l"
}

# One line per device: name size driver and start-end@pgoff per mapping.
region_snapshot() {
	echo "avail=$(region_avail) seed=$(cat $REGION/seed)"
	for dev in $(region_devs); do
		line="$dev $(dev_attr $dev size) drv=$(dev_driver $dev)"
		for m in /sys/bus/dax/devices/$dev/mapping[0-9]*; do
			[ -d "$m" ] || continue
			line="$line $(cat $m/start)-$(cat $m/end)@$(cat $m/page_offset)"
		done
		echo "$line"
	done
}

# Wait (up to 120 s) until the region has no space waiting to be
# scrubbed; a kernel without the scrub_pending attribute has none.
region_wait_scrubbed() {
	[ -f "$REGION/scrub_pending" ] || return 0
	for i in $(seq 240); do
		[ "$(cat "$REGION/scrub_pending")" -eq 0 ] && return 0
		sleep 0.5
	done
	tap_diag "scrub_pending stays $(cat "$REGION/scrub_pending")"
	return 1
}

# available_size + sum of device sizes == region size
region_invariant() {
	total=$(region_avail)
	for dev in $(region_devs); do
		total=$((total + $(dev_attr $dev size)))
	done
	[ "$total" -eq "$(region_size)" ] && return 0
	tap_diag "invariant broken: total $total != region $(region_size)"
	region_snapshot | sed 's/^/#   /'
	return 1
}

# ---- memory blocks ------------------------------------------------------------
block_size() { printf '%d' "0x$(cat /sys/devices/system/memory/block_size_bytes)"; }

# Print the memory block numbers inside [start, end] (decimal or 0x hex).
blocks_of() {
	bs=$(block_size)
	s=$(printf '%d' "$1")
	e=$(printf '%d' "$2")
	b=$((s / bs))
	while [ $((b * bs)) -le "$e" ]; do
		echo "$b"
		b=$((b + 1))
	done
}

# Set every block of every range of device $1 to $2 (online/offline).
dev_blocks_set() {
	for m in /sys/bus/dax/devices/$1/mapping[0-9]*; do
		[ -d "$m" ] || continue
		for b in $(blocks_of "$(cat $m/start)" "$(cat $m/end)"); do
			f=/sys/devices/system/memory/memory$b/state
			[ -f "$f" ] || continue
			[ "$(cat $f)" = "$2" ] || echo "$2" > "$f" 2>/dev/null
		done
	done
}

# Count blocks of device $1 in state $2.
dev_blocks_count() {
	n=0
	for m in /sys/bus/dax/devices/$1/mapping[0-9]*; do
		[ -d "$m" ] || continue
		for b in $(blocks_of "$(cat $m/start)" "$(cat $m/end)"); do
			f=/sys/devices/system/memory/memory$b/state
			[ -f "$f" ] && [ "$(cat $f)" = "$2" ] && n=$((n + 1))
		done
	done
	echo $n
}

memtotal_bytes() { echo $(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024)); }

# ---- cleanup ------------------------------------------------------------------
# Put the region back: every device but daxR.0 is offlined, unbound, shrunk
# and deleted; daxR.0 is shrunk to 0; new_id entries are removed.
region_restore() {
	for dev in $(region_devs); do
		drv=$(dev_driver $dev)
		if [ "$drv" = kmem ]; then
			dev_blocks_set $dev offline
		fi
		[ -n "$drv" ] && echo $dev > /sys/bus/dax/drivers/$drv/unbind 2>/dev/null
		echo $dev > /sys/bus/dax/drivers/device_dax/remove_id 2>/dev/null
		echo $dev > /sys/bus/dax/drivers/kmem/remove_id 2>/dev/null
		echo 0 > /sys/bus/dax/devices/$dev/size 2>/dev/null
		[ "$dev" = "dax$RID.0" ] || echo $dev > $REGION/delete 2>/dev/null
	done
}

# ---- one case ---------------------------------------------------------------
# run_case NAME CMD...: snapshot the region, run CMD, restore the region,
# then report NAME: ok if CMD returned 0, the region came back as it was
# and the accounting invariant holds; SKIP (reason in MSG) if CMD returned
# 2; not ok otherwise, with MSG and daxctl's last stderr. A case says why
# it failed with `fail "why" || return 1`.
MSG=
fail() { MSG="$*"; return 1; }

# name of the device made by `daxctl create-device ...` ("" on failure)
create() { daxctl create-device -r "$RID" "$@" 2>/tmp/daxctl.err | jq -r '.[0].chardev // empty'; }

run_case() {
	name=$1
	shift
	start=$(region_snapshot)
	MSG=
	ok=1
	"$@"
	case $? in
	0) ;;
	2) ok=2 ;;
	*) ok=0 ;;
	esac
	region_restore
	now=$(region_snapshot)
	if [ "$start" != "$now" ]; then
		ok=0
		MSG="$MSG; region not restored"
		echo "$start" | sed 's/^/# before: /'
		echo "$now" | sed 's/^/# after:  /'
	fi
	region_invariant || ok=0
	if [ $ok -eq 2 ]; then
		tap_skip "$name" "$MSG"
	elif [ $ok -eq 1 ]; then
		tap_ok "$name"
	else
		tap_not_ok "$name" "$MSG"
		[ -s /tmp/daxctl.err ] && sed 's/^/# daxctl: /' /tmp/daxctl.err
	fi
	return 0
}
