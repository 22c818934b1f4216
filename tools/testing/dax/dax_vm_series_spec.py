# SPDX-License-Identifier: GPL-2.0
"""The series source file (tools/testing/dax/series/patches.txt).

Parses the cover letter and the patches (subject, file rules, body) and
assigns every file of the tree the series must produce to exactly one
patch.  The format is described at the top of patches.txt.
"""

import fnmatch
import os
import re

import dax_vm_host as host

SPEC = os.path.join(host.HARNESS_DIR, 'series', 'patches.txt')
README = os.path.join(host.REPO_ROOT, 'README.md')


class Entry:
	"""One '%cover' or '%patch' block."""

	def __init__(self, kind):
		self.kind = kind
		self.subject = ''
		self.rules = []
		self.body = []

	def text(self):
		lines = list(self.body)
		while lines and not lines[-1].strip():
			lines.pop()
		while lines and not lines[0].strip():
			lines.pop(0)
		return '\n'.join(lines) + '\n'


class Spec:
	def __init__(self, author, date, cover, patches):
		self.author = author
		self.date = date
		self.cover = cover
		self.patches = patches


def _die(lineno, msg):
	host.die(f'{os.path.relpath(SPEC, host.REPO_ROOT)}:{lineno}: {msg}')


def parse(path=SPEC):
	header = {}
	entries = []
	cur = None
	in_body = False
	last_key = None
	with open(path) as f:
		lines = f.read().splitlines()
	for n, line in enumerate(lines, 1):
		if line.startswith('#'):
			continue
		if line in ('%cover', '%patch'):
			cur = Entry(line[1:])
			entries.append(cur)
			in_body = False
			last_key = None
			continue
		if cur is None:
			if line.strip():
				key, _, val = line.partition(':')
				header[key.strip()] = val.strip()
			continue
		if in_body:
			cur.body.append(line)
			continue
		if not line.strip():
			in_body = True
		elif line[0] in ' \t' and last_key == 'Files':
			cur.rules += line.split()
		elif line.startswith('Subject:'):
			cur.subject = line.split(':', 1)[1].strip()
			last_key = 'Subject'
		elif line.startswith('Files:'):
			cur.rules += line.split(':', 1)[1].split()
			last_key = 'Files'
		else:
			_die(n, f'unknown header line: {line!r}')
	for key in ('Author', 'Date'):
		if key not in header:
			_die(1, f'no {key}: line before the first block')
	covers = [e for e in entries if e.kind == 'cover']
	patches = [e for e in entries if e.kind == 'patch']
	if len(covers) != 1:
		_die(1, 'there must be exactly one %cover block')
	for i, p in enumerate(patches, 1):
		if not p.subject or not p.rules:
			_die(1, f'patch {i} needs a Subject: and a Files: line')
	return Spec(header['Author'], header['Date'], covers[0], patches)


def rule_rank(rule, path):
	"""How specifically rule matches path: None if not at all."""
	if rule.endswith('/'):
		return (1, len(rule)) if path.startswith(rule) else None
	if any(c in rule for c in '*?['):
		if (fnmatch.fnmatchcase(path, rule) and
		    path.count('/') == rule.count('/')):
			return (1, len(rule))
		return None
	return (2, 0) if path == rule else None


def assign(spec, paths):
	"""{path: patch index}; dies naming every unplaced or ambiguous file."""
	out = {}
	problems = []
	for path in sorted(paths):
		best, who = None, []
		for i, p in enumerate(spec.patches):
			for rule in p.rules:
				r = rule_rank(rule, path)
				if r is None:
					continue
				if best is None or r > best:
					best, who = r, [i]
				elif r == best and i not in who:
					who.append(i)
		if not who:
			problems.append(f'{path}: no patch of the series takes it')
		elif len(who) > 1:
			problems.append(f'{path}: patches {", ".join(str(i + 1) for i in who)} '
					'match it equally')
		else:
			out[path] = who[0]
	if problems:
		host.die('series/patches.txt does not place every file:\n  ' +
			 '\n  '.join(problems))
	return out


def readme_divergences():
	"""The numbered stock divergence list of README.md, as text."""
	with open(README) as f:
		text = f.read()
	m = re.search(r'divergences found so far:\n\n(.*?)\n\n', text, re.S)
	if not m:
		host.die('README.md has no "divergences found so far:" list')
	return m.group(1).rstrip() + '\n'
