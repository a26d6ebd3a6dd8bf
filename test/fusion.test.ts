// The step classifier of the fused transactions (src/sim/fusion.ts): what each declared
// protection makes of an access, and that a broken declaration is a model bug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, StoreLayout } from '../src/sim/store.ts';
import { fusedStep, StepClassifier, STEP_L, STEP_N, STEP_R } from '../src/sim/fusion.ts';

/** A layout with one counter consumed by thread 1, one lock, a slot it guards and a plain shared slot. */
function world() {
  const layout = new StoreLayout();
  const lock = layout.lock('l');
  const counter = layout.field('done', 1, { counter: 1 });
  const guarded = layout.field('g', 1, { lock });
  const shared = layout.field('x');
  const s = new Store(layout);
  const cls = new StepClassifier(layout.protection(), (i) => layout.slotName(i));
  return { s, lock, counter, guarded, shared, step: stepper(s, cls), cls };
}

/** Runs `body` as one step of thread `t` on `s` and returns the step's bits and the bug `cls` found. */
function stepper(s: Store, cls: StepClassifier) {
  return (t: number, body: () => void) => {
    cls.begin(t, s.slots);
    s.tx = cls;
    try { body(); } finally { s.tx = null; }
    cls.end();
    return { bits: cls.bits, bug: cls.bug };
  };
}

test('fusion: the consumer\'s wait on a positive counter and its decrement are both-movers', () => {
  const w = world();
  w.s.set(w.counter, 2);
  const r = w.step(1, () => { w.s.wait(w.counter); w.s.set(w.counter, w.s.get(w.counter) - 1); });
  assert.deepEqual(r, { bits: 0, bug: null });
  assert.equal(w.s.get(w.counter), 1);
});

test('fusion: the consumer reading a zero counter, resetting it or incrementing it is a non-mover', () => {
  const w = world();
  assert.equal(w.step(1, () => { w.s.get(w.counter); }).bits, STEP_N);
  assert.equal(w.step(1, () => { w.s.set(w.counter, w.s.get(w.counter) + 1); }).bits, STEP_N);
  w.s.set(w.counter, 3);
  assert.equal(w.step(1, () => { w.s.set(w.counter, 0); }).bits, STEP_N);
});

test('fusion: another thread may only increment a counter, as a non-mover', () => {
  const w = world();
  assert.deepEqual(w.step(0, () => { w.s.set(w.counter, w.s.get(w.counter) + 1); }), { bits: STEP_N, bug: null });
  const read = w.step(0, () => { w.s.get(w.counter); });
  assert.match(read.bug ?? '', /reads counter done without incrementing it: only its consumer may read it/);
  const w2 = world();
  w2.s.set(w2.counter, 2);
  assert.match(w2.step(0, () => { w2.s.set(w2.counter, 1); }).bug ?? '', /sets counter done from 2 to 1: a thread other than its consumer \(thread 1\) may only increment it/);
  const w3 = world();
  assert.match(w3.step(1, () => { w3.s.set(w3.counter, 5); }).bug ?? '', /its consumer may only increment it, decrement it or reset it to 0/);
});

test('fusion: locks, guarded and shared slots keep their classes', () => {
  const w = world();
  assert.equal(w.step(0, () => { w.s.set(w.lock, 1); w.s.set(w.guarded, 7); }).bits, STEP_R);
  assert.equal(w.step(0, () => { w.s.set(w.guarded, 8); w.s.set(w.lock, 0); }).bits, STEP_L);
  assert.match(w.step(1, () => { w.s.get(w.guarded); }).bug ?? '', /reads g without holding l/);
  assert.equal(w.step(1, () => { w.s.get(w.shared); }).bits, STEP_N);
});

test('fusion: a transaction runs on past an enabled wait on a counter and stops at a zero one', () => {
  // thread 1: touch the shared slot (the commit), then consume the counter, then consume it again
  const w = world();
  w.s.set(w.counter, 1);
  let pc = 0;
  const stepOf = (st: Store): boolean => {
    if (pc === 0) { st.set(w.shared, 1); pc = 1; return true; }
    if (st.wait(w.counter) <= 0) return false;
    st.set(w.counter, st.get(w.counter) - 1);
    pc++;
    return true;
  };
  const n = fusedStep(w.s, 1, w.cls, -1, stepOf, () => {}, () => {});
  assert.equal(n, 2, 'the shared write and the first wait are one transaction; the second wait blocks');
  assert.equal(w.s.get(w.counter), 0);
  assert.equal(pc, 2);
});

test('fusion: a slot written once is a both-mover to read once set, and a second write is a model bug', () => {
  const layout = new StoreLayout();
  const flag = layout.field('signaled', 1, { once: true });
  const s = new Store(layout);
  const step = stepper(s, new StepClassifier(layout.protection(), (i) => layout.slotName(i)));
  assert.deepEqual(step(0, () => { s.wait(flag); }), { bits: STEP_N, bug: null }, 'a read of 0 can be falsified by the write');
  assert.deepEqual(step(1, () => { s.set(flag, 1); }), { bits: STEP_N, bug: null });
  assert.deepEqual(step(0, () => { s.wait(flag); s.get(flag); }), { bits: 0, bug: null });
  assert.deepEqual(step(1, () => { s.set(flag, 1); }), { bits: 0, bug: null }, 'writing the value it has is a read');
  assert.match(step(1, () => { s.set(flag, 0); }).bug ?? '', /sets signaled from 1 to 0: the layout declares it written once/);
});
