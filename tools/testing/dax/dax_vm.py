# SPDX-License-Identifier: GPL-2.0
"""dax-vm: build a 6.12 kernel with our drivers/dax (or the stock one), boot
it in qemu on soft-reserved memory, and run the demo, the tests or a shell.

  dax-vm [--impl ours|stock|both] [--debug] run
  dax-vm [--impl ours|stock|both] [--debug] test [FILTER]
  dax-vm [--impl ours|stock] [--debug] shell
  dax-vm [--impl ours|stock|both] [--debug] build
  dax-vm [--clock icount|wall] [--rounds N] bench [GROUP,...]
				   (always both kernels, interleaved;
				    GROUP: fault, bind, prov, kmem, scrub)
  dax-vm series [--out DIR] [--check]  (the patch series, see README.md)
"""

import argparse
import concurrent.futures
import fnmatch
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dax_vm_bench as bench        # noqa: E402
import dax_vm_host as host          # noqa: E402
import dax_vm_initramfs as initramfs  # noqa: E402
import dax_vm_ndctl as ndctl        # noqa: E402
import dax_vm_parser as parser      # noqa: E402
import dax_vm_qemu as qemu          # noqa: E402
import dax_vm_series as series      # noqa: E402
import dax_vm_static as static      # noqa: E402
import dax_vm_tree as tree          # noqa: E402
from dax_vm_host import Step        # noqa: E402


def parse_args(argv):
	p = argparse.ArgumentParser(prog='dax-vm', description=__doc__,
				    formatter_class=argparse.RawDescriptionHelpFormatter)
	p.add_argument('--impl', choices=('ours', 'stock', 'both'), default='ours',
		       help='which drivers/dax to boot (default: ours)')
	p.add_argument('--sr-size', default=None,
		       help='size of each soft-reserved range (default 2G; '
			    '4G for bench, room for 2048 2M ranges)')
	p.add_argument('--sr-count', type=int, default=1,
		       help='number of soft-reserved ranges (default 1)')
	p.add_argument('--nodes', type=int, default=2,
		       help='NUMA nodes; the last holds the soft-reserved memory')
	p.add_argument('--hmem', default='region_idle=1',
		       help='dax_hmem module parameters, comma separated')
	p.add_argument('--kvm', action='store_true',
		       help='use KVM instead of TCG (hangs on kvm-pvm hosts)')
	p.add_argument('--timeout', type=int, default=1800,
		       help='seconds before a boot counts as hung')
	p.add_argument('--clock', choices=qemu.CLOCKS, default=None,
		       help='guest clock: icount (deterministic, single-threaded '
			    'TCG; the default for bench) or wall')
	p.add_argument('--rounds', type=int, default=5,
		       help='bench: boots of each kernel (default 5)')
	p.add_argument('--debug', action='store_true',
		       help='the debug kernels (debug.config: KASAN, kmemleak, '
			    'DEBUG_OBJECTS, ...), built in build/<impl>-debug')
	p.add_argument('--no-static', action='store_true',
		       help='skip checkpatch/sparse/W=1 in test')
	p.add_argument('--no-ndctl', action='store_true',
		       help='test: skip the pmem, CXL and ndctl suites (their own boots)')
	p.add_argument('--long', action='store_true',
		       help='test: also run the long ndctl tests (mmap.sh)')
	p.add_argument('--out', default='',
		       help='series: directory for the patches (default build/series/out)')
	p.add_argument('--check', action='store_true',
		       help='series: apply, compare, checkpatch and build every prefix')
	p.add_argument('job', choices=('run', 'test', 'shell', 'build', 'bench',
				       'series'))
	p.add_argument('filter', nargs='?', default='',
		       help='test: SUITE-GLOB[|SUITE-GLOB][:ARG,ARG] (e.g. kunit-*, '
			    'dax_region:-t,create_returns_name); '
			    'bench: groups, e.g. fault,bind')
	args = p.parse_args(argv)
	if args.impl == 'both' and args.job == 'shell':
		p.error('shell takes one implementation')
	if args.debug and args.job in ('bench', 'series'):
		p.error(f'{args.job} measures the normal kernels only')
	if args.sr_size is None:
		args.sr_size = '4G' if args.job == 'bench' else '2G'
	if args.clock is None:
		args.clock = 'icount' if args.job == 'bench' else 'wall'
	# bench measures kernels without the suites' lock and fault-injection
	# debugging (bench.config), which costs several times a fault
	args.profile = 'debug' if args.debug else \
		'bench' if args.job == 'bench' else None
	return args


