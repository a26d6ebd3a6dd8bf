// Lipton's transaction conditions checked at run time (src/sim/txn.ts): correctly declared
// generated programs and the twin pass with unchanged state counts; mutants that break a
// condition (two non-movers, a wait or a lock acquire after the commit point, a lock
// written as neither acquire nor release) stop the search with a model-bug error exactly
// when a breaking transaction is reachable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ModelBugError, statefulSearch, type StatefulModel } from '../src/check/stateful.ts';
import { StoreLayout, type Store } from '../src/sim/store.ts';
import { twinModel } from '../bench/stateful/twin.ts';
import { enumerate, progArb, progModel, type Instr, type Prog } from './store-programs.ts';

/** Whether the search stops with a transaction model bug; other errors propagate. */
function breaks(m: StatefulModel): string | null {
  try {
    statefulSearch(m, { stopAtFirst: false, exact: true });
    return null;
  } catch (e) {
    if (e instanceof ModelBugError && e.message.includes('breaks a transaction condition')) return e.message;
    throw e;
  }
}

/** Whether some reachable state `st` runs a section of thread t for which `bad(section, st, t)` holds. */
function reachesSection(p: Prog, bad: (s: Extract<Instr, { k: 'section' }>, st: number[], t: number) => boolean): boolean {
  const reachable = enumerate(p).reachable!;
  for (const key of reachable) {
    const st = key.split(',').map(Number);
    for (let t = 0; t < p.threads.length; t++) {
      const ins = p.threads[t]![st[p.vars + p.locks + 2 * t]!];
      if (ins?.k === 'section' && st[p.vars + ins.l] === 0 && bad(ins, st, t)) return true;
    }
  }
  return false;
}

const vars = (body: readonly Instr[]) => new Set(body.flatMap((b) => ('x' in b ? [b.x] : [])));

test('generated programs whose vars are guarded by their locks pass, and the checks change no count', () => {
  fc.assert(fc.property(progArb, (p) => {
    const on = statefulSearch(progModel(p), { stopAtFirst: false });
    const off = statefulSearch(progModel(p), { stopAtFirst: false, transactions: false });
    assert.equal(on.states, off.states);
    assert.equal(on.transitions, off.transitions);
  }), { numRuns: 200 });
});

