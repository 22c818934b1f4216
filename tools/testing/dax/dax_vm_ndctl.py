# SPDX-License-Identifier: GPL-2.0
"""ndctl v81 for the ndctl suites: built from ../shared/ndctl with meson,
cached under build/ndctl, and copied into the ndctl guest's initramfs.

The guest gets the meson build directory as it is (tools, test programs
and libraries find each other through their $ORIGIN run paths) at
/ndctl/build, and the source tree's test/ (the scripts, `common`) at
/ndctl/test: TEST_PATH and DATA_PATH of upstream's test/meson.build.
"""

import hashlib
import os
import re
import shutil

import dax_vm_host as host
from dax_vm_host import Step

TARBALL = os.environ.get('DAX_VM_NDCTL_TARBALL', os.path.join(
	os.path.dirname(host.REPO_ROOT), 'shared', 'ndctl', 'ndctl-81.tar.xz'))
MESON_OPTIONS = ['-Ddocs=disabled', '-Dsystemd=disabled', '-Dtest=enabled',
		 '-Ddestructive=enabled']
ROOT = os.path.join(host.BUILD_ROOT, 'ndctl')
GUEST_DIR = '/ndctl'


def stamp_text():
	with open(TARBALL, 'rb') as f:
		digest = hashlib.sha256(f.read()).hexdigest()
	return digest + ' ' + ' '.join(MESON_OPTIONS) + '\n'


def source_dir():
	return os.path.join(ROOT, 'src')


def build_dir():
	return os.path.join(ROOT, 'src', 'build')


def build():
	"""Extract and build ndctl once per tarball and options."""
	if not os.path.exists(TARBALL):
		host.die(f'ndctl tarball missing: {TARBALL}')
	stamp = os.path.join(ROOT, 'build.stamp')
	want = stamp_text()
	if os.path.exists(stamp) and open(stamp).read() == want:
		return build_dir()
	with Step('build ndctl v81 (meson, ninja)'):
		shutil.rmtree(ROOT, ignore_errors=True)
		os.makedirs(ROOT)
		host.run(['tar', '-C', ROOT, '-xf', TARBALL])
		top = [d for d in os.listdir(ROOT) if d.startswith('ndctl-')]
		os.rename(os.path.join(ROOT, top[0]), source_dir())
		log = open(os.path.join(ROOT, 'build.log'), 'w')
		host.run(['meson', 'setup', 'build'] + MESON_OPTIONS,
			 cwd=source_dir(), stdout=log, stderr=log)
		host.run(['ninja', '-C', 'build', '-j', host.jobs()],
			 cwd=source_dir(), stdout=log, stderr=log)
	with open(stamp, 'w') as f:
		f.write(want)
	return build_dir()


def executables(top):
	"""Every ELF file below top (tools, test programs, libraries)."""
	out = []
	for dirpath, dirnames, filenames in os.walk(top):
		dirnames[:] = [d for d in dirnames if not d.endswith('.p')
			       and d != 'meson-private']
		for name in filenames:
			path = os.path.join(dirpath, name)
			if os.path.islink(path) or not os.path.isfile(path):
				continue
			with open(path, 'rb') as f:
				if f.read(4) == b'\x7fELF':
					out.append(path)
	return out


def install(root, copy_with_libs):
	"""Copy the build and the test scripts into the initramfs at root."""
	bdir = build()
	dst = os.path.join(root, GUEST_DIR.lstrip('/'))
	for path in executables(bdir):
		rel = os.path.relpath(path, bdir)
		copy_with_libs(path, os.path.join(GUEST_DIR, 'build', rel))
	for dirpath, _, filenames in os.walk(bdir):
		for name in filenames:
			path = os.path.join(dirpath, name)
			if os.path.islink(path) and '.so' in name:
				link = os.path.join(dst, 'build', os.path.relpath(path, bdir))
				os.makedirs(os.path.dirname(link), exist_ok=True)
				if not os.path.lexists(link):
					os.symlink(os.readlink(path), link)
	shutil.copytree(os.path.join(source_dir(), 'test'),
			os.path.join(dst, 'test'), dirs_exist_ok=True,
			ignore=shutil.ignore_patterns('*.c', '*.h', 'meson.build'))


# Besides test/meson.build's "dax" suite, the tests that exercise the dax
# bus through other suites: libndctl (nfit_test's device-dax namespaces),
# align.sh (namespace alignment on ACPI.NFIT) and cxl-destroy-region.sh.
EXTRA_TESTS = ('libndctl', 'align.sh', 'cxl-destroy-region.sh')
# Tests that take most of a CI run under TCG (mmap.sh populates 1 GiB 36
# ways on ext4 and xfs: about 15 minutes per kernel, and past the guest's
# 900 s per-test timeout when both kernels' guests share two cores).  They
# run with --long or when the filter names them.
LONG_TESTS = ('mmap.sh',)
TEST_RE = re.compile(r"\[\s*'([^']+)',\s*(\w+),\s*'(\w+)'\s*\]")
EXE_RE = re.compile(r"^\s*(\w+)\s*=\s*executable\('([^']+)'", re.M)
SCRIPT_RE = re.compile(r"^\s*(\w+)\s*=\s*find_program\('([^']+)'\)", re.M)


def suite_tests():
	"""[(name, guest path)] in test/meson.build's order, for the dax
	suite and EXTRA_TESTS; the list is read from ndctl's own build file."""
	build()
	text = open(os.path.join(source_dir(), 'test', 'meson.build')).read()
	exes = dict(EXE_RE.findall(text))
	scripts = dict(SCRIPT_RE.findall(text))
	out = []
	for name, var, suite in TEST_RE.findall(text):
		if suite != 'dax' and name not in EXTRA_TESTS:
			continue
		if var in exes:
			path = f'{GUEST_DIR}/build/test/{exes[var]}'
		elif var in scripts:
			path = f'{GUEST_DIR}/test/{scripts[var]}'
		else:
			host.die(f'ndctl test {name}: no program for {var}')
		out.append((name, path))
	return out