def impls(args):
	return ['ours', 'stock'] if args.impl == 'both' else [args.impl]


def selftest_tree(impl, src):
	"""The selftests are always built from the ours tree."""
	return src if impl == 'ours' else tree.prepare_ours_tree()


def prepare(impl, profile=None):
	"""Kernel and initramfs for impl in profile."""
	src = tree.build(impl, profile)
	initrd = initramfs.build(tree.variant(impl, profile), src,
				 selftest_tree(impl, src))
	return src, initrd


def boot_files(name, job):
	"""The console and results files of the boot of build name for job."""
	logs = os.path.join(host.BUILD_ROOT, name, 'logs')
	os.makedirs(logs, exist_ok=True)
	prefix = '' if job in ('run', 'test', 'shell') else job + '-'
	return (os.path.join(logs, prefix + 'console.log'),
		os.path.join(logs, prefix + 'results.log'))


def filter_matches(args, names):
	"""Whether any of names matches the filter's SUITE-GLOB[|SUITE-GLOB]."""
	globs = args.filter.split(':', 1)[0]
	return not globs or any(fnmatch.fnmatch(n, g) for n in names
				for g in globs.split('|'))


def ndctl_tests(args):
	"""ndctl's tests of this run: the long ones only with --long or when
	the filter names them."""
	return [t for t in ndctl.suite_tests()
		if t[0] not in ndctl.LONG_TESTS or args.long or
		(args.filter and filter_matches(args, ['ndctl-' + t[0]]))]


def pmem_boots_wanted(args, providers):
	"""The boots with an NVDIMM, e820 pmem, nfit_test and cxl_test that
	the filter selects: 'providers' (our pmem/CXL suites, on the kernel's
	own modules) and 'ndctl' (ndctl's tests, on nfit_test's)."""
	if args.no_ndctl:
		return []
	names = {'providers': providers,
		 'ndctl': ['ndctl-' + t[0] for t in ndctl_tests(args)]}
	return [job for job in ('providers', 'ndctl')
		if filter_matches(args, names[job])]


def dax_suites_wanted(args, tree_dir):
	"""Whether the filter selects a suite of the first boot: the guest
	checks, the KUnit modules or the conformance suites."""
	names = ['guest', 'kunit-dax_region_alloc_test'] + \
		initramfs.conformance_tests(tree_dir)
	return filter_matches(args, names)


# seconds a guest suite may run on the debug kernel (900 otherwise)
DEBUG_SUITE_TIMEOUT = 2700


def kernel_cmdline(args, impl, job, layout):
	parts = ['console=ttyS0,115200', 'panic=-1', 'loglevel=7',
		 'no_hash_pointers', layout.cmdline(), f'dax_vm.job={job}',
		 f'dax_vm.impl={impl}', f'dax_vm.hmem={args.hmem}']
	if args.filter:
		parts.append(f'dax_vm.filter={args.filter}')
	if job == 'bench':
		parts.append(f'dax_vm.round={args.bench_round}')
	if args.debug:
		# PAGE_POISONING is built in but off unless asked for; KASAN
		# and poisoning make a suite several times slower
		parts += ['page_poison=1', f'dax_vm.suite_timeout={DEBUG_SUITE_TIMEOUT}']
	return ' '.join(parts)


