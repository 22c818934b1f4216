#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# With the debug kernel's kmemleak: scan once the suites are done and
# report, as KTAP, the unreferenced objects that drivers/dax allocated
# (a frame of their allocation backtrace is a function of drivers/dax,
# listed in /dax-vm/dax-symbols when the initramfs was made).  Leaks of
# the rest of the kernel are counted, not judged.  kmemleak names the
# frames when it reports, so a module's init function, whose text is
# freed once it returned, takes the name of whatever was loaded at its
# address since (kmem.ko, say): a frame right below do_one_initcall does
# not attribute a leak.
KMEMLEAK=/sys/kernel/debug/kmemleak
report=/tmp/kmemleak.report

echo "TAP version 13"
echo "1..2"
# an object is only reported once it is older than 5 s and was found
# unreferenced by two scans
sleep 6
if echo scan > $KMEMLEAK && sleep 1 && echo scan > $KMEMLEAK &&
   cat $KMEMLEAK > $report; then
	echo "ok 1 kmemleak scans the kernel after the suites"
else
	echo "not ok 1 kmemleak scans the kernel after the suites"
	exit 1
fi

awk -v syms=/dax-vm/dax-symbols '
BEGIN { while ((getline s < syms) > 0) dax[s] = 1 }
function flush() {
	if (obj == "")
		return
	total++
	if (hit != "") {
		ndax++
		print "# dax leak: " obj
		print "#   allocated in " hit
		printf "%s", trace
	}
	obj = ""; hit = ""; trace = ""
}
/^unreferenced object/ { flush(); obj = $0; frames = 0; next }
/^  backtrace/ { frames = 1; prev = ""; next }
frames && /^    [A-Za-z_][A-Za-z0-9_.]*\+0x/ {
	name = $1
	sub(/\+.*/, "", name)
	trace = trace "#     " name "\n"
	if (name == "do_one_initcall" && hit == prev)
		hit = ""
	else if (hit == "" && (name in dax))
		hit = name
	prev = name
}
END {
	flush()
	printf "# kmemleak: %d unreferenced objects, %d from drivers/dax\n", total, ndax
	if (ndax)
		print "not ok 2 drivers/dax leaks no object"
	else
		print "ok 2 drivers/dax leaks no object"
	exit ndax != 0
}' $report
