#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The dax-vm demo: carve a soft-reserved region into devices with daxctl,
# make one device discontiguous, mmap it, and hand another to the kernel
# as System-RAM.  Exits non-zero at the first step that fails.
. /dax-vm/lib.sh

step_no=0
step() {
	step_no=$((step_no + 1))
	echo
	echo "=== demo step $step_no: $*"
}
fail() {
	echo "=== demo FAILED: $*"
	exit 1
}
show() {
	echo "\$ $*"
	"$@" || fail "$*"
}
memtotal() {
	awk '/^MemTotal/ { print $2 }' /proc/meminfo
}

region=$(first_region)
[ -n "$region" ] || fail "no dax region (is soft-reserved memory there?)"

step "the soft-reserved region published by dax_hmem ($DAX_IMPL implementation)"
grep -i "soft reserved" /proc/iomem
for a in id size align available_size seed; do
	printf '  %-15s %s\n' "$a" "$(cat $region/$a)"
done
show daxctl list -R

step "create two devices of different sizes"
show daxctl create-device -r 0 -s 256M
show daxctl create-device -r 0 -s 512M
first=$(daxctl list -r 0 -D | jq -r 'map(select(.size == 268435456)) | .[0].chardev')
second=$(daxctl list -r 0 -D | jq -r 'map(select(.size == 536870912)) | .[0].chardev')
echo "  256M device: $first, 512M device: $second"
printf '  region available_size now %s\n' "$(cat $region/available_size)"

step "grow $first to 512M: the space after it is taken, so it gets a second range"
show daxctl disable-device "$first"
show daxctl reconfigure-device -s 512M "$first"
for m in /sys/bus/dax/devices/$first/mapping[0-9]*; do
	printf '  %s: start %s end %s page_offset %s\n' "${m##*/}" \
		"$(cat $m/start)" "$(cat $m/end)" "$(cat $m/page_offset)"
done
nr=$(ls -d /sys/bus/dax/devices/$first/mapping[0-9]* | wc -l)
[ "$nr" -ge 2 ] || fail "$first has $nr range(s), expected 2"
show daxctl enable-device "$first"
daxctl reconfigure-device -m devdax -f "$first" >/dev/null 2>&1

step "mmap /dev/$first and write a pattern across both ranges, then read it back"
[ -c /dev/$first ] || fail "/dev/$first missing"
show /dax-vm/dax-pattern /dev/$first $((512 << 20))

step "hand $second to the kernel as System-RAM (kmem)"
before=$(memtotal)
show daxctl reconfigure-device -m system-ram "$second"
after=$(memtotal)
echo "  MemTotal before: $before kB, after: $after kB (+$(( (after - before) / 1024 )) MiB)"
grep "System RAM (kmem)" /proc/iomem
[ "$after" -gt "$before" ] || fail "MemTotal did not grow"

step "done: every step worked"
exit 0
