# SPDX-License-Identifier: GPL-2.0
"""dax-vm series --check: the series applies, matches and builds.

1. `dax-vm series` writes the series;
2. a fresh clone of the base repository (build/series/check) takes it
   with `git am`, one case per patch;
3. the result must be the tree the tests run on: its git tree is compared
   with the base plus a fresh staging of the overlay and the harness, and
   every file of build/ours/src that the overlay manages (after bringing
   it up to date) with the applied file;
4. checkpatch.pl --strict on every patch; a finding passes only if it is
   in JUSTIFIED below (and README.md) or is FILE_PATH_CHANGES for files
   that the DAX entry of MAINTAINERS already covers at that commit;
5. every prefix is built (dax_vm_series_build).

Closing line: "series: N passed, M failed".
"""

import concurrent.futures
import filecmp
import fnmatch
import os
import re
import shutil
import subprocess
import tempfile
import time

import dax_vm_host as host
import dax_vm_series as series
import dax_vm_series_base as gbase
import dax_vm_series_build as sbuild
import dax_vm_tree as tree
from dax_vm_host import Step

# (file glob, checkpatch type): findings that stay, for the reason given.
# Only userspace test code is listed; drivers/ and the ABI document must be
# clean.  Keep README.md's "The patch series" section in step with this.
SELFTESTS = 'tools/testing/selftests/dax/*'
HARNESS = 'tools/testing/dax/*'
JUSTIFIED = {
	(SELFTESTS, 'VOLATILE'): 'loads and stores through device mappings '
		'must reach the mapping (that is what faults it)',
	(HARNESS, 'VOLATILE'): 'as above, in the guest programs',
	(SELFTESTS, 'CAMELCASE'): 'PRIu64, SCNx64, ... are <inttypes.h>',
	(SELFTESTS, 'SSCANF_TO_KSTRTO'): 'userspace has no kstrto*()',
	(SELFTESTS, 'NAKED_SSCANF'): 'checked by ASSERT_EQ() (two in '
		'dax_common.h are style debt)',
	(SELFTESTS, 'COMPLEX_MACRO'): 'kselftest_harness FIXTURE_VARIANT_ADD '
		'wrappers expand to definitions',
	(SELFTESTS, 'MACRO_WITH_FLOW_CONTROL'): 'ASSERT-style helpers return '
		'from the test like kselftest_harness ASSERT_*',
	(SELFTESTS, 'MACRO_ARG_REUSE'): 'same ASSERT-style helpers',
	(SELFTESTS, 'STRING_FRAGMENTS'): 'format strings built with PRIu64',
	(SELFTESTS, 'SPLIT_STRING'): 'same, test messages with PRIu64',
	(SELFTESTS, 'LONG_LINE'): 'style debt: TEST_F lines and assertions',
	(SELFTESTS, 'LONG_LINE_STRING'): 'style debt: messages with PRIu64',
	(SELFTESTS, 'LONG_LINE_COMMENT'): 'shell one-liners that checkpatch '
		'reads as comments',
	(SELFTESTS, 'ARRAY_SIZE'): 'style debt: sizeof(a) / sizeof(a[0])',
	(SELFTESTS, 'PARENTHESIS_ALIGNMENT'): 'style debt',
	(SELFTESTS, 'LEADING_SPACE'): 'style debt',
	(SELFTESTS, 'SPACING'): 'false positive: FIXTURE_DATA(x) *self',
	(HARNESS, 'EXECUTE_PERMISSIONS'): 'dax-vm and guest/init are scripts; '
		'checkpatch knows scripts by extension only',
	(HARNESS, 'REPEATED_WORD'): 'false positive: mount -t proc proc /proc',
	(HARNESS, 'ARRAY_SIZE'): 'guest/dax-bench.c is a static userspace '
		'program without the kernel headers: sizeof(a) / sizeof(a[0])',
	(HARNESS, 'BIT_MACRO'): 'same: no BIT() in userspace',
	(HARNESS, 'MACRO_ARG_REUSE'): 'style debt in guest/dax-bench.c',
}

CHECKER = 'dax-vm series check <dax-vm@localhost>'


class Cases:
	def __init__(self):
		self.items = []

	def add(self, name, ok, detail=''):
		self.items.append((name, ok))
		mark = 'ok' if ok else 'not ok'
		print(f'  {mark} {len(self.items)} {name}' +
		      (f' ({detail})' if detail else ''), flush=True)

	def counts(self):
		passed = sum(1 for _, ok in self.items if ok)
		return passed, len(self.items) - passed


