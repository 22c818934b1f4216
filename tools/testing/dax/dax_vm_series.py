# SPDX-License-Identifier: GPL-2.0
"""dax-vm series: the repo as a git format-patch series on the base tree.

The tree the series must produce is the one `--impl ours` builds (the
overlay's files and the patches/series edits, from stage_ours()) plus the
VM harness in tools/testing/dax.  Every file of it that differs from the
base lands whole, at its final content, in the patch that
series/patches.txt assigns it to.  The commits are made with git's
plumbing on the base repository (no checkout), with the author and date
of patches.txt, so the same repo state gives the same series; then
`git format-patch --cover-letter` writes it out.
"""

import os
import shutil
import stat
import subprocess
import tempfile

import dax_vm_host as host
import dax_vm_series_base as gbase
import dax_vm_series_spec as sspec
import dax_vm_tree as tree
from dax_vm_host import Step

HARNESS_REL = 'tools/testing/dax'
SERIES_REF = 'refs/heads/series'
SKIP_NAMES = ('__pycache__',)
SKIP_SUFFIXES = ('.pyc', '.o', '.ko')


def harness_files():
	"""Files of tools/testing/dax, relative to the repo."""
	out = []
	top = os.path.join(host.REPO_ROOT, HARNESS_REL)
	for dirpath, dirnames, filenames in os.walk(top):
		dirnames[:] = sorted(d for d in dirnames if d not in SKIP_NAMES)
		for name in sorted(filenames):
			if not name.endswith(SKIP_SUFFIXES):
				out.append(os.path.relpath(os.path.join(dirpath, name),
							   host.REPO_ROOT))
	return out


def stage_tree(base, stage):
	"""Write every file the series must produce into stage/.

	Returns the relative paths.  The kernel part comes from
	tree.stage_ours(), the same code that lays out build/ours/src.
	"""
	paths = set(tree.stage_ours(base.path, stage))
	for rel in harness_files():
		dst = os.path.join(stage, rel)
		os.makedirs(os.path.dirname(dst), exist_ok=True)
		shutil.copy2(os.path.join(host.REPO_ROOT, rel), dst)
		paths.add(rel)
	return sorted(paths)


def git_mode(path):
	return '100755' if os.stat(path).st_mode & stat.S_IXUSR else '100644'


def hash_files(repo, stage, paths):
	"""{path: blob id} of stage/path, written into repo's objects."""
	if not paths:
		return {}
	res = subprocess.run(['git', '-C', repo, 'hash-object', '-w',
			      '--stdin-paths', '--no-filters'],
			     input=''.join(os.path.join(stage, p) + '\n' for p in paths),
			     capture_output=True, text=True, check=True)
	return dict(zip(paths, res.stdout.split()))


class TreeBuilder:
	"""A temporary index on a base commit: lay files over it, write trees."""

	def __init__(self, repo, base_commit, env=None):
		self.repo = repo
		self.tmp = tempfile.TemporaryDirectory()
		self.env = dict(env or os.environ,
				GIT_INDEX_FILE=os.path.join(self.tmp.name, 'index'))
		gbase.git(repo, 'read-tree', base_commit, env=self.env)

	def add(self, stage, paths):
		blobs = hash_files(self.repo, stage, paths)
		info = ''.join(f'{git_mode(os.path.join(stage, p))} {blobs[p]}\t{p}\n'
			       for p in paths)
		subprocess.run(['git', '-C', self.repo, 'update-index', '--index-info'],
			       input=info, text=True, check=True, env=self.env)

	def write(self):
		return gbase.git(self.repo, 'write-tree', env=self.env)

	def close(self):
		self.tmp.cleanup()


def expected_tree(repo, base_commit, stage, paths):
	"""Tree id of base_commit with stage/paths laid over it."""
	tb = TreeBuilder(repo, base_commit)
	try:
		tb.add(stage, paths)
		return tb.write()
	finally:
		tb.close()


def changed_paths(repo, base_commit, stage, paths):
	"""The paths whose content or mode differs from the base commit."""
	blobs = hash_files(repo, stage, paths)
	res = subprocess.run(['git', '-C', repo, 'ls-tree', '-r', '--full-tree',
			      base_commit, '--'] + list(paths),
			     capture_output=True, text=True, check=True)
	have = {}
	for line in res.stdout.splitlines():
		meta, path = line.split('\t', 1)
		mode, _, blob = meta.split()
		have[path] = (mode, blob)
	return [p for p in paths
		if have.get(p) != (git_mode(os.path.join(stage, p)), blobs[p])]


