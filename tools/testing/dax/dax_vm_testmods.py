# SPDX-License-Identifier: GPL-2.0
"""nfit_test and cxl_test: tools/testing/{nvdimm,cxl} as external modules.

Their Kbuild files name the drivers they wrap as ../../../drivers/..., so
a build with M= inside the kernel tree writes those objects over the
kernel's own (drivers/dax/device.o and friends), and the next kernel
build recompiles them.  The test modules are built instead in a shadow
tree, build/<impl>/testmods, that holds a copy of tools/testing/{nvdimm,
cxl} and a farm of per-file links to the wrapped drivers' sources: the
objects stay there and the kernel tree is left as it was built.

The result is installed as /lib/modules/<release>/updates/{nvdimm,cxl},
where ndctl's test/core.c expects the mocked modules, and depmod makes
modprobe prefer them to the kernel's.
"""

import os
import shutil
import subprocess

import dax_vm_host as host
import dax_vm_tree as tree
from dax_vm_host import Step

SUITES = ('tools/testing/nvdimm', 'tools/testing/cxl')
# The directories the Kbuild files reach with ../../../drivers/...
WRAPPED = ('drivers/nvdimm', 'drivers/acpi/nfit', 'drivers/dax',
	   'drivers/dax/hmem', 'drivers/cxl', 'drivers/cxl/core')


def shadow_dir(src):
	return os.path.join(os.path.dirname(src), 'testmods')


def sync_copy(src_dir, dst_dir):
	"""Copy src_dir's files into dst_dir, rewriting only changed ones."""
	for dirpath, _, filenames in os.walk(src_dir):
		rel = os.path.relpath(dirpath, src_dir)
		for name in filenames:
			if name.endswith(('.o', '.ko', '.cmd', '.mod', '.mod.c')):
				continue
			s = os.path.join(dirpath, name)
			d = os.path.join(dst_dir, rel, name)
			if os.path.exists(d) and open(s, 'rb').read() == open(d, 'rb').read():
				continue
			os.makedirs(os.path.dirname(d), exist_ok=True)
			shutil.copy2(s, d)
			os.utime(d)


def link_sources(src, shadow):
	"""Per-file links to the wrapped drivers' .c and .h files."""
	for rel in WRAPPED:
		real = os.path.join(src, rel)
		dst = os.path.join(shadow, rel)
		os.makedirs(dst, exist_ok=True)
		for name in os.listdir(real):
			if not name.endswith(('.c', '.h')):
				continue
			link = os.path.join(dst, name)
			target = os.path.join(real, name)
			if os.path.islink(link) and os.readlink(link) == target:
				continue
			if os.path.lexists(link):
				os.unlink(link)
			os.symlink(target, link)


def build(impl, src):
	"""Build both test suites' modules against the built tree src."""
	shadow = shadow_dir(src)
	for rel in SUITES:
		sync_copy(os.path.join(src, rel), os.path.join(shadow, rel))
	link_sources(src, shadow)
	log = os.path.join(os.path.dirname(src), 'testmods.log')
	with host.build_lock(), Step(f'build nfit_test and cxl_test for {impl}'):
		with open(log, 'w') as out:
			for rel in SUITES:
				res = subprocess.run(
					tree.make_args(src, f'M={os.path.join(shadow, rel)}',
						       'modules'),
					env=host.build_env(), stdout=out,
					stderr=subprocess.STDOUT)
				if res.returncode:
					subprocess.run(['tail', '-n', '40', log])
					host.die(f'{rel} modules failed for {impl}, see {log}')
	return shadow


def install(src, shadow, root):
	"""Install into root's /lib/modules/<release>/updates and depmod."""
	for rel in SUITES:
		host.run(tree.make_cmd(src, f'M={os.path.join(shadow, rel)}',
			  f'INSTALL_MOD_PATH={root}',
			  f'INSTALL_MOD_DIR=updates/{os.path.basename(rel)}',
			  'INSTALL_MOD_STRIP=1', 'modules_install'),
			 env=host.build_env(), stdout=subprocess.DEVNULL)
	release = open(os.path.join(src, 'include/config/kernel.release')).read().strip()
	host.run(['depmod', '-b', root, release])
