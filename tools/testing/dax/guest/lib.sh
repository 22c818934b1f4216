# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the dax-vm guest scripts.

# value of NAME=VALUE on the kernel command line
cmdline_value() {
	for word in $(cat /proc/cmdline); do
		case "$word" in
		"$1="*) echo "${word#*=}"; return ;;
		esac
	done
}

# tell qemu the verdict and stop: 0 = pass, anything else = fail
verdict_exit() {
	sync
	if [ "$1" -eq 0 ]; then code='\020'; else code='\021'; fi
	printf "$code" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	# only reached when the port is missing
	poweroff -f
}

# write a marker into the kernel log, so splats can be tied to a test
kmsg_mark() {
	echo "dax-vm: $*" > /dev/kmsg
}

# sysfs directory of the first dax region published by dax_hmem
first_region() {
	for r in /sys/devices/platform/hmem.*/dax_region; do
		[ -d "$r" ] && echo "$r" && return
	done
}

# DAX_VM_FILTER is SUITE-GLOB[|SUITE-GLOB...][:ARG,ARG...]
filter_glob=${DAX_VM_FILTER%%:*}
filter_args=
case "$DAX_VM_FILTER" in
*:*) filter_args=$(echo "${DAX_VM_FILTER#*:}" | tr ',' ' ') ;;
esac

# GLOB may be several globs separated by "|"
wanted() {
	[ -z "$filter_glob" ] && return 0
	old_ifs=$IFS
	IFS='|'
	for g in $filter_glob; do
		case "$1" in
		$g) IFS=$old_ifs; return 0 ;;
		esac
	done
	IFS=$old_ifs
	return 1
}

begin_suite() {
	echo "# dax-vm-suite-begin $1"
	kmsg_mark "begin suite $1"
}

end_suite() {
	kmsg_mark "end suite $1"
	echo "# dax-vm-suite-end $1 rc=$2"
	[ "$2" -eq 0 ] || overall=1
}

# After the suites, with the debug kernel (kmemleak built in): its own
# suite, so that a leak fails the run like any case
kmemleak_suite() {
	[ -e /sys/kernel/debug/kmemleak ] || return 0
	begin_suite kmemleak
	/dax-vm/kmemleak-check.sh
	end_suite kmemleak $?
}