def parse_ident(author):
	name, _, email = author.partition('<')
	return name.strip(), email.rstrip('>').strip()


def message(spec, p):
	return f'{p.subject}\n\n{p.text()}\nSigned-off-by: {spec.author}\n'


def make_commits(spec, base, stage, paths):
	"""One commit per patch on base; returns [(patch, commit)]."""
	changed = changed_paths(base.path, base.commit, stage, paths)
	where = sspec.assign(spec, changed)
	name, email = parse_ident(spec.author)
	env = gbase.fixed_env(name, email, spec.date)
	parent = base.commit
	done = []
	tb = TreeBuilder(base.path, base.commit, env)
	try:
		for i, p in enumerate(spec.patches):
			mine = [path for path in changed if where[path] == i]
			if not mine:
				host.die(f'patch {i + 1} ({p.subject}) changes nothing')
			tb.add(stage, mine)
			parent = gbase.git(base.path, 'commit-tree', tb.write(), '-p',
					   parent, '-m', message(spec, p), env=env)
			done.append((p, parent, mine))
	finally:
		tb.close()
	gbase.git(base.path, 'update-ref', SERIES_REF, parent)
	return done


def base_text(base):
	return (f'The base is Debian\'s linux-source-6.12 {base.debian}, which is\n'
		f'Linux {base.upstream} (its Makefile) with the Debian patches.  The\n'
		'tarball has no upstream commit: base-commit below is the one commit\n'
		'of `git init; git add -A -f; git commit` on the extracted tree (author\n'
		'"linux-source-6.12", dated as the top Makefile), and base-tree is its\n'
		'tree hash, which depends on the files alone.  `dax-vm series --check`\n'
		'makes that repository from /usr/src/linux-source-6.12.tar.xz.')


def fill_cover(path, spec, base):
	with open(path) as f:
		text = f.read()
	body = spec.cover.text()
	body = body.replace('@BASE@', base_text(base))
	body = body.replace('@DIVERGENCES@', sspec.readme_divergences().rstrip())
	text = text.replace('*** SUBJECT HERE ***', spec.cover.subject)
	text = text.replace('*** BLURB HERE ***', body.rstrip())
	marker = f'base-commit: {base.commit}\n'
	if marker not in text:
		host.die('git format-patch wrote no base-commit line')
	text = text.replace(marker, marker + f'base-tree: {base.tree}\n')
	with open(path, 'w') as f:
		f.write(text)


def format_patches(spec, base, out):
	name, email = parse_ident(spec.author)
	env = gbase.fixed_env(name, email, spec.date)
	os.makedirs(out, exist_ok=True)
	for old in os.listdir(out):
		if old.endswith('.patch'):
			os.unlink(os.path.join(out, old))
	gbase.git(base.path, 'format-patch', '-q', '--cover-letter',
			  '--no-signature', f'--base={base.commit}', '-o', out,
			  f'{base.commit}..{SERIES_REF}', env=env)
	files = sorted(os.listdir(out))
	fill_cover(os.path.join(out, files[0]), spec, base)
	return [os.path.join(out, f) for f in files]


def generate(out):
	"""Write the series into out/; returns (base, patch files, commits)."""
	spec = sspec.parse()
	base = gbase.ensure_base()
	with tempfile.TemporaryDirectory(dir=gbase.series_root()) as stage:
		with Step('stage the tree of the series'):
			paths = stage_tree(base, stage)
		with Step(f'commit {len(spec.patches)} patches on the base'):
			commits = make_commits(spec, base, stage, paths)
	with Step(f'git format-patch into {out}'):
		files = format_patches(spec, base, out)
	return base, files, commits


def default_out():
	return os.path.join(gbase.series_root(), 'out')


def job_series(args):
	out = os.path.abspath(args.out or default_out())
	if args.check:
		import dax_vm_series_check as check
		return check.run(out)
	_, files, _ = generate(out)
	for f in files:
		print(f)
	return 0
