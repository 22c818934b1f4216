# SPDX-License-Identifier: GPL-2.0
"""Static checks of the repo's own kernel C sources, counted as tests.

The dax.config build also compiles pmem.c and cxl.c (dax_pmem.ko,
dax_cxl.ko) against our headers; tools/testing/nvdimm is built here.

checkpatch --strict on every .c/.h file the repo provides under drivers/,
then each such .c file is recompiled in the ours tree with W=1 and sparse
(C=1) and any warning that names one of our files fails the check.  The
compile results are cached by the content of our sources and the config,
so an unchanged tree is not recompiled.
"""

import hashlib
import os
import re
import subprocess

import dax_vm_host as host
import dax_vm_testmods as testmods
import dax_vm_tree as tree
from dax_vm_parser import Case

SUITE = 'static'


def our_sources():
	return [f for f in tree.repo_kernel_files()
		if f.startswith('drivers/') and f.endswith(('.c', '.h'))]


def checkpatch(src, files):
	cases = []
	script = os.path.join(src, 'scripts/checkpatch.pl')
	for rel in files:
		res = subprocess.run(['perl', script, '--strict', '--no-tree',
				      '--quiet', '--show-types', '-f',
				      os.path.join(host.REPO_ROOT, rel)],
				     capture_output=True, text=True)
		ok = res.returncode == 0 and not res.stdout.strip()
		if not ok:
			print(res.stdout.rstrip())
		cases.append(Case(SUITE, len(cases) + 1, f'checkpatch --strict {rel}',
				  'pass' if ok else 'fail'))
	return cases


def content_key(files):
	h = hashlib.sha256()
	for rel in sorted(files) + [os.path.relpath(tree.CONFIG_FRAGMENT, host.REPO_ROOT)]:
		h.update(rel.encode())
		with open(os.path.join(host.REPO_ROOT, rel), 'rb') as f:
			h.update(f.read())
	return h.hexdigest()


def compile_checks(src, files):
	"""W=1 + sparse on our .c files; returns the list of findings."""
	cfiles = [f for f in files if f.endswith('.c')]
	cache = os.path.join(os.path.dirname(src), 'static.cache')
	key = content_key(files)
	if os.path.exists(cache):
		with open(cache) as f:
			head, _, body = f.read().partition('\n')
		if head == key:
			return [line for line in body.splitlines() if line]
	nvdimm = nvdimm_test_builds(src)
	objs = [f[:-2] + '.o' for f in cfiles]
	for rel in cfiles:
		os.utime(os.path.join(src, rel))
	with host.build_lock():
		res = subprocess.run(tree.make_args(src, 'C=1', *objs),
				     env=host.build_env(), capture_output=True, text=True)
	names = '|'.join(re.escape(f) for f in files)
	pat = re.compile(rf'^(\./)?({names}):\d+(:\d+)?: (warning|error)')
	findings = [line for line in (res.stdout + res.stderr).splitlines()
		    if pat.match(line)]
	if res.returncode:
		findings.append(f'make exited {res.returncode}: ' +
				(res.stderr.strip().splitlines() or [''])[-1])
	findings += nvdimm
	with open(cache, 'w') as f:
		f.write(key + '\n' + ''.join(x + '\n' for x in findings))
	return findings


NVDIMM_TEST = 'tools/testing/nvdimm'


def nvdimm_test_builds(src):
	"""Build tools/testing/{nvdimm,cxl} (nfit_test, cxl_test) against our
	headers: they compile device.c, pmem.c and nfit_test's own
	dax_pgoff_to_phys() override as external modules, with W=1.  Returns
	the findings in dax code (the nvdimm and CXL cores' own W=1 notes are
	not ours to fix).
	"""
	testmods.build('ours', src)
	with open(os.path.join(os.path.dirname(src), 'testmods.log')) as f:
		out = f.read().splitlines()
	return [line for line in out
		if re.search(r'(warning|error):', line) and
		re.search(r'drivers/dax/|nvdimm/[\w-]*dax', line)]


def run(src):
	"""The static suite's cases for the ours tree at src."""
	files = our_sources()
	if not files:
		return [Case(SUITE, 1, 'repo has no drivers/ C sources yet', 'skip',
			     'SKIP nothing to check')]
	cases = checkpatch(src, files)
	findings = compile_checks(src, files)
	for line in findings:
		print(line)
	cases.append(Case(SUITE, len(cases) + 1,
			  f'W=1 and sparse clean ({len([f for f in files if f.endswith(".c")])} files), '
			  f'{NVDIMM_TEST} builds against our headers',
			  'fail' if findings else 'pass'))
	return cases
