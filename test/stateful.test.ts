// The stateful search against a naive tree enumeration on generated programs: the same
// terminal states and violations, fingerprints = exact states, symmetry keeps verdicts,
// and a mutant that hides state from the store is caught.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ModelBugError, statefulSearch, type StatefulModel, type StatefulOptions } from '../src/check/stateful.ts';
import { canonicalise } from '../src/check/state-symmetry.ts';
import { Store } from '../src/sim/store.ts';
import { enumerate, progArb, progModel, propertiesOf, type Outcomes, type Prog } from './store-programs.ts';

function search(m: StatefulModel, opts: StatefulOptions = {}) {
  const terminals = new Set<string>();
  const r = statefulSearch(m, { stopAtFirst: false, ...opts, onTerminal: (s, dead) => { terminals.add(`${dead ? 'D' : ''}${Array.from(s.slots).join(',')}`); } });
  const violations = new Set(r.violations.filter((v) => v.property !== 'deadlock').map((v) => `${v.property}|${v.message}`));
  return { r, out: { terminals, violations } as Outcomes };
}

function sameOutcomes(a: Outcomes, b: Outcomes): boolean {
  const eq = (x: Set<string>, y: Set<string>) => x.size === y.size && [...x].every((k) => y.has(k));
  return eq(a.terminals, b.terminals) && eq(a.violations, b.violations);
}

/** Terminal keys mapped to their symmetry representatives. */
function canonicalTerminals(p: Prog, keys: Set<string>): Set<string> {
  const m = progModel(p);
  const out = new Set<string>();
  for (const k of keys) {
    const dead = k.startsWith('D');
    const s = new Store(m.layout);
    (dead ? k.slice(1) : k).split(',').forEach((v, i) => s.set(i, Number(v)));
    const c = new Store(m.layout);
    canonicalise(s, c, m.symmetry ?? []);
    out.add(`${dead ? 'D' : ''}${Array.from(c.slots).join(',')}`);
  }
  return out;
}

test('stateful search reaches exactly the terminal states and violations of a naive enumeration', () => {
  fc.assert(fc.property(progArb, (p) => {
    const ref = enumerate(p);
    const { out } = search(progModel(p));
    assert.deepEqual([...out.terminals].sort(), [...ref.terminals].sort());
    assert.deepEqual([...out.violations].sort(), [...ref.violations].sort());
  }), { numRuns: 300 });
});

test('the search stores each reachable state once and checks the invariant on every one', () => {
  fc.assert(fc.property(progArb, (p) => {
    const ref = enumerate(p);
    const m = progModel(p);
    // the invariant: variable 0 never holds 2
    const bad = [...ref.reachable!].filter((k) => k.split(',')[0] === '2');
    const r = statefulSearch({ ...m, invariant: (s, out) => { if (s.get(0) === 2) out.report('leak', 'inv', 'x0 == 2'); } }, { exact: true, stopAtFirst: false });
    if (bad.length === 0) {
      assert.equal(r.states, ref.reachable!.size);
      assert.ok(r.violations.every((v) => v.property !== 'leak'));
    } else {
      const v = r.violations.find((x) => x.property === 'leak');
      assert.ok(v, 'invariant violation found');
      const s = new Store(m.layout);
      for (const t of v.schedule) m.step(s, t, { report: () => {} });
      assert.equal(s.get(0), 2);
    }
  }), { numRuns: 200 });
});

test('fingerprint mode and exact mode store the same states and reach the same outcomes', () => {
  fc.assert(fc.property(progArb, (p) => {
    const fp = search(progModel(p));
    const ex = search(progModel(p), { exact: true });
    assert.equal(fp.r.states, ex.r.states);
    assert.equal(fp.r.transitions, ex.r.transitions);
    assert.ok(sameOutcomes(fp.out, ex.out));
    assert.equal(ex.r.omissionProbability, 0);
    assert.ok(fp.r.omissionProbability < 1e-12);
  }), { numRuns: 200 });
});

