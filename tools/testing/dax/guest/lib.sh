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
