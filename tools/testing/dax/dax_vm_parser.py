# SPDX-License-Identifier: GPL-2.0
"""Parse what the dax-vm guest printed: KTAP results and kernel splats.

Results (ttyS1) come as suites framed by '# dax-vm-suite-begin NAME' and
'# dax-vm-suite-end NAME rc=N'.  Inside a frame, TAP/KTAP result lines are
counted at the shallowest indentation that holds test cases: for a KUnit
suite that is the indented cases, not the suite's own summary line.  A case
the plan announced but that never reported, a suite with no end line and a
suite with no results at all are counted as crashed (failed).

The console (ttyS0) is scanned for kernel warnings; each is blamed on the
suite whose begin marker came last.
"""

import re

RESULT_RE = re.compile(r'^(\s*)(not ok|ok) (\d+)\s*(?:- )?([^#]*?)\s*(?:#\s*(.*))?$')
PLAN_RE = re.compile(r'^(\s*)1\.\.(\d+)')
DIAG_RE = re.compile(r'^\s*# ')
BEGIN_RE = re.compile(r'^# dax-vm-suite-begin (\S+)')
END_RE = re.compile(r'^# dax-vm-suite-end (\S+) rc=(-?\d+)')
MARK_RE = re.compile(r'dax-vm: (begin|end) suite (\S+)')
SPLAT_RE = re.compile(
	r'WARNING:|BUG:|Oops|KASAN|UBSAN|general protection fault|'
	r'kernel BUG at|Call Trace:|possible circular locking|'
	r'possible recursive locking|inconsistent lock state|'
	r'suspicious RCU usage|INFO: trying to register|DEBUG_LOCKS_WARN_ON|'
	r'soft lockup|hung_task|blocked for more than|'
	r'Kernel panic|stack-protector|'
	# the debug kernel's reports: SLUB redzone/poison checks
	# ("BUG kmalloc-64 (Not tainted): Poison overwritten"), DEBUG_VM,
	# DEBUG_OBJECTS, DEBUG_LIST
	r'BUG \S+ \([^)]*\): |Bad page state|Bad page map|ODEBUG:|'
	r'list_(add|del) corruption')
# A failed allocation that its caller reports with a stack dump: the
# page allocator's and vmalloc's warn_alloc(), the vmemmap populator's
# and percpu's own reports.  Expected when a suite injects allocation
# failures (fail-nth, failslab, fail_page_alloc), and not a kernel bug:
# in those suites the 'Call Trace:' of such a dump is not a splat.  Any
# other splat line inside the dump still is.
ALLOC_DUMP_RE = re.compile(
	r'page allocation failure: order:|vmalloc error: size|'
	r'vmemmap alloc failure: order:|percpu: allocation failed')
ALLOC_DUMP_END_RE = re.compile(r'</TASK>|Mem-Info:')
FAULT_INJECTION_SUITES = ('dax_probe_faults_test', 'dax_stress_faults.sh')


class Case:
	def __init__(self, suite, number, name, status, directive=''):
		self.suite = suite
		self.number = number
		self.name = name
		self.status = status      # 'pass', 'fail', 'skip', 'crash'
		self.directive = directive
		self.diag = []            # the '# ...' lines that follow the result

	def __str__(self):
		extra = f' # {self.directive}' if self.directive else ''
		return f'{self.suite}: {self.name}{extra}'


class Suite:
	def __init__(self, name):
		self.name = name
		self.lines = []
		self.ended = False
		self.rc = None

	def cases(self):
		"""The suite's cases, with crashed ones for what never reported."""
		results = []
		plans = {}
		diags = {}
		before = []
		for line in self.lines:
			m = PLAN_RE.match(line)
			if m:
				plans.setdefault(len(m.group(1)), int(m.group(2)))
				continue
			m = RESULT_RE.match(line)
			if m:
				results.append((len(m.group(1)), m))
				diags[id(m)] = (before, [])
				before = []
			elif DIAG_RE.match(line):
				text = line.strip()[1:].strip()
				before.append(text)
				if results:
					diags[id(results[-1][1])][1].append(text)
		depths = sorted({d for d, _ in results})
		inner = [d for d in depths if d > 0]
		depth = inner[0] if inner else (depths[0] if depths else 0)
		out = []
		for d, m in results:
			if d != depth:
				continue
			directive = (m.group(5) or '').strip()
			if m.group(2) == 'not ok' and not directive.upper().startswith('TODO'):
				status = 'fail'
			elif directive.upper().startswith('SKIP'):
				status = 'skip'
			else:
				status = 'pass'
			out.append(Case(self.name, int(m.group(3)), m.group(4) or f'case {m.group(3)}',
					status, directive))
			# TAP puts a case's diagnostics after its result line,
			# the kselftest harness before it
			pre, post = diags[id(m)]
			out[-1].diag = post or pre[-3:]
		planned = plans.get(depth, 0)
		for n in range(len(out) + 1, planned + 1):
			out.append(Case(self.name, n, f'case {n} (no result line)', 'crash'))
		if not out:
			why = 'no result lines' if self.ended else 'never finished'
			out.append(Case(self.name, 0, f'suite {why}', 'crash'))
		elif not self.ended:
			out.append(Case(self.name, 0, 'suite never finished', 'crash'))
		elif self.rc not in (0, 4) and not any(c.status in ('fail', 'crash') for c in out):
			# kselftest exit 4 is KSFT_SKIP
			out.append(Case(self.name, 0, f'suite exited with rc={self.rc}', 'fail'))
		return out


class ResultStream:
	"""Feed ttyS1 lines one by one; collects suites in order."""

	def __init__(self, on_case=None):
		self.suites = []
		self.current = None
		self.done = False
		self.on_case = on_case

	def feed(self, line):
		m = BEGIN_RE.match(line)
		if m:
			self.current = Suite(m.group(1))
			self.suites.append(self.current)
			return
		m = END_RE.match(line)
		if m and self.current and self.current.name == m.group(1):
			self.current.ended = True
			self.current.rc = int(m.group(2))
			if self.on_case:
				for case in self.current.cases():
					self.on_case(case)
			self.current = None
			return
		if line.startswith('# dax-vm-done'):
			self.done = True
			return
		if self.current:
			self.current.lines.append(line)

	def cases(self):
		out = []
		for suite in self.suites:
			out.extend(suite.cases())
		return out


class SplatScanner:
	"""Feed console lines; remembers every kernel warning and its suite."""

	def __init__(self):
		self.suite = 'boot'
		self.splats = []
		self.alloc_dump = False   # inside an allocation failure report
		self.alloc_dumps = []     # (suite, header) of those excused

	def feed(self, line):
		m = MARK_RE.search(line)
		if m:
			self.suite = m.group(2) if m.group(1) == 'begin' else 'between suites'
			self.alloc_dump = False
			return
		if self.suite in FAULT_INJECTION_SUITES and ALLOC_DUMP_RE.search(line):
			self.alloc_dump = True
			self.alloc_dumps.append((self.suite, line.strip()))
			return
		if self.alloc_dump and ALLOC_DUMP_END_RE.search(line):
			self.alloc_dump = False
			return
		if self.alloc_dump and 'Call Trace:' in line and \
				not SPLAT_RE.search(line.replace('Call Trace:', '')):
			return
		if SPLAT_RE.search(line):
			self.splats.append((self.suite, line.strip()))


def summary_line(cases, splats):
	passed = sum(c.status == 'pass' for c in cases)
	failed = sum(c.status in ('fail', 'crash') for c in cases) + (1 if splats else 0)
	skipped = sum(c.status == 'skip' for c in cases)
	return passed, failed, skipped