test('mutant, two non-movers: with every var its own atomic object, the search stops exactly when a section touching two vars runs', () => {
  let caught = 0;
  fc.assert(fc.property(progArb, (p) => {
    const expected = reachesSection(p, (s) => vars(s.body).size >= 2);
    const msg = breaks(progModel(p, false, 'shared'));
    assert.equal(msg !== null, expected, msg ?? 'no breach');
    if (msg) { caught++; assert.match(msg, /after the transaction's non-mover x\d: a second access no held lock protects/); }
  }), { numRuns: 300 });
  assert.ok(caught > 0, 'no generated program had a section over two vars');
});

test('mutant, a wait after the commit point: a wait appended to a section stops the search exactly when the section touched an unguarded var first', () => {
  let caught = 0;
  fc.assert(fc.property(progArb, (p) => {
    const q: Prog = { ...p, threads: p.threads.map((code) => code.map((i) => (i.k === 'section' ? { ...i, body: [...i.body, { k: 'wait' as const, x: 0, v: 0 }] } : i))) };
    // var x is guarded by lock x: an access to a var whose lock the thread does not hold
    // (neither the section's nor one taken before) is the non-mover, the commit point
    const expected = reachesSection(q, (s, st, t) => [...vars(s.body.slice(0, -1))].some((x) => x !== s.l && st[p.vars + x] !== t + 1));
    const msg = breaks(progModel(q));
    assert.equal(msg !== null, expected, msg ?? 'no breach');
    if (msg) { caught++; assert.match(msg, /waits on x0 after the commit point: a step that can block must start a new transaction/); }
  }), { numRuns: 300 });
  assert.ok(caught > 0, 'no generated section committed before its wait');
});

test('a wait at the start of a lock section is a right mover and passes', () => {
  const p: Prog = { vars: 2, locks: 2, threads: [[{ k: 'section', l: 0, body: [{ k: 'wait', x: 1, v: 0 }, { k: 'set', x: 1, v: 1 }] }], [{ k: 'set', x: 1, v: 2 }]] };
  assert.equal(breaks(progModel(p)), null);
});

/** One thread running `body` once over a lock `l`, a shared `x` and a shared `y`. */
function oneStep(body: (s: Store, l: number, x: number, y: number) => void): StatefulModel {
  const layout = new StoreLayout();
  const l = layout.lock('l');
  const x = layout.field('x', 1, { shared: 'x' });
  const y = layout.field('y', 1, { shared: 'y' });
  const pc = layout.field('pc', 1, { local: 0 });
  return {
    layout, threads: ['t0'], init: () => {},
    step(s) {
      if (s.get(pc)) return false;
      body(s, l, x, y);
      s.set(pc, 1);
      return true;
    },
    finished: (s) => s.get(pc) === 1,
  };
}

test('mutant, a lock acquire after the commit point (after the non-mover, or after a release) is a model bug', () => {
  assert.equal(breaks(oneStep((s, l, x) => { s.set(l, 1); s.set(x, 1); s.set(l, 0); })), null);
  assert.match(breaks(oneStep((s, l, x) => { s.set(x, 1); s.set(l, 1); s.set(l, 0); })) ?? '', /acquires lock l after the commit point/);
  assert.match(breaks(oneStep((s, l) => { s.set(l, 1); s.set(l, 0); s.set(l, 1); s.set(l, 0); })) ?? '', /acquires lock l after the commit point/);
  assert.match(breaks(oneStep((s, _l, x) => { s.get(x); s.wait(x); })) ?? '', /waits on x after the commit point/);
});

test('one atomic object accessed twice is one non-mover; two objects are two', () => {
  assert.equal(breaks(oneStep((s, _l, x) => { s.set(x, s.get(x) + 1); })), null);
  assert.match(breaks(oneStep((s, _l, x, y) => { s.set(x, 1); s.get(y); })) ?? '', /reads y \(y\) after the transaction's non-mover x/);
});

test('a lock slot written as neither an acquire of a free lock nor a release by its owner is a model bug', () => {
  assert.match(breaks(oneStep((s, l) => { s.set(l, 1); s.set(l, 1); })) ?? '', /writes lock l from 1 to 1/);
  assert.match(breaks(oneStep((s, l) => { s.set(l, 2); })) ?? '', /writes lock l from 0 to 2/);
});

test('a slot local to one thread touched by another is a model bug', () => {
  const layout = new StoreLayout();
  const pc0 = layout.field('t0.pc', 1, { local: 0 });
  const pc1 = layout.field('t1.pc', 1, { local: 1 });
  const m: StatefulModel = {
    layout, threads: ['t0', 't1'], init: () => {},
    step: (s, t) => (t === 0 ? (s.get(pc0) ? false : (s.set(pc0, 1), true)) : (s.get(pc1) || !s.get(pc0) ? false : (s.set(pc1, 1), true))),
    finished: () => true,
  };
  assert.match(breaks(m) ?? '', /t1 breaks a transaction condition: it reads t0\.pc, local to thread 0/);
});

test('undeclared slots are each their own atomic object: a transaction over two of them is caught', () => {
  const layout = new StoreLayout();
  layout.field('a');
  layout.field('b');
  const m: StatefulModel = {
    layout, threads: ['t0'], init: () => {},
    step: (s) => (s.get(0) ? false : (s.set(0, 1), s.set(1, 1), true)),
    finished: () => true,
  };
  assert.match(breaks(m) ?? '', /writes b \(undeclared b\) after the transaction's non-mover undeclared a/);
  assert.equal(statefulSearch(m, { transactions: false }).states, 2);
});

// bench/results/stateful.md, S1 and S2 correct: [states, transitions] for ordered, ordered + symmetry, canonical, canonical + symmetry
const BENCH: Record<string, [number, number][]> = {
  '2x2': [[69_444, 172_719], [34_733, 86_384], [15_120, 43_149], [7_572, 21_600]],
  '2x3': [[234_064, 596_829], [117_043, 298_439], [33_020, 96_765], [16_522, 48_408]],
};

test('the twin passes the transaction checks at S1 and S2 with the state and transition counts of the bench table', () => {
  for (const [nk, rows] of Object.entries(BENCH)) {
    const [n, k] = nk.split('x').map(Number) as [number, number];
    rows.forEach(([states, transitions], r) => {
      const res = statefulSearch(twinModel(n, k, 'correct', { canonical: r >= 2 }), { symmetry: r % 2 === 1 });
      assert.ok(res.complete && res.violations.length === 0, `${nk} row ${r}`);
      assert.deepEqual([res.states, res.transitions], [states, transitions], `${nk} row ${r}`);
    });
  }
  const buggy = statefulSearch(twinModel(2, 2, 'v2-no-wait'));
  assert.deepEqual([buggy.states, buggy.violations[0]?.property, buggy.violations[0]?.schedule.length], [85, 'dma-after-revoke', 13]);
});

test('twin mutants: splitting an atomic object in two makes a twin transaction two non-movers', () => {
  const slot = (m: StatefulModel, name: string) => m.layout.fields.find((f) => f.name === name)!.base;
  // the kref and the completion its last put fires are one atomic object in the twin
  const kref = twinModel(1, 1, 'correct');
  kref.layout.protect(slot(kref, 'vfio.comp.done'), 1, { shared: 'completion' });
  assert.match(breaks(kref) ?? '', /vfio\.comp\.done \(completion\) after the transaction's non-mover vfio\.kref/);
  // a DMA access reads the BAR's state and the mapping at one instant
  const bar = twinModel(1, 1, 'correct');
  bar.layout.protect(slot(bar, 'BAR0.disabled'), 1, { shared: 'BAR0 power state' });
  assert.match(breaks(bar) ?? '', /BAR0 power state/);
});