def boot(args, impl, job, src, initrd, on_console=None, on_result=None):
	name = tree.variant(impl, args.profile)
	console, results = boot_files(name, job)
	logs = None
	if job in ('ndctl', 'providers'):
		layout = qemu.PmemLayout(os.path.join(host.BUILD_ROOT, name, 'nvdimm.img'))
		logs = os.path.join(os.path.dirname(console), f'{job}.log')
	else:
		layout = qemu.Layout(args.sr_size, args.sr_count, args.nodes)
	cmd = qemu.qemu_command(qemu.kernel_image(src), initrd,
				kernel_cmdline(args, impl, job, layout), layout,
				console, results, args.kvm,
				interactive=(job == 'shell'), logs=logs,
				clock=args.clock)
	if job == 'shell':
		return qemu.interactive(cmd), None
	b = qemu.Boot(cmd, console, results, args.timeout)
	verdict = b.run(on_console, on_result)
	if b.timed_out:
		host.progress(f'{name}: guest hung, killed after {args.timeout}s')
	return verdict, b


def job_run(args):
	rc = 0
	for impl in impls(args):
		src, initrd = prepare(impl, args.profile)
		name = tree.variant(impl, args.profile)
		scanner = parser.SplatScanner()

		def echo(line, scanner=scanner):
			print(line, flush=True)
			scanner.feed(line)
		with Step(f'boot {name} and run the demo'):
			verdict, _ = boot(args, impl, 'run', src, initrd, on_console=echo)
		for suite, line in scanner.splats:
			print(f'dax-vm: kernel warning during the demo: {line}')
		ok = verdict == 'pass' and not scanner.splats
		host.progress(f'demo on {name}: {"PASSED" if ok else "FAILED"}'
			      + ('' if verdict else ' (guest gave no verdict)'))
		rc |= 0 if ok else 1
	return rc


def print_case(case, impl):
	mark = {'pass': 'ok', 'skip': 'ok', 'fail': 'not ok', 'crash': 'not ok'}[case.status]
	note = ' (CRASHED)' if case.status == 'crash' else ''
	print(f'  {impl}: {mark} {case}{note}', flush=True)
	if case.status == 'fail':
		# the case's own diagnostics say why; the rest is in the logs
		for line in case.diag[:3]:
			print(f'  {impl}:     # {line}', flush=True)


def boot_suites(args, impl, job, src, initrd, what):
	"""One boot running suites; returns (cases, splats)."""
	name = tree.variant(impl, args.profile)
	stream = parser.ResultStream(on_case=lambda c: print_case(c, name))
	scanner = parser.SplatScanner()

	def on_result(line):
		if line.startswith('# dax-vm-suite-begin '):
			host.progress(f'{name}: suite {line.split()[-1]}')
		stream.feed(line)
	with Step(f'boot {name} and run {what}'):
		verdict, b = boot(args, impl, job, src, initrd,
				  on_console=scanner.feed, on_result=on_result)
	cases = stream.cases()
	if not stream.done:
		cases.append(parser.Case('dax-vm', 0, f'guest finished {what}', 'crash'))
	if verdict is None:
		host.progress(f'{name}: guest gave no verdict (exit code {b.exit_code})')
	for suite, line in scanner.splats:
		print(f'  {name}: not ok kernel warning in {suite}: {line}')
	for suite, line in scanner.alloc_dumps:
		print(f'  {name}: injected allocation failure reported in {suite}: {line}')
	return cases, scanner.splats


