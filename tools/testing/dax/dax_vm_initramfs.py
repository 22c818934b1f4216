# SPDX-License-Identifier: GPL-2.0
"""The guest's initramfs: busybox, daxctl, jq, modules, selftests, scripts."""

import os
import re
import shutil
import subprocess

import dax_vm_host as host
import dax_vm_ndctl as ndctl
import dax_vm_testmods as testmods
import dax_vm_tree as tree
from dax_vm_host import Step

GUEST_DIR = os.path.join(host.HARNESS_DIR, 'guest')
HOST_PROGRAMS = ['/usr/bin/daxctl', '/usr/bin/jq']
SELFTEST_SUBDIR = 'tools/testing/selftests/dax'


def shared_libs(binary):
	"""Absolute paths of the shared objects a dynamic binary loads."""
	out = subprocess.run(['ldd', binary], capture_output=True, text=True).stdout
	libs = []
	for line in out.splitlines():
		m = re.search(r'(/\S+) \(0x', line)
		if m:
			libs.append(m.group(1))
	return libs


def copy_into(root, path, dest=None):
	dst = os.path.join(root, (dest or path).lstrip('/'))
	os.makedirs(os.path.dirname(dst), exist_ok=True)
	shutil.copy2(os.path.realpath(path), dst)


# What ndctl's test scripts run besides busybox: bash, kmod's modprobe
# with a depmod'ed tree, getconf, coreutils' sort -V, file systems,
# device-mapper, fio's dev-dax engine and trace-cmd.  They go to
# /usr/local/bin, ahead of busybox in the ndctl suites' PATH.
NDCTL_HOST_PROGRAMS = ['/usr/bin/bash', '/usr/bin/kmod', '/usr/bin/getconf',
		       '/usr/bin/sort', '/usr/sbin/mke2fs', '/usr/sbin/mkfs.xfs',
		       '/usr/bin/fallocate', '/usr/bin/mountpoint',
		       '/usr/bin/mount', '/usr/bin/umount', '/usr/bin/fio',
		       '/usr/bin/trace-cmd', '/usr/sbin/dmsetup', '/usr/bin/seq',
		       '/usr/bin/timeout', '/usr/bin/stat', '/usr/sbin/blockdev',
		       '/usr/bin/mawk', '/usr/bin/tac']
NDCTL_LINKS = {'modprobe': 'kmod', 'modinfo': 'kmod', 'insmod': 'kmod',
	       'rmmod': 'kmod', 'lsmod': 'kmod', 'depmod': 'kmod',
	       'mkfs.ext4': 'mke2fs', 'awk': 'mawk'}
NDCTL_HOST_FILES = ['/etc/mke2fs.conf']


def copy_with_libs(root, path, dest=None):
	"""Copy a dynamic binary into root with every library it loads."""
	copy_into(root, path, dest)
	for lib in shared_libs(path):
		if not os.path.exists(os.path.join(root, lib.lstrip('/'))):
			copy_into(root, lib)


def add_ndctl_userspace(root):
	local = os.path.join(root, 'usr/local/bin')
	os.makedirs(local, exist_ok=True)
	for prog in NDCTL_HOST_PROGRAMS:
		copy_with_libs(root, prog, os.path.join('/usr/local/bin',
							os.path.basename(prog)))
	for name, target in NDCTL_LINKS.items():
		os.symlink(target, os.path.join(local, name))
	os.symlink('/usr/local/bin/bash', os.path.join(root, 'bin/bash'))
	os.symlink('/dax-vm/journalctl', os.path.join(local, 'journalctl'))
	shutil.copy(os.path.join(GUEST_DIR, 'mdev.conf'),
		    os.path.join(root, 'etc/mdev.conf'))
	os.makedirs(os.path.join(root, 'etc/modprobe.d'), exist_ok=True)
	shutil.copy(os.path.join(GUEST_DIR, 'modprobe.conf'),
		    os.path.join(root, 'etc/modprobe.d/dax-vm.conf'))
	for path in NDCTL_HOST_FILES:
		copy_into(root, path)
	ndctl.install(root, lambda path, dest: copy_with_libs(root, path, dest))


def add_userspace(root):
	for d in ('bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev',
		  'tmp', 'run', 'etc', 'root', 'mnt'):
		os.makedirs(os.path.join(root, d), exist_ok=True)
	copy_into(root, '/bin/busybox')
	for prog in HOST_PROGRAMS:
		copy_into(root, prog)
		for lib in shared_libs(prog):
			copy_into(root, lib)
	with open(os.path.join(root, 'etc/passwd'), 'w') as f:
		f.write('root:x:0:0:root:/root:/bin/sh\n'
			'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n')
	with open(os.path.join(root, 'etc/group'), 'w') as f:
		f.write('root:x:0:\nnogroup:x:65534:\n')


def add_guest_scripts(root):
	dst = os.path.join(root, 'dax-vm')
	shutil.copytree(GUEST_DIR, dst, dirs_exist_ok=True,
			ignore=shutil.ignore_patterns('*.c', 'Makefile'))
	os.replace(os.path.join(dst, 'init'), os.path.join(root, 'init'))
	for name in os.listdir(GUEST_DIR):
		if name.endswith('.c'):
			exe = os.path.join(dst, name[:-2])
			host.run(['gcc', '-static', '-O2', '-Wall', '-o', exe,
				  os.path.join(GUEST_DIR, name)])


