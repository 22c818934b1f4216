# SPDX-License-Identifier: GPL-2.0
"""Build every prefix of the series, incrementally, for `series --check`.

build/series/kbuild/src starts as a copy of the built stock tree (same
config, same ccache), so a prefix costs only the files it changes and the
final link.  For each prefix the files the series touches are brought to
that commit's content (written only when they differ, so make sees what
changed), and what the patch touched decides what is built:

  drivers/, other kernel paths  make W=1 vmlinux modules
  tools/testing/nvdimm/         nfit_test's external modules (as static)
  tools/testing/selftests/      make of the selftests of that folder
  tools/testing/dax/            py_compile, bash -n, gcc -fsyntax-only
  Documentation/, MAINTAINERS   nothing is built from them

A kernel build fails on any error and on any warning that names a file of
the series (its source or object) and that the base tree's drivers/dax
and the base versions of the other kernel files the series edits,
recompiled with W=1 before the first patch, do not print too (line
numbers are ignored).  Warnings of other stock files (a Kconfig change can
recompile them) are not the series' own.
"""

import filecmp
import os
import py_compile
import re
import shutil
import subprocess
import tempfile

import dax_vm_host as host
import dax_vm_series_base as gbase
import dax_vm_static as static
import dax_vm_tree as tree
from dax_vm_host import Step

WARN_RE = re.compile(r'(\b(warning|error):|^WARNING:|^ERROR:)')
NO_BUILD = ('Documentation/', 'MAINTAINERS')


def kbuild_src():
	return os.path.join(gbase.series_root(), 'kbuild', 'src')


def seed():
	"""The build tree, copied from the built stock tree when needed."""
	src = kbuild_src()
	if tree.built(src):
		return src
	stock = tree.tree_dir('stock')
	if not tree.built(stock):
		tree.build('stock')
	with Step('copy the built stock tree to build/series/kbuild'):
		tmp = src + '.tmp'
		shutil.rmtree(tmp, ignore_errors=True)
		os.makedirs(os.path.dirname(src), exist_ok=True)
		host.run(['cp', '-a', '--reflink=auto', stock, tmp])
		shutil.rmtree(src, ignore_errors=True)
		os.rename(tmp, src)
		shutil.copy2(tree.stamp_path(stock), tree.stamp_path(src))
	return src


def sync(work, src, paths):
	"""Make src's copy of paths equal to the checkout in work."""
	for rel in paths:
		have = os.path.join(work, rel)
		dst = os.path.join(src, rel)
		if os.path.exists(have):
			if not (os.path.exists(dst) and filecmp.cmp(have, dst, shallow=False)
				and os.stat(have).st_mode == os.stat(dst).st_mode):
				tree.copy_if_changed(have, dst)
				os.chmod(dst, os.stat(have).st_mode)
		elif os.path.lexists(dst):
			os.unlink(dst)


def normalize(line):
	return re.sub(r':\d+(:\d+)?:', ':', line.strip())


def make(src, *targets):
	"""make W=1 targets in src; returns (exit code, warning lines)."""
	with host.build_lock():
		res = subprocess.run(tree.make_args(src, *targets),
				     env=host.build_env(), capture_output=True,
				     text=True)
	lines = (res.stdout + res.stderr).splitlines()
	return res.returncode, [line for line in lines if WARN_RE.search(line)]


def baseline(src, touched=()):
	"""Warnings of the base tree's drivers/dax, and of the base versions of
	the other kernel .c files the series changes (touched), recompiled from
	scratch: a file the series only edits keeps its own old warnings."""
	for dirpath, _, names in os.walk(os.path.join(src, 'drivers/dax')):
		for name in names:
			if name.endswith('.c'):
				os.utime(os.path.join(dirpath, name))
	others = [p for p in touched
		  if p.endswith('.c') and not p.startswith(('drivers/dax/', 'tools/'))
		  and os.path.exists(os.path.join(src, p))]
	for p in others:
		os.utime(os.path.join(src, p))
	with Step('W=1 baseline: the base tree\'s drivers/dax and edited files'):
		rc, warns = make(src, 'drivers/dax/', *[p[:-2] + '.o' for p in others])
	if rc:
		host.die('the base tree\'s drivers/dax does not build:\n' +
			 '\n'.join(warns))
	return {normalize(w) for w in warns}


