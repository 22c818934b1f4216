# SPDX-License-Identifier: GPL-2.0
"""dax-vm bench: rounds, statistics and output.

A round is one boot of each kernel, ours then stock, repeated: the
kernels interleave so that a slow spell of the host hits both.  Each
boot runs every cell of the chosen groups once (guest/dax-bench.c).
Round r boots with dax_vm.round=r, which shifts each window's phase
against the guest's periodic events by an offset of its own, the same
for both kernels and in every run.
Per cell: the median of the rounds and the spread, (max - min) / median.
A ratio ours/stock is a win or a loss only when the two [min, max]
intervals do not overlap; otherwise there is no difference.
"""

import datetime
import json
import os
import re
import statistics

import dax_vm_host as host
import dax_vm_plot as plot

IMPLS = ('ours', 'stock')
HIGHER_IS_BETTER = ('GiB/s',)


class Cell:
	def __init__(self, name, unit):
		self.name = name
		self.unit = unit
		self.samples = {impl: [] for impl in IMPLS}

	def median(self, impl):
		s = self.samples[impl]
		return statistics.median(s) if s else None

	def spread(self, impl):
		"""(max - min) / median in %, or None."""
		s, m = self.samples[impl], self.median(impl)
		if not s or not m:
			return None
		return 100.0 * (max(s) - min(s)) / m

	def ratio(self):
		o, s = self.median('ours'), self.median('stock')
		return o / s if o is not None and s else None

	def verdict(self):
		o, s = self.samples['ours'], self.samples['stock']
		if not o or not s:
			return '-'
		if max(o) < min(s):
			lower = 'ours'
		elif max(s) < min(o):
			lower = 'stock'
		else:
			return 'no difference'
		better = lower if self.unit not in HIGHER_IS_BETTER else \
			('stock' if lower == 'ours' else 'ours')
		return 'win' if better == 'ours' else 'loss'

	def as_dict(self):
		d = {'name': self.name, 'unit': self.unit, 'ratio': self.ratio(),
		     'verdict': self.verdict()}
		for impl in IMPLS:
			d[impl] = {'median': self.median(impl),
				   'spread_pct': self.spread(impl),
				   'samples': self.samples[impl]}
		return d


def sort_key(name):
	"""Group by benchmark, then numerically by its size fields."""
	return [int(p) if p.isdigit() else p for p in re.split(r'(\d+)', name)]


def fmt(v):
	if v is None:
		return '-'
	return f'{v:.4g}' if abs(v) < 1000 else f'{v:.0f}'


def fmt_spread(c):
	parts = [f'{c.spread(i):.1f}%' if c.spread(i) is not None else '-'
		 for i in IMPLS]
	return '/'.join(parts)


def rows(cells):
	for c in sorted(cells.values(), key=lambda c: sort_key(c.name)):
		ratio = c.ratio()
		yield (c.name, fmt(c.median('ours')), fmt(c.median('stock')),
		       f'{ratio:.3f}' if ratio is not None else '-',
		       fmt_spread(c), c.unit, c.verdict())


HEADER = ('benchmark', 'ours', 'stock', 'ours/stock', 'spread o/s',
	  'unit', 'verdict')


def print_table(cells):
	widths = (28, 10, 10, 10, 13, 10, 13)
	line = lambda r: ' '.join(f'{v:>{w}}' if i else f'{v:<{w}}'
				  for i, (v, w) in enumerate(zip(r, widths)))
	print(line(HEADER))
	for r in rows(cells):
		print(line(r))


def markdown(cells, meta):
	out = [f'{meta["date"]}, clock `{meta["clock"]}`, {meta["rounds"]} '
	       'rounds (one boot of each kernel per round, interleaved); '
	       'median per kernel, spread = (max - min) / median, ours/stock.', '',
	       '| ' + ' | '.join(HEADER) + ' |',
	       '|' + '---|' * len(HEADER)]
	for r in rows(cells):
		out.append('| ' + ' | '.join(r) + ' |')
	return '\n'.join(out) + '\n'


class Collector:
	"""Feeds the result lines of one boot into the cells."""

	def __init__(self, cells, impl):
		self.cells = cells
		self.impl = impl

	def feed(self, line):
		fields = line.split()
		if len(fields) == 4 and fields[0] == 'bench':
			name, value, unit = fields[1], float(fields[2]), fields[3]
			cell = self.cells.setdefault(name, Cell(name, unit))
			cell.samples[self.impl].append(value)
		elif line.startswith('dax-bench:'):
			print(f'  {self.impl}: {line}', flush=True)


def run(args, prepare, boot):
	"""Interleaved rounds of both kernels; writes build/bench/*."""
	prepared = {impl: prepare(impl) for impl in IMPLS}
	cells = {}
	ok = True
	for r in range(args.rounds):
		for impl in IMPLS:
			src, initrd = prepared[impl]
			col = Collector(cells, impl)
			with host.Step(f'round {r + 1}/{args.rounds}: boot {impl} '
				       f'({args.clock} clock)'):
				verdict, splats = boot(impl, src, initrd, col.feed, r)
			for line in splats:
				print(f'  {impl}: kernel warning during benchmarks: {line}')
			if verdict != 'pass' or splats:
				host.progress(f'{impl}: round {r + 1} failed '
					      f'(verdict {verdict})')
				ok = False
	print_table(cells)
	write_outputs(args, cells)
	return 0 if ok else 1


def write_outputs(args, cells):
	out = os.path.join(host.BUILD_ROOT, 'bench')
	os.makedirs(out, exist_ok=True)
	meta = {'date': datetime.datetime.now(datetime.timezone.utc)
		.strftime('%Y-%m-%d %H:%M UTC'), 'clock': args.clock,
		'rounds': args.rounds, 'sr_size': args.sr_size,
		'groups': args.filter or 'all'}
	base = os.path.join(out, f'bench-{args.clock}')
	with open(base + '.json', 'w') as f:
		json.dump({'meta': meta, 'cells': [c.as_dict() for c in
		       sorted(cells.values(), key=lambda c: sort_key(c.name))]},
			  f, indent=1)
	with open(base + '.md', 'w') as f:
		f.write(markdown(cells, meta))
	pngs = plot.draw(cells, out, args.clock)
	host.progress(f'wrote {base}.json, {base}.md'
		      + ''.join(f', {p}' for p in pngs))
