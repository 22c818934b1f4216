# SPDX-License-Identifier: GPL-2.0
"""Host setup for dax-vm: packages, paths, progress lines, the build lock."""

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import time

HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HARNESS_DIR, '..', '..', '..'))
BUILD_ROOT = os.environ.get('DAX_VM_BUILD', os.path.join(REPO_ROOT, 'build'))
SOURCE_TARBALL = '/usr/src/linux-source-6.12.tar.xz'
LOCK_FILE = os.environ.get('DAX_VM_LOCK', '/tmp/dax-vm-build.lock')
CCACHE_DIR = os.environ.get('CCACHE_DIR', '/root/.cache/dax-vm-ccache')

# package -> a file that proves it is installed
PACKAGES = {
	'linux-source-6.12': SOURCE_TARBALL,
	'qemu-system-x86': '/usr/bin/qemu-system-x86_64',
	'busybox-static': '/bin/busybox',
	'daxctl': '/usr/bin/daxctl',
	'jq': '/usr/bin/jq',
	'flex': '/usr/bin/flex',
	'bison': '/usr/bin/bison',
	'bc': '/usr/bin/bc',
	'libelf-dev': '/usr/include/libelf.h',
	'libssl-dev': '/usr/include/openssl/ssl.h',
	'cpio': '/usr/bin/cpio',
	'sparse': '/usr/bin/sparse',
	'ccache': '/usr/bin/ccache',
	'gcc': '/usr/bin/gcc',
	'make': '/usr/bin/make',
	'perl': '/usr/bin/perl',
	'xz-utils': '/usr/bin/xz',
	'kmod': '/usr/bin/kmod',
	'rsync': '/usr/bin/rsync',
	'libc6-dev': '/usr/lib/x86_64-linux-gnu/libc.a',
	'gzip': '/bin/gzip',
	'patch': '/usr/bin/patch',
	'findutils': '/usr/bin/find',
	'git': '/usr/bin/git',
	'python3-ply': '/usr/lib/python3/dist-packages/ply/__init__.py',
	'python3-git': '/usr/lib/python3/dist-packages/git/__init__.py',
	'gnuplot-nox': '/usr/bin/gnuplot',
	# ndctl v81 and its test suite (../shared/ndctl/README)
	'meson': '/usr/bin/meson',
	'ninja-build': '/usr/bin/ninja',
	'pkgconf': '/usr/bin/pkg-config',
	'libkmod-dev': '/usr/include/libkmod.h',
	'libudev-dev': '/usr/include/libudev.h',
	'uuid-dev': '/usr/include/uuid/uuid.h',
	'libjson-c-dev': '/usr/include/json-c/json.h',
	'libkeyutils-dev': '/usr/include/keyutils.h',
	'libiniparser-dev': '/usr/include/iniparser/iniparser.h',
	'libtraceevent-dev': '/usr/include/traceevent/event-parse.h',
	'libtracefs-dev': '/usr/include/tracefs/tracefs.h',
	'e2fsprogs': '/usr/sbin/mke2fs',
	'xfsprogs': '/usr/sbin/mkfs.xfs',
	'fio': '/usr/bin/fio',
	'trace-cmd': '/usr/bin/trace-cmd',
	'dmsetup': '/usr/sbin/dmsetup',
}

_T0 = time.monotonic()


def progress(msg):
	"""One progress line: seconds since start, then the message."""
	print(f'[{time.monotonic() - _T0:7.1f}s] {msg}', flush=True)


class Step:
	"""Context manager that prints a step's start and how long it took."""

	def __init__(self, what):
		self.what = what
		self.start = 0.0

	def __enter__(self):
		self.start = time.monotonic()
		progress(f'{self.what} ...')
		return self

	def __exit__(self, exc_type, exc, tb):
		took = time.monotonic() - self.start
		state = 'done' if exc_type is None else 'FAILED'
		progress(f'{self.what}: {state} in {took:.1f}s')
		return False


def die(msg):
	print(f'dax-vm: error: {msg}', file=sys.stderr, flush=True)
	sys.exit(2)


def run(cmd, **kw):
	"""Run a command, raise on failure, return CompletedProcess."""
	return subprocess.run(cmd, check=True, **kw)


def ensure_packages():
	"""apt-get install whatever the harness needs and is missing."""
	missing = [p for p, f in PACKAGES.items() if not os.path.exists(f)]
	if not missing:
		return
	if os.geteuid() != 0:
		die('missing packages (run as root to install): ' + ' '.join(missing))
	env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
	with Step('apt-get update'):
		run(['apt-get', 'update', '-q'], env=env, stdout=subprocess.DEVNULL)
	with Step('apt-get install ' + ' '.join(missing)):
		run(['apt-get', 'install', '-y', '-q', '--no-install-recommends'] +
		    missing, env=env, stdout=subprocess.DEVNULL)
	still = [p for p, f in PACKAGES.items() if not os.path.exists(f)]
	if still:
		die('packages still missing after install: ' + ' '.join(still))


@contextlib.contextmanager
def build_lock():
	"""Serialize kernel builds machine-wide: the machine has 2 cores."""
	with open(LOCK_FILE, 'w') as f:
		try:
			fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
		except BlockingIOError:
			progress('waiting for another dax-vm build to finish')
			fcntl.flock(f, fcntl.LOCK_EX)
		try:
			yield
		finally:
			fcntl.flock(f, fcntl.LOCK_UN)


def build_env():
	"""Environment for make: ccache shared between trees and clones."""
	env = dict(os.environ)
	env.update({
		'ARCH': 'x86_64',
		'KBUILD_BUILD_TIMESTAMP': '2024-11-17 00:00 UTC',
		'KBUILD_BUILD_USER': 'dax',
		'KBUILD_BUILD_HOST': 'vm',
		'LC_ALL': 'C',
	})
	if shutil.which('ccache'):
		os.makedirs(CCACHE_DIR, exist_ok=True)
		env.update({
			'CCACHE_DIR': CCACHE_DIR,
			'CCACHE_BASEDIR': os.path.dirname(REPO_ROOT),
			'CCACHE_NOHASHDIR': '1',
			'CCACHE_MAXSIZE': '5G',
		})
	return env


def make_cc():
	return 'ccache gcc' if shutil.which('ccache') else 'gcc'


def jobs():
	return str(os.cpu_count() or 2)