def patch_paths(patches):
	"""Every path the patches touch (their diff --git lines)."""
	out = set()
	for p in patches:
		with open(p, errors='replace') as f:
			for line in f:
				m = re.match(r'^diff --git a/(\S+) b/(\S+)$', line)
				if m:
					out.update(m.groups())
	return sorted(out)


def fresh_repo(base, patches):
	"""A new clone of the base repository, checked out sparsely.

	Only the files the patches touch are written: a checkout of all
	80,000 files would cost minutes on a busy machine, and nothing else
	of the work tree is used (checkpatch runs from the base repository,
	the comparison works on git trees).
	"""
	work = os.path.join(gbase.series_root(), 'check')
	with Step('fresh clone of the base repository'):
		shutil.rmtree(work, ignore_errors=True)
		gbase.git(gbase.series_root(), 'clone', '-q', '--shared',
			  '--no-checkout', '-b', 'base', base.path, work)
		gbase.git(work, 'config', 'core.sparseCheckout', 'true')
		with open(os.path.join(work, '.git', 'info', 'sparse-checkout'),
			  'w') as f:
			f.write(''.join(f'/{p}\n' for p in patch_paths(patches)))
		gbase.git(work, 'checkout', '-q', 'base')
	return work


def checker_env():
	return gbase.fixed_env('dax-vm series check', 'dax-vm@localhost',
			       '2000-01-01T00:00:00+0000')


def apply_all(work, patches, cases):
	"""git am each patch; returns the commit of each applied one."""
	commits = []
	env = checker_env()
	broken = False
	for p in patches:
		name = os.path.basename(p)
		if broken:
			cases.add(f'{name}: git am', False, 'an earlier patch did not apply')
			continue
		res = subprocess.run(['git', '-C', work, 'am', '-q', p], env=env,
				     capture_output=True, text=True)
		if res.returncode:
			print(res.stdout + res.stderr)
			subprocess.run(['git', '-C', work, 'am', '--abort'], env=env,
				       capture_output=True)
			broken = True
		else:
			commits.append(gbase.git(work, 'rev-parse', 'HEAD'))
		cases.add(f'{name}: git am', not res.returncode)
	return commits


def compare(work, base, cases):
	"""The applied tree against a fresh staging and against build/ours."""
	problems = []
	with tempfile.TemporaryDirectory(dir=gbase.series_root()) as stage:
		paths = series.stage_tree(base, stage)
		want = series.expected_tree(work, base.commit, stage, paths)
	have = gbase.git(work, 'rev-parse', 'HEAD^{tree}')
	if want != have:
		diff = gbase.git(work, 'diff', '--stat', want, have)
		problems.append('git am result differs from the staged tree:\n' + diff)
	ours = tree.tree_dir('ours')
	stock = tree.tree_dir('stock')
	if os.path.exists(os.path.join(ours, 'Makefile')) and \
	   os.path.exists(os.path.join(stock, 'Makefile')):
		tree.overlay(stock, ours)
		with open(os.path.join(os.path.dirname(ours), 'overlay.list')) as f:
			managed = [line.strip() for line in f if line.strip()]
		for rel in managed:
			a, b = os.path.join(work, rel), os.path.join(ours, rel)
			if not (os.path.exists(a) and filecmp.cmp(a, b, shallow=False)):
				problems.append(f'{rel}: differs from build/ours/src')
		detail = f'{len(managed)} overlay files of build/ours/src, tree {have[:12]}'
	else:
		detail = f'tree {have[:12]}; build/ours/src not built, staged tree only'
	for p in problems:
		print(p)
	cases.add('git am result == the tree --impl ours builds', not problems, detail)


def maintained_patterns(work, commit):
	"""F: patterns of the DEVICE DIRECT ACCESS (DAX) entry at commit."""
	text = gbase.git(work, 'show', f'{commit}:MAINTAINERS')
	m = re.search(r'^DEVICE DIRECT ACCESS \(DAX\)\n(.*?)\n\n', text, re.M | re.S)
	if not m:
		return []
	return [line.split('\t', 1)[1] for line in m.group(1).splitlines()
		if line.startswith('F:\t')]


def covered(path, patterns):
	for pat in patterns:
		if pat.endswith('/') and path.startswith(pat):
			return True
		if fnmatch.fnmatchcase(path, pat):
			return True
	return False