def kinds(paths):
	out = set()
	for p in paths:
		if p.startswith('tools/testing/nvdimm/'):
			out.add('nvdimm')
		elif p.startswith('tools/testing/selftests/'):
			out.add('selftests:' + os.path.dirname(p).split('/')[3])
		elif p.startswith('tools/testing/dax/'):
			out.add('harness')
		elif p.startswith(NO_BUILD):
			out.add('docs')
		else:
			out.add('kernel')
	return out


def reconfigure(src):
	"""Merge dax.config again when a Kconfig change left options unset.

	A symbol that a patch adds (DEV_DAX_KUNIT_TEST) is unknown to the
	copied stock .config; make's syncconfig would give it its default.
	"""
	if not tree.config_mismatches(src):
		return []
	# the same CC as the build: a different $(CC) makes syncconfig run
	# again and rebuild everything
	args = tree.make_args(src, 'olddefconfig')
	quiet = {'stdout': subprocess.DEVNULL, 'stderr': subprocess.DEVNULL,
		 'env': host.build_env(), 'cwd': src}
	subprocess.run([os.path.join(src, 'scripts/kconfig/merge_config.sh'), '-m',
			'-O', src, os.path.join(src, '.config'), tree.CONFIG_FRAGMENT],
		       **quiet)
	with host.build_lock():
		subprocess.run(args, **quiet)
	return [f'config: {n}={v} did not stick (got {g})'
		for n, v, g in tree.config_mismatches(src)]


def ours(line, stems):
	"""True when a warning names a file of the series (source or object)."""
	return any(stem in line for stem in stems)


def build_kernel(src, base_warns, stems):
	bad = reconfigure(src)
	if bad:
		return bad
	rc, warns = make(src, 'vmlinux', 'modules')
	new = [w for w in warns
	       if ours(w, stems) and normalize(w) not in base_warns]
	if rc:
		new.append(f'make exited {rc}')
	return new


def build_selftests(src, sub):
	sdir = os.path.join(src, 'tools/testing/selftests', sub)
	env = host.build_env()
	env.pop('ARCH', None)
	with tempfile.TemporaryDirectory() as out, host.build_lock():
		res = subprocess.run(['make', '-C', sdir, '-j', host.jobs(),
				      f'OUTPUT={out}'], env=env,
				     capture_output=True, text=True)
	lines = (res.stdout + res.stderr).splitlines()
	bad = [line for line in lines if WARN_RE.search(line)]
	if res.returncode:
		bad.append(f'make -C {sdir} exited {res.returncode}')
	return bad


def check_harness(src):
	bad = []
	top = os.path.join(src, 'tools/testing/dax')
	with tempfile.TemporaryDirectory() as tmp:
		for dirpath, _, names in os.walk(top):
			for name in sorted(names):
				path = os.path.join(dirpath, name)
				rel = os.path.relpath(path, src)
				with open(path, 'rb') as f:
					first = f.readline()
				if name.endswith('.py'):
					try:
						py_compile.compile(path, os.path.join(tmp, 'x.pyc'),
								   doraise=True)
					except py_compile.PyCompileError as e:
						bad.append(f'{rel}: {e.msg}')
				elif name.endswith('.sh') or first.startswith(b'#!/bin/'):
					res = subprocess.run(['bash', '-n', path],
							     capture_output=True, text=True)
					if res.returncode:
						bad.append(f'{rel}: {res.stderr.strip()}')
				elif name.endswith('.c'):
					res = subprocess.run(['gcc', '-fsyntax-only', '-O2',
							      '-Wall', path],
							     capture_output=True, text=True)
					if res.returncode or res.stderr.strip():
						bad.append(f'{rel}: {res.stderr.strip()}')
	return bad


def build_prefix(src, paths, base_warns, state, stems):
	"""Build what paths need; returns (findings, what was built)."""
	findings, what = [], []
	for kind in sorted(kinds(paths)):
		if kind == 'kernel':
			what.append('W=1 vmlinux modules')
			found = build_kernel(src, base_warns, stems)
			state['kernel_ok'] = not found
			findings += found
		elif kind == 'nvdimm':
			what.append('tools/testing/nvdimm')
			findings += static.nvdimm_test_builds(src)
		elif kind.startswith('selftests:'):
			sub = kind.split(':', 1)[1]
			what.append(f'selftests/{sub}')
			findings += build_selftests(src, sub)
		elif kind == 'harness':
			what.append('harness syntax')
			findings += check_harness(src)
		elif kind == 'docs':
			what.append('no build input')
			if not state['kernel_ok']:
				findings.append('the previous prefix did not build')
	return findings, ', '.join(what)
