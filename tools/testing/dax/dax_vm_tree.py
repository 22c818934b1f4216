# SPDX-License-Identifier: GPL-2.0
"""Kernel trees for dax-vm: extract, overlay the repo, patch, configure, build.

Two trees live under build/: build/stock/src is the untouched base tree and
build/ours/src is the base tree with the repo's files and patches/series on
top.  Files are only written when their content changes, so make stays
incremental.  A file the repo stops providing is restored from the stock
tree.  A profile builds another pair, build/stock-PROFILE and
build/ours-PROFILE, with PROFILE.config merged on top of dax.config:
`--debug` the debug kernels, `bench` kernels without the lock and
fault-injection debugging the suites need.
"""

import filecmp
import hashlib
import os
import shutil
import subprocess
import tempfile

import dax_vm_host as host
from dax_vm_host import Step

# Repo paths that are not kernel sources.
NOT_KERNEL = ('build', '.git', '.ci', 'patches', 'tools/testing/dax',
	      'README.md', '.gitignore', 'LICENSE')

CONFIG_FRAGMENT = os.path.join(host.HARNESS_DIR, 'dax.config')
# the profiles and the fragment each merges after dax.config
PROFILES = ('debug', 'bench')


def tree_dir(impl):
	return os.path.join(host.BUILD_ROOT, impl, 'src')


def variant(impl, profile):
	"""The build name of impl ('ours', 'stock') in profile (None: the
	test kernels)."""
	return f'{impl}-{profile}' if profile else impl


def fragments(src):
	"""The config fragments src is configured from, in merge order."""
	name = os.path.basename(os.path.dirname(src))
	for profile in PROFILES:
		if name.endswith('-' + profile):
			return [CONFIG_FRAGMENT,
				os.path.join(host.HARNESS_DIR, profile + '.config')]
	return [CONFIG_FRAGMENT]


def extract(impl):
	"""Extract the base tarball into build/<impl>/src once."""
	dst = tree_dir(impl)
	if os.path.exists(os.path.join(dst, 'Makefile')):
		return dst
	parent = os.path.dirname(dst)
	os.makedirs(parent, exist_ok=True)
	with Step(f'extract base tree for {impl}'):
		tmp = tempfile.mkdtemp(dir=parent)
		host.run(['tar', '-C', tmp, '-xf', host.SOURCE_TARBALL])
		os.rename(os.path.join(tmp, 'linux-source-6.12'), dst)
		os.rmdir(tmp)
	return dst


def repo_kernel_files():
	"""Relative paths of every kernel file the repo provides."""
	out = []
	root = host.REPO_ROOT
	for dirpath, dirnames, filenames in os.walk(root):
		rel_dir = os.path.relpath(dirpath, root)
		rel_dir = '' if rel_dir == '.' else rel_dir
		dirnames[:] = sorted(d for d in dirnames
				     if os.path.join(rel_dir, d) not in NOT_KERNEL
				     and d not in ('__pycache__',))
		for name in sorted(filenames):
			rel = os.path.join(rel_dir, name)
			if rel in NOT_KERNEL or name.endswith(('.o', '.ko', '.pyc')):
				continue
			out.append(rel)
	return out


def read_series():
	path = os.path.join(host.REPO_ROOT, 'patches', 'series')
	if not os.path.exists(path):
		return []
	names = []
	with open(path) as f:
		for line in f:
			line = line.split('#', 1)[0].strip()
			if line:
				names.append(os.path.join(host.REPO_ROOT, 'patches', line))
	return names


def patch_targets(patch):
	"""Files a patch touches (its +++ lines, with -p1)."""
	files = []
	with open(patch, errors='replace') as f:
		for line in f:
			if line.startswith('+++ ') and not line.startswith('+++ /dev/null'):
				name = line[4:].split('\t')[0].strip()
				files.append(name.split('/', 1)[1])
	return files


def copy_if_changed(src, dst):
	"""Copy src over dst unless identical; returns True when written."""
	if os.path.exists(dst) and filecmp.cmp(src, dst, shallow=False):
		return False
	os.makedirs(os.path.dirname(dst), exist_ok=True)
	shutil.copy2(src, dst)
	os.utime(dst)   # newer than any object built from the old content
	return True


def stage_ours(stock, stage):
	"""Build the desired content of every managed file inside stage/."""
	managed = set(repo_kernel_files())
	for rel in managed:
		dst = os.path.join(stage, rel)
		os.makedirs(os.path.dirname(dst), exist_ok=True)
		shutil.copy2(os.path.join(host.REPO_ROOT, rel), dst)
	for patch in read_series():
		for rel in patch_targets(patch):
			dst = os.path.join(stage, rel)
			if rel not in managed and os.path.exists(os.path.join(stock, rel)):
				os.makedirs(os.path.dirname(dst), exist_ok=True)
				shutil.copy2(os.path.join(stock, rel), dst)
			managed.add(rel)
		res = subprocess.run(['patch', '-p1', '-s', '-f', '-d', stage, '-i',
				      patch], capture_output=True, text=True)
		if res.returncode:
			host.die(f'{os.path.basename(patch)} does not apply:\n'
				 + res.stdout + res.stderr)
	return managed


