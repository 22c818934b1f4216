# SPDX-License-Identifier: GPL-2.0
"""The guest's initramfs: busybox, daxctl, jq, modules, selftests, scripts."""

import os
import re
import shutil
import subprocess

import dax_vm_host as host
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
	host.run(['make', '-C', src, f'INSTALL_MOD_PATH={root}',
		  'INSTALL_MOD_STRIP=1', 'modules_install'], env=host.build_env(),
		 stdout=subprocess.DEVNULL)


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
	out = subprocess.run(['make', '-s', '-C', sdir, 'emit_tests'], env=env,
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
		shutil.rmtree(root, ignore_errors=True)
		os.makedirs(root)
		add_userspace(root)
		add_guest_scripts(root)
		add_modules(root, src)
		tests = build_selftests(selftest_tree,
					os.path.join(root, 'selftests/dax'))
		with open(os.path.join(root, 'dax-vm/tests.list'), 'w') as f:
			f.write(''.join(t + '\n' for t in tests))
		write_cpio(root, out)
	return out
