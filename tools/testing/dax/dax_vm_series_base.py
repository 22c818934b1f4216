# SPDX-License-Identifier: GPL-2.0
"""The pristine base tree as a git repository, for the patch series.

build/series/base is linux-source-6.12 extracted afresh from the Debian
tarball, `git init` and one commit of every file.  The commit is made with
a fixed identity and the date of the tree's top Makefile, so its tree hash
and its commit hash depend on the package's content alone: anyone can
make the same base and check the `base-commit:` of the cover letter.
The repository is kept while the package version stays the same.
"""

import datetime
import os
import re
import shutil
import subprocess

import dax_vm_host as host
from dax_vm_host import Step

PACKAGE = 'linux-source-6.12'
BASE_NAME = 'linux-source-6.12'
BASE_EMAIL = 'linux-source-6.12@packages.debian.org'


def series_root():
	return os.path.join(host.BUILD_ROOT, 'series')


def base_dir():
	return os.path.join(series_root(), 'base')


def git(repo, *args, env=None, **kw):
	"""git -C repo ARGS; stdout as text (stripped)."""
	res = subprocess.run(['git', '-C', repo] + list(args), check=True,
			     capture_output=True, text=True, env=env, **kw)
	return res.stdout.strip()


def debian_version():
	res = subprocess.run(['dpkg-query', '-W', '-f=${Version}', PACKAGE],
			     capture_output=True, text=True)
	if res.returncode or not res.stdout.strip():
		host.die(f'{PACKAGE} is not installed (dpkg-query)')
	return res.stdout.strip()


def upstream_version(tree):
	"""VERSION.PATCHLEVEL.SUBLEVEL from the tree's Makefile."""
	vals = {}
	with open(os.path.join(tree, 'Makefile')) as f:
		for line in f:
			m = re.match(r'^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)\s*=\s*(\S*)',
				     line)
			if m:
				vals[m.group(1)] = m.group(2)
			if len(vals) == 4:
				break
	return (f"{vals['VERSION']}.{vals['PATCHLEVEL']}.{vals['SUBLEVEL']}"
		+ vals.get('EXTRAVERSION', ''))


def fixed_env(name, email, date):
	"""Environment that makes git commits reproducible."""
	env = dict(os.environ)
	for who in ('AUTHOR', 'COMMITTER'):
		env[f'GIT_{who}_NAME'] = name
		env[f'GIT_{who}_EMAIL'] = email
		env[f'GIT_{who}_DATE'] = date
	env['GIT_CONFIG_NOSYSTEM'] = '1'
	env['HOME'] = series_root()	# no user config: hooks, signing, ...
	env['TZ'] = 'UTC'
	return env


class Base:
	"""Facts of the base repository: path, versions, commit and tree."""

	def __init__(self, path):
		self.path = path
		with open(os.path.join(path, '.git', 'dax-vm-base')) as f:
			self.debian, self.upstream = f.read().split()
		self.commit = git(path, 'rev-parse', 'HEAD')
		self.tree = git(path, 'rev-parse', 'HEAD^{tree}')


def make_base(dst, version):
	tmp = dst + '.tmp'
	shutil.rmtree(tmp, ignore_errors=True)
	os.makedirs(tmp)
	host.run(['tar', '-C', tmp, '-xf', host.SOURCE_TARBALL,
		  '--strip-components=1'])
	upstream = upstream_version(tmp)
	mtime = os.stat(os.path.join(tmp, 'Makefile')).st_mtime
	date = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc)
	env = fixed_env(BASE_NAME, BASE_EMAIL, date.strftime('%Y-%m-%dT%H:%M:%S+0000'))
	git(tmp, 'init', '-q', '-b', 'base', env=env)
	git(tmp, 'config', 'core.autocrlf', 'false')
	git(tmp, 'config', 'gc.auto', '0')
	git(tmp, '-c', 'core.looseCompression=1', 'add', '-A', '-f', '.', env=env)
	git(tmp, 'commit', '-q', '--no-verify', '-m',
	    f'Linux {upstream} (Debian {PACKAGE} {version})', env=env)
	with open(os.path.join(tmp, '.git', 'dax-vm-base'), 'w') as f:
		f.write(f'{version} {upstream}\n')
	shutil.rmtree(dst, ignore_errors=True)
	os.rename(tmp, dst)


def ensure_base():
	"""The base repository for today's package version; made when missing."""
	dst = base_dir()
	version = debian_version()
	stamp = os.path.join(dst, '.git', 'dax-vm-base')
	if os.path.exists(stamp):
		with open(stamp) as f:
			if f.read().split()[:1] == [version]:
				return Base(dst)
	with Step(f'git repository of the pristine {PACKAGE} {version}'):
		make_base(dst, version)
	return Base(dst)