test('symmetry on and off: the same properties, the same terminal states up to renaming, never more states', () => {
  let reduced = 0;
  fc.assert(fc.property(progArb, (p) => {
    const off = search(progModel(p), { exact: true });
    const on = search(progModel(p), { exact: true, symmetry: true });
    const props = (r: typeof off) => new Set(r.r.violations.map((v) => v.property));
    assert.deepEqual([...props(on)].sort(), [...props(off)].sort());
    assert.deepEqual([...propertiesOf(on.out)].sort(), [...propertiesOf(off.out)].sort());
    assert.deepEqual([...canonicalTerminals(p, on.out.terminals)].sort(), [...canonicalTerminals(p, off.out.terminals)].sort());
    assert.ok(on.r.states <= off.r.states);
    if (on.r.states < off.r.states) reduced++;
  }), { numRuns: 200 });
  assert.ok(reduced > 0, 'symmetry reduced no generated program');
});

test('a counterexample is the DFS stack: replaying its thread indices from the initial state reproduces the violation', () => {
  fc.assert(fc.property(progArb, (p) => {
    const m = progModel(p);
    const r = statefulSearch(m);
    if (r.violations.length === 0) return;
    const v = r.violations[0]!;
    const s = new Store(m.layout);
    m.init(s);
    const seen: string[] = [];
    const sink = { report: (property: string, _rule: string, message: string) => { seen.push(`${property}|${message}`); } };
    for (const t of v.schedule) assert.ok(m.step(s, t, sink), `thread ${t} can run`);
    if (v.property === 'deadlock') {
      assert.ok(m.threads.every((_, t) => !m.step(s, t, sink)));
      assert.ok(m.threads.some((_, t) => !m.finished(s, t)));
    } else assert.ok(seen.includes(`${v.property}|${v.message}`));
  }), { numRuns: 200 });
});

test('a lock-order inversion is a deadlock with its schedule', () => {
  const p: Prog = { vars: 1, locks: 2, threads: [
    [{ k: 'lock', l: 0 }, { k: 'lock', l: 1 }, { k: 'unlock', l: 1 }, { k: 'unlock', l: 0 }],
    [{ k: 'lock', l: 1 }, { k: 'lock', l: 0 }, { k: 'unlock', l: 0 }, { k: 'unlock', l: 1 }],
  ] };
  const r = statefulSearch(progModel(p));
  assert.equal(r.violations[0]?.property, 'deadlock');
  assert.deepEqual(r.violations[0]?.schedule, [0, 1]);
  assert.equal(r.complete, false);
});

test('mutant: a register kept outside the store makes the search disagree with the enumeration', () => {
  // t0 loads x then stores x + 1 into y; t1 sets x: the load's value is hidden state
  const p: Prog = { vars: 2, locks: 1, threads: [[{ k: 'load', x: 0 }, { k: 'store', x: 1, v: 1 }], [{ k: 'set', x: 0, v: 1 }]] };
  assert.ok(sameOutcomes(search(progModel(p)).out, enumerate(p)));
  assert.ok(!sameOutcomes(search(progModel(p, true)).out, enumerate(p)));
  // and the generated-program oracle finds such a program by itself
  const found = fc.check(fc.property(progArb, (q) => sameOutcomes(search(progModel(q, true)).out, enumerate(q))), { numRuns: 300 });
  assert.ok(found.failed, 'the oracle did not notice hidden state');
});

test('a disabled transaction that writes the store is a model bug', () => {
  const m = progModel({ vars: 1, locks: 1, threads: [[{ k: 'set', x: 0, v: 1 }]] });
  const bad: StatefulModel = { ...m, step: (s, t, out) => (m.step(s, t, out) || (s.set(0, 9), false)) };
  assert.throws(() => statefulSearch(bad), ModelBugError);
});