class TestPlan:
	"""What one implementation's test run builds, then boots."""

	def __init__(self, args, impl):
		self.impl = impl
		self.name = tree.variant(impl, args.profile)
		self.cases = []
		self.splats = []
		self.boots = []
		src, initrd = prepare(impl, args.profile)
		if impl == 'ours' and not (args.no_static or args.filter or
					   args.debug):
			with Step('static checks (checkpatch --strict, W=1, sparse)'):
				self.cases += static.run(src)
			for c in self.cases:
				print_case(c, self.name)
		stree = selftest_tree(impl, src)
		if dax_suites_wanted(args, stree):
			self.boots.append(('test', src, initrd, 'the suites'))
		jobs = pmem_boots_wanted(args, initramfs.provider_tests(stree))
		if jobs:
			nd_initrd = initramfs.build_ndctl(self.name, src, stree,
							  ndctl_tests(args))
		for job in jobs:
			self.boots.append((job, src, nd_initrd, f'the {job} suites'))

	def run(self, args):
		for job, src, initrd, what in self.boots:
			c, s = boot_suites(args, self.impl, job, src, initrd, what)
			self.cases += c
			self.splats += s
		return self


def peer_failures_on_both(a, b):
	"""ndctl's tests judge the environment as well as the bus: one that
	fails on both kernels of this run (TCG timing, a cxl_test topology
	the guest does not settle) says nothing about ours against stock.
	It is counted as skipped on both, with the reason; one that fails on
	one kernel only stays a failure."""
	def failed(plan):
		return {c.name: c for c in plan.cases
			if c.suite.startswith('ndctl-') and c.status in ('fail', 'crash')}
	fa, fb = failed(a), failed(b)
	for name in sorted(set(fa) & set(fb)):
		for case in (fa[name], fb[name]):
			case.directive = f'SKIP fails on both kernels ({case.directive or case.status})'
			case.status = 'skip'
			print(f'  {a.name}+{b.name}: {case.suite} fails on both kernels: '
			      'counted as skipped', flush=True)


def job_test(args):
	"""Build every implementation's kernel and initramfs one after the
	other (builds use both cores), then boot them side by side: a TCG
	guest mostly keeps one host core busy."""
	plans = [TestPlan(args, impl) for impl in impls(args)]
	with concurrent.futures.ThreadPoolExecutor(len(plans)) as pool:
		done = list(pool.map(lambda p: p.run(args), plans))
	if len(done) == 2:
		peer_failures_on_both(*done)
	rc = 0
	totals = [0, 0, 0]
	for plan in done:
		p, f, s = parser.summary_line(plan.cases, plan.splats)
		print(f'{plan.name}: {p} passed, {f} failed, {s} skipped', flush=True)
		for c in plan.cases:
			if c.status in ('fail', 'crash'):
				print(f'{plan.name}: FAILED {c}')
		totals = [totals[0] + p, totals[1] + f, totals[2] + s]
		rc |= 1 if f or not plan.cases else 0
	print(f'{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped', flush=True)
	return rc


def job_shell(args):
	impl = args.impl
	src, initrd = prepare(impl, args.profile)
	rc, _ = boot(args, impl, 'shell', src, initrd)
	return 0 if rc in (0, (qemu.VERDICT_PASS << 1) | 1) else rc


def job_bench(args):
	"""Both kernels, interleaved rounds; lower is better, ratio = ours/stock."""
	def bench_boot(impl, src, initrd, on_result, rnd):
		args.bench_round = rnd
		scanner = parser.SplatScanner()
		verdict, _ = boot(args, impl, 'bench', src, initrd,
				  on_console=scanner.feed, on_result=on_result)
		return verdict, [line for _, line in scanner.splats]
	return bench.run(args, lambda impl: prepare(impl, args.profile),
			 bench_boot)


def job_build(args):
	for impl in impls(args):
		prepare(impl, args.profile)
	return 0


def main(argv):
	args = parse_args(argv)
	host.ensure_packages()
	job = {'run': job_run, 'test': job_test, 'shell': job_shell,
	       'build': job_build, 'bench': job_bench,
	       'series': series.job_series}[args.job]
	return job(args)


if __name__ == '__main__':
	sys.exit(main(sys.argv[1:]))