def overlay(stock, ours):
	"""Bring build/ours/src to base + repo files + patches, incrementally."""
	manifest = os.path.join(os.path.dirname(ours), 'overlay.list')
	old = set()
	if os.path.exists(manifest):
		with open(manifest) as f:
			old = {line.strip() for line in f if line.strip()}
	changed = []
	with tempfile.TemporaryDirectory() as stage:
		managed = stage_ours(stock, stage)
		for rel in sorted(managed):
			if copy_if_changed(os.path.join(stage, rel), os.path.join(ours, rel)):
				changed.append(rel)
	for rel in sorted(old - managed):
		base = os.path.join(stock, rel)
		dst = os.path.join(ours, rel)
		if os.path.exists(base):
			if copy_if_changed(base, dst):
				changed.append(rel + ' (restored)')
		elif os.path.exists(dst):
			os.unlink(dst)
			changed.append(rel + ' (removed)')
	with open(manifest, 'w') as f:
		f.write(''.join(r + '\n' for r in sorted(managed)))
	for rel in changed:
		host.progress(f'overlay: {rel}')
	return changed


def fragment_options(src):
	"""(name, value) for every option src's fragments set, the last
	fragment winning; value 'n' = unset."""
	opts = {}
	for frag in fragments(src):
		with open(frag) as f:
			for line in f:
				line = line.strip()
				if line.startswith('CONFIG_'):
					name, val = line.split('=', 1)
					opts[name] = val
				elif line.startswith('# CONFIG_') and line.endswith(' is not set'):
					opts[line.split()[1]] = 'n'
	return list(opts.items())


def defined_symbols(src):
	"""Every config symbol the tree's Kconfig files define."""
	out = subprocess.run(['grep', '-rhoE', '--include=Kconfig*',
			      r'^\s*(menu)?config\s+[A-Za-z0-9_]+', src],
			     capture_output=True, text=True).stdout
	return {'CONFIG_' + line.split()[-1] for line in out.splitlines()}


def config_mismatches(src):
	"""Fragment options the .config does not have as asked.

	An option the tree does not define at all (our KUnit module, in the
	stock tree) is not a mismatch.
	"""
	known = defined_symbols(src)
	have = {}
	with open(os.path.join(src, '.config')) as f:
		for line in f:
			line = line.strip()
			if line.startswith('CONFIG_'):
				name, val = line.split('=', 1)
				have[name] = val
	return [(n, v, have.get(n, 'n')) for n, v in fragment_options(src)
		if have.get(n, 'n') != v and n in known]


def wanted_stamp(src):
	"""The hash of src's fragments: a tree configured from them carries it."""
	h = hashlib.sha256()
	for frag in fragments(src):
		with open(frag, 'rb') as f:
			h.update(f.read())
	return h.hexdigest()


def stamp_path(src):
	return os.path.join(os.path.dirname(src), 'config.stamp')


def configured(src):
	"""True when src's .config was made from today's fragment."""
	stamp = stamp_path(src)
	if not (os.path.exists(stamp) and os.path.exists(os.path.join(src, '.config'))):
		return False
	with open(stamp) as f:
		return f.read().strip() == wanted_stamp(src)


def merge_fragment(src, env):
	"""Merge src's fragments into its .config, then settle the rest."""
	quiet = {'stdout': subprocess.DEVNULL, 'env': env}
	host.run([os.path.join(src, 'scripts/kconfig/merge_config.sh'), '-m',
		  '-O', src, os.path.join(src, '.config')] + fragments(src),
		 cwd=src, **quiet)
	host.run(make_cmd(src, 'olddefconfig'), **quiet)


def configure(impl, src):
	"""tinyconfig + dax.config, redone only when the fragment changes.

	A tree copied from the stock build carries the stock .config, which
	lacks the options only our Kconfig defines (the KUnit modules): those
	are merged in on top, without starting over from tinyconfig.
	"""
	if configured(src):
		if config_mismatches(src):
			with Step(f'configure {impl}: options the stock tree lacks'):
				merge_fragment(src, host.build_env())
			bad = config_mismatches(src)
			if bad:
				host.die('config options did not stick: ' +
					 ', '.join(f'{n}={v} (got {g})' for n, v, g in bad))
		return
	env = host.build_env()
	names = ' + '.join(os.path.basename(f) for f in fragments(src))
	with Step(f'configure {impl} (tinyconfig + {names})'):
		host.run(make_cmd(src, 'tinyconfig'),
			 stdout=subprocess.DEVNULL, env=env)
		merge_fragment(src, env)
	bad = config_mismatches(src)
	if bad:
		host.die('config options did not stick: ' +
			 ', '.join(f'{n}={v} (got {g})' for n, v, g in bad))
	with open(stamp_path(src), 'w') as f:
		f.write(wanted_stamp(src) + '\n')