def add_modules(root, src):
	host.run(tree.make_cmd(src, f'INSTALL_MOD_PATH={root}',
		  'INSTALL_MOD_STRIP=1', 'modules_install'), env=host.build_env(),
		 stdout=subprocess.DEVNULL)
	add_dax_symbols(root, src)


def add_dax_symbols(root, src):
	"""/dax-vm/dax-symbols: every function of drivers/dax in this kernel,
	by which the guest tells a leak of the code under test from others."""
	objs = subprocess.run(['find', os.path.join(src, 'drivers/dax'), '-name',
			       '*.o', '!', '-name', '*.mod.o'],
			      capture_output=True, text=True, check=True).stdout.split()
	out = subprocess.run(['nm', '--defined-only'] + sorted(objs),
			     capture_output=True, text=True, check=True).stdout
	names = sorted({f[2] for f in (line.split() for line in out.splitlines())
			if len(f) == 3 and f[1] in 'tT' and
			not f[2].startswith('_sub_')})   # KASAN's constructors
	with open(os.path.join(root, 'dax-vm', 'dax-symbols'), 'w') as f:
		f.write(''.join(n + '\n' for n in names))


def build_selftests(tree, dest):
	"""Build the kselftests from the ours tree and install them into dest.

	Returns the ordered list of test programs (from `make emit_tests`).
	"""
	sdir = os.path.join(tree, SELFTEST_SUBDIR)
	if not os.path.exists(os.path.join(sdir, 'Makefile')):
		host.progress('no selftests yet: ' + SELFTEST_SUBDIR)
		return []
	env = host.build_env()
	env.pop('ARCH', None)
	with host.build_lock():
		host.run(['make', '-C', sdir, '-j', host.jobs(),
			  f'INSTALL_PATH={dest}', 'install'], env=env,
			 stdout=subprocess.DEVNULL)
	return emitted_tests(sdir, 'emit_tests')


def conformance_tests(tree):
	"""The suites of the first boot, in Makefile order."""
	return emitted_tests(os.path.join(tree, SELFTEST_SUBDIR), 'emit_tests')


def provider_tests(tree):
	"""Our suites for the pmem and CXL providers, in Makefile order."""
	return emitted_tests(os.path.join(tree, SELFTEST_SUBDIR),
			     'emit_provider_tests')


def emitted_tests(sdir, target):
	"""The test names a kselftest Makefile's emit target prints."""
	env = host.build_env()
	env.pop('ARCH', None)
	out = subprocess.run(['make', '-s', '-C', sdir, target], env=env,
			     capture_output=True, text=True, check=True).stdout
	return [line.split(':', 1)[1] for line in out.splitlines() if ':' in line]


def write_cpio(root, out):
	tmp = out + '.tmp'
	files = subprocess.run(['find', '.', '-mindepth', '1'], cwd=root,
			       capture_output=True, text=True, check=True).stdout
	with open(tmp, 'wb') as f:
		cpio = subprocess.Popen(['cpio', '-o', '-H', 'newc', '--quiet'],
					cwd=root, stdin=subprocess.PIPE,
					stdout=subprocess.PIPE)
		gz = subprocess.Popen(['gzip', '-1'], stdin=cpio.stdout, stdout=f)
		cpio.stdout.close()
		cpio.communicate(files.encode())
		gz.wait()
	if cpio.returncode or gz.returncode:
		host.die('cpio/gzip failed for ' + out)
	os.replace(tmp, out)


def build(impl, src, selftest_tree):
	"""Assemble build/<impl>/initramfs.cpio.gz; returns its path."""
	base = os.path.dirname(src)
	root = os.path.join(base, 'initramfs')
	out = os.path.join(base, 'initramfs.cpio.gz')
	with Step(f'initramfs for {impl}'):
		new_root(root)
		add_modules(root, src)
		tests = build_selftests(selftest_tree,
					os.path.join(root, 'selftests/dax'))
		with open(os.path.join(root, 'dax-vm/tests.list'), 'w') as f:
			f.write(''.join(t + '\n' for t in tests))
		write_cpio(root, out)
	return out


def new_root(root):
	shutil.rmtree(root, ignore_errors=True)
	os.makedirs(root)
	add_userspace(root)
	add_guest_scripts(root)


def build_ndctl(impl, src, selftest_tree, tests):
	"""build/<impl>/initramfs-ndctl.cpio.gz: the kernel's modules with
	nfit_test and cxl_test beside them, ndctl v81 and its test suite,
	and our suites for the pmem and CXL providers.

	tests is the ordered list of ndctl tests the guest runs.
	"""
	base = os.path.dirname(src)
	shadow = testmods.build(impl, src)
	ndctl.build()
	root = os.path.join(base, 'initramfs-ndctl')
	out = os.path.join(base, 'initramfs-ndctl.cpio.gz')
	with Step(f'ndctl initramfs for {impl}'):
		new_root(root)
		add_modules(root, src)
		testmods.install(src, shadow, root)
		add_ndctl_userspace(root)
		with open(os.path.join(root, 'dax-vm/ndctl-tests.list'), 'w') as f:
			f.write(''.join(' '.join(t) + '\n' for t in tests))
		build_selftests(selftest_tree, os.path.join(root, 'selftests/dax'))
		providers = provider_tests(selftest_tree)
		with open(os.path.join(root, 'dax-vm/provider-tests.list'), 'w') as f:
			f.write(''.join(t + '\n' for t in providers))
		write_cpio(root, out)
	return out