def added_files(work, commit):
	out = gbase.git(work, 'diff', '--name-only', '--diff-filter=ADR',
			f'{commit}~1', commit)
	return [line for line in out.splitlines() if line]


def findings(output):
	"""[(type, file or '', first line)] of checkpatch --show-types output."""
	out = []
	for block in output.split('\n\n'):
		lines = block.strip().splitlines()
		if not lines:
			continue
		m = re.match(r'^(ERROR|WARNING|CHECK):(\w+):', lines[0])
		if not m:
			continue
		f = re.search(r'FILE: ([^:\s]+)', block)
		out.append((m.group(2), f.group(1) if f else '', lines[0]))
	return out


def justified(kind, path, work, commit):
	if kind == 'FILE_PATH_CHANGES':
		pats = maintained_patterns(work, commit)
		return all(covered(f, pats) for f in added_files(work, commit))
	return any(fnmatch.fnmatchcase(path, g) and kind == k for g, k in JUSTIFIED)


def checkpatch_all(base, work, patches, commits, cases):
	"""checkpatch.pl --strict on every patch, two at a time."""
	script = os.path.join(base.path, 'scripts', 'checkpatch.pl')
	# spdxcheck.py needs Debian's python3 with python3-ply, not another
	# python3 that comes first in PATH
	env = dict(os.environ, PATH='/usr/bin:/bin:' + os.environ.get('PATH', ''))

	def one(p):
		return subprocess.run(['perl', script, '--strict', '--show-types',
				       '--no-summary', '--quiet', p], cwd=base.path,
				      capture_output=True, text=True, env=env)
	with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
		results = list(pool.map(one, patches[:len(commits)]))
	for i, p in enumerate(patches):
		name = os.path.basename(p)
		if i >= len(commits):
			cases.add(f'{name}: checkpatch --strict', False, 'not applied')
			continue
		res = results[i]
		found = findings(res.stdout)
		left = [f for f in found if not justified(f[0], f[1], work, commits[i])]
		for kind, path, line in left:
			print(f'    {path}: {line}')
		if res.stderr:
			print(res.stderr.rstrip())
		kept = len(found) - len(left)
		cases.add(f'{name}: checkpatch --strict', not left and not res.stderr,
			  f'{kept} justified' if kept else '')


def build_all(work, base, patches, commits, cases):
	src = sbuild.seed()
	touched = gbase.git(work, 'diff', '--name-only', base.commit, 'HEAD').split()
	env = checker_env()
	tip = gbase.git(work, 'rev-parse', 'HEAD')
	gbase.git(work, 'checkout', '-q', '--detach', base.commit, env=env)
	sbuild.sync(work, src, touched)
	base_warns = sbuild.baseline(src, touched)
	stems = ['drivers/dax/'] + sorted({os.path.splitext(p)[0] for p in touched
					   if p.startswith('drivers/')})
	state = {'kernel_ok': True}
	for i, p in enumerate(patches):
		name = os.path.basename(p)
		if i >= len(commits):
			cases.add(f'{name}: build', False, 'not applied')
			continue
		gbase.git(work, 'checkout', '-q', '--detach', commits[i], env=env)
		sbuild.sync(work, src, touched)
		mine = gbase.git(work, 'diff', '--name-only', f'{commits[i]}~1',
				 commits[i]).split()
		t0 = time.monotonic()
		findings, what = sbuild.build_prefix(src, mine, base_warns, state,
						     stems)
		for line in findings:
			print(f'    {line}')
		cases.add(f'{name}: build', not findings,
			  f'{what}, {time.monotonic() - t0:.0f}s')
	gbase.git(work, 'checkout', '-q', '--detach', tip, env=env)


def run(out):
	t0 = time.monotonic()
	cases = Cases()
	base, files, _ = series.generate(out)
	patches = files[1:]
	work = fresh_repo(base, patches)
	with Step(f'git am {len(patches)} patches'):
		commits = apply_all(work, patches, cases)
	with Step('compare with the overlay tree'):
		compare(work, base, cases)
	with Step('checkpatch --strict on every patch'):
		checkpatch_all(base, work, patches, commits, cases)
	with Step('build every prefix'):
		build_all(work, base, patches, commits, cases)
	passed, failed = cases.counts()
	took = time.monotonic() - t0
	host.progress(f'series --check took {took // 60:.0f} min {took % 60:.0f} s')
	print(f'series: {passed} passed, {failed} failed', flush=True)
	return 1 if failed else 0