def build_path():
	"""The one path every kernel tree is built at: the stock tree's.

	objtool and other host tools record absolute paths, so a tree built
	at a second path rebuilds them and then every object.  The ours tree,
	a copy of the built stock tree, is therefore built with itself
	bind-mounted over the stock tree's path, in a mount namespace of the
	make's own (nothing outside it sees the mount).
	"""
	return tree_dir('stock')


def make_cmd(src, *args):
	"""make -C at build_path() with src's content, plus args."""
	at = build_path()
	make = ['make', '-C', at] + list(args)
	if os.path.realpath(src) == os.path.realpath(at):
		return make
	script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'
	return ['unshare', '--mount', 'sh', '-c', script, 'sh', src, at] + make


def make_args(src, *targets):
	return make_cmd(src, '-j', host.jobs(), f'CC={host.make_cc()}', 'W=1',
			*targets)


def make_kernel(impl, src):
	log = os.path.join(os.path.dirname(src), 'build.log')
	with host.build_lock(), Step(f'build {impl} kernel (bzImage, modules)'):
		with open(log, 'w') as out:
			res = subprocess.run(make_args(src, 'bzImage', 'modules'),
					     env=host.build_env(), stdout=out,
					     stderr=subprocess.STDOUT)
	if res.returncode:
		subprocess.run(['tail', '-n', '40', log])
		host.die(f'{impl} kernel build failed, see {log}')


def built(src):
	return configured(src) and os.path.exists(os.path.join(src, 'vmlinux'))


def copy_built_tree(stock, name):
	"""Make build/<name>/src a copy of the built tree stock.

	ours and stock differ in drivers/dax (and patches/series) alone, so a
	copy of the stock build with the overlay laid over it rebuilds only
	those objects and the final link, instead of the whole kernel.  A
	debug tree starts as a copy too: its new config rebuilds the objects
	but not the host tools.
	"""
	ours = tree_dir(name)
	parent = os.path.dirname(ours)
	os.makedirs(parent, exist_ok=True)
	with Step(f'copy the built {os.path.basename(os.path.dirname(stock))} '
		  f'tree for {name}'):
		tmp = ours + '.tmp'
		shutil.rmtree(tmp, ignore_errors=True)
		host.run(['cp', '-a', '--reflink=auto', stock, tmp])
		shutil.rmtree(ours, ignore_errors=True)
		os.rename(tmp, ours)
		shutil.copy2(stamp_path(stock), stamp_path(ours))
		manifest = os.path.join(parent, 'overlay.list')
		if os.path.exists(manifest):
			os.unlink(manifest)
	return ours


def stock_tree(profile):
	"""The stock tree of the profile, extracted or copied, not built."""
	base = extract('stock')
	if not profile:
		return base
	src = tree_dir(variant('stock', profile))
	if os.path.exists(os.path.join(src, 'Makefile')):
		return src
	if not built(base):
		build_stock(base)
	return copy_built_tree(base, variant('stock', profile))


def build_stock(src):
	configure(os.path.basename(os.path.dirname(src)), src)
	make_kernel(os.path.basename(os.path.dirname(src)), src)


def build(impl, profile=None):
	"""Prepare and build impl's tree of the profile; returns its path.

	The profile's stock tree is built first in any case; ours starts as
	a copy of it whenever ours was not built from today's fragments.
	"""
	stock = stock_tree(profile)
	name = variant('ours', profile)
	if impl == 'stock' or not built(tree_dir(name)):
		build_stock(stock)
	if impl == 'stock':
		return stock
	src = tree_dir(name)
	if not built(src):
		src = copy_built_tree(stock, name)
	overlay(extract('stock'), src)
	configure(name, src)
	make_kernel(name, src)
	return src


def prepare_ours_tree():
	"""The ours tree with the overlay, without building the kernel.

	The selftests are built from it (they need the tree's lib.mk and
	uapi headers) for both implementations.
	"""
	stock = extract('stock')
	src = tree_dir('ours')
	if not os.path.exists(os.path.join(src, 'Makefile')):
		src = copy_built_tree(stock, 'ours') if built(stock) else extract('ours')
	overlay(stock, src)
	return src
