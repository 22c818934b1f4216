# SPDX-License-Identifier: GPL-2.0
"""dax-vm bench plots: PNGs drawn by gnuplot from the cells of a run.

Every point is a median with a bar from the minimum to the maximum of
its rounds; ours is drawn solid blue, stock dashed red.
"""

import os
import re
import shutil
import subprocess

import dax_vm_host as host

# figure -> panels; panel = (title, x label, y label, log x, [(regex, label)])
FIGURES = {
	'fault': [
		('PTE faults (4K align, one touch per 4K)', 'ranges', 'ns/fault',
		 True, [(r'fault_pte_(\d+)$', '4K')]),
		('PMD faults (2M align)', 'ranges', 'ns/fault', True,
		 [(r'fault_pmd_(\d+)$', '2M')]),
		('PUD faults (1G align) and sparse PTE', 'ranges', 'ns/fault',
		 True, [(r'fault_pud_(\d+)$', '1G'),
			(r'fault_pte_sparse128k_(\d+)$', '4K, 1 per 128K')]),
	],
	'bind': [
		('bind to device\\_dax', 'device size (GiB)', 'ms', False,
		 [(rf'bind_(\d+)g_{a}$', a) for a in ('4k', '2m', '1g')]),
		('memmap memory (MemFree delta)', 'device size (GiB)', 'KiB',
		 False, [(rf'memmap_(\d+)g_{a}$', a) for a in ('4k', '2m', '1g')]),
	],
	'prov': [
		('create+size+bind+unbind+delete', 'devices', 'us/device', True,
		 [(r'cycle_devices_(\d+)$', 'cycle')]),
		('size write on a device of N ranges', 'ranges', 'ns/write', True,
		 [(r'resize_grow_(\d+)$', 'grow'),
		  (r'resize_shrink_(\d+)$', 'shrink')]),
		('mapping write into N extents', 'extents', 'ns/write', True,
		 [(r'mapping_extents_(\d+)$', 'below all'),
		  (r'mapping_extents_above_(\d+)$', 'above all')]),
	],
}


def series(cells, regex, impl):
	pts = []
	for c in cells.values():
		m = re.match(regex, c.name)
		if m and c.samples[impl]:
			s = c.samples[impl]
			pts.append((int(m.group(1)), c.median(impl), min(s), max(s)))
	return sorted(pts)


def panel_script(out, fig, i, panel, cells):
	title, xlabel, ylabel, logx, lines = panel
	plots = []
	for j, (regex, label) in enumerate(lines):
		for impl, dash, color in (('ours', 1, '#1f5fbf'),
					  ('stock', 2, '#c03020')):
			pts = series(cells, regex, impl)
			if not pts:
				continue
			dat = os.path.join(out, f'{fig}-{i}-{j}-{impl}.dat')
			with open(dat, 'w') as f:
				for p in pts:
					f.write('%d %g %g %g\n' % p)
			plots.append(f"'{dat}' using 1:2:3:4 with yerrorlines "
				     f"lc rgb '{color}' dt {dash} pt {5 + 2 * j} "
				     f"title '{impl} {label}'")
	if not plots:
		return ''
	return '\n'.join([
		f"set title '{title}' font ',9'",
		f"set xlabel '{xlabel}'", f"set ylabel '{ylabel}'",
		'set logscale x 2' if logx else 'unset logscale x',
		'set yrange [0:*]', 'set key top left font ",8"',
		'plot ' + ', '.join(plots)])


def draw(cells, out, clock):
	"""One PNG per figure that has data; returns their paths."""
	if not shutil.which('gnuplot'):
		host.progress('gnuplot missing: no plots')
		return []
	pngs = []
	for fig, panels in FIGURES.items():
		parts = [panel_script(out, fig, i, p, cells)
			 for i, p in enumerate(panels)]
		parts = [p for p in parts if p]
		if not parts:
			continue
		png = os.path.join(out, f'{fig}-{clock}.png')
		script = '\n'.join([
			f"set terminal pngcairo size {380 * len(parts)},300 "
			"font ',8'" if has_cairo() else
			f"set terminal png size {380 * len(parts)},300",
			f"set output '{png}'", 'set grid',
			f'set multiplot layout 1,{len(parts)} '
			f"title '{fig} ({clock} clock; bars: min-max)'"] + parts +
			['unset multiplot'])
		gp = os.path.join(out, f'{fig}-{clock}.gp')
		with open(gp, 'w') as f:
			f.write(script + '\n')
		if subprocess.call(['gnuplot', gp]) == 0:
			pngs.append(png)
	return pngs


def has_cairo():
	try:
		r = subprocess.run(['gnuplot', '-e', 'set terminal'],
				   capture_output=True, text=True)
	except OSError:
		return False
	return 'pngcairo' in r.stdout + r.stderr
