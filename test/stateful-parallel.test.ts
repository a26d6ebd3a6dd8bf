// The shared fingerprint table and the parallel stateful search (issue 18 point 7): the
// table's inserts under real concurrency, and the workers' search against the sequential
// one: the same states stored, the same properties, counterexamples that replay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ModelBugError, statefulSearch, type StatefulModel } from '../src/check/stateful.ts';
import { parallelStatefulSearch } from '../src/check/stateful-parallel.ts';
import { FingerprintSet, SharedFingerprintSet } from '../src/check/visited.ts';
import { Store } from '../src/sim/store.ts';
import { twinModel } from '../bench/stateful/twin.ts';
import { progArb, progModel } from './store-programs.ts';
import type { ModelArgs } from './stateful-workers.ts';
import { tsxWorker } from './tsx-worker.ts';

const SCRIPT = new URL('./stateful-workers.ts', import.meta.url);
const props = (vs: readonly { property: string }[]) => [...new Set(vs.map((v) => v.property))].sort();

test('shared table: the same answers as the growing table, one thread (zero lanes included)', () => {
  const lane = fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
  fc.assert(fc.property(fc.array(fc.tuple(lane, lane), { maxLength: 400 }), (pairs) => {
    const shared = SharedFingerprintSet.create(pairs.length);
    const plain = new FingerprintSet();
    // the shared table stores a 0 lane as 1: compare against the same folding
    for (const [a, b] of pairs) assert.equal(shared.addPair(a, b), plain.addPair((a || 1) >>> 0, (b || 1) >>> 0));
    assert.equal(shared.size, plain.size);
    assert.equal(shared.overflowed, false);
  }));
});

test('shared table: refuses inserts past 7/8 load and says it overflowed', () => {
  const t = SharedFingerprintSet.create(10);
  let stored = 0;
  for (let i = 1; i <= 2000; i++) if (t.addPair(i, i * 7 + 1)) stored++;
  assert.equal(stored, 1024 - 128);
  assert.equal(t.size, stored);
  assert.ok(t.overflowed);
  assert.equal(t.addPair(1, 8), false, 'a stored fingerprint is still found');
});

test('shared table: four threads inserting overlapping fingerprints at once store each exactly once', async () => {
  const n = 4;
  const distinct = 60_000;
  const table = SharedFingerprintSet.create(distinct);
  const go = new Int32Array(new SharedArrayBuffer(8));
  go[1] = n;
  // every worker inserts every fingerprint, in its own order, and some share a hi lane
  const jobs = Array.from({ length: n }, (_, w) => {
    const pairs = new Int32Array(2 * distinct);
    for (let j = 0; j < distinct; j++) {
      const i = (j * (2 * w + 1) * 7919) % distinct;
      pairs[2 * j] = i >> 2;
      pairs[2 * j + 1] = Math.imul(i + 1, 0x9e3779b1);
    }
    return new Promise<{ pairs: Int32Array; fresh: number[] }>((resolve, reject) => {
      const worker = tsxWorker(new URL('./shared-table-worker.ts', import.meta.url), { workerData: { table: table.buffer, pairs, go: go.buffer } });
      worker.once('message', (fresh: number[]) => resolve({ pairs, fresh }));
      worker.once('error', reject);
    });
  });
  const done = await Promise.all(jobs);
  const owners = new Map<string, number>();
  for (const { pairs, fresh } of done) {
    for (const j of fresh) {
      const k = `${pairs[2 * j]},${pairs[2 * j + 1]}`;
      owners.set(k, (owners.get(k) ?? 0) + 1);
    }
  }
  assert.equal(owners.size, distinct);
  assert.ok([...owners.values()].every((c) => c === 1), 'some fingerprint was new to two threads');
  assert.equal(table.size, distinct);
});

test('parallel search on generated programs: the states and properties of the sequential search', async () => {
  const progs = fc.sample(progArb, { numRuns: 6, seed: 18 });
  for (const prog of progs) {
    const seq = statefulSearch(progModel(prog), { stopAtFirst: false });
    const par = await parallelStatefulSearch(SCRIPT, { kind: 'prog', prog } satisfies ModelArgs, 2, { stopAtFirst: false }, tsxWorker);
    assert.equal(par.states, seq.states, JSON.stringify(prog));
    assert.equal(par.perWorker.reduce((a, b) => a + b, 0), par.states);
    assert.equal(par.complete, seq.complete);
    assert.deepEqual(props(par.violations), props(seq.violations));
  }
});

test('parallel search of the twin (2x2 canonical, symmetry): the sequential states with 2 and 3 workers', async () => {
  const seq = statefulSearch(twinModel(2, 2, 'correct', { canonical: true }), { symmetry: true });
  assert.equal(seq.states, 7572);
  for (const workers of [2, 3]) {
    const par = await parallelStatefulSearch(SCRIPT, { kind: 'twin', n: 2, k: 2, variant: 'correct', canonical: true } satisfies ModelArgs, workers, { symmetry: true }, tsxWorker);
    assert.equal(par.states, seq.states);
    assert.ok(par.complete);
    assert.deepEqual(par.violations, []);
    assert.equal(par.perWorker.length, workers);
    assert.ok(par.transitions >= seq.transitions, 'every transition of the sequential search is run by some worker');
  }
});

test('parallel search of the buggy twin: stops at a violation whose schedule replays', async () => {
  const par = await parallelStatefulSearch(SCRIPT, { kind: 'twin', n: 2, k: 2, variant: 'v2-no-wait', canonical: true } satisfies ModelArgs, 2, {}, tsxWorker);
  assert.equal(par.complete, false);
  const v = par.violations[0]!;
  assert.equal(v.property, 'dma-after-revoke');
  const m: StatefulModel = twinModel(2, 2, 'v2-no-wait', { canonical: true });
  const s = new Store(m.layout);
  m.init(s);
  const seen: string[] = [];
  const sink = { report: (p: string, _r: string, msg: string) => { seen.push(`${p}|${msg}`); } };
  for (const t of v.schedule) {
    assert.ok(m.step(s, t, sink), `thread ${m.threads[t]} can run`);
    m.invariant?.(s, sink);
  }
  assert.ok(seen.includes(`${v.property}|${v.message}`));
});

test('parallel search: a table too small ends incomplete; a model bug in a worker rejects', async () => {
  const par = await parallelStatefulSearch(SCRIPT, { kind: 'twin', n: 2, k: 2, variant: 'correct', canonical: true } satisfies ModelArgs, 2, { expected: 1000, symmetry: true }, tsxWorker);
  assert.equal(par.complete, false);
  assert.ok(par.states < 7572);
  await assert.rejects(parallelStatefulSearch(SCRIPT, { kind: 'disabled-writes' } satisfies ModelArgs, 2, {}, tsxWorker), ModelBugError);
});

test('symmetry: the states stored do not depend on the order threads are tried in (what the workers rely on)', () => {
  // 3x1: three importers' fences in the canonical (sorted) resv list, renamed and sorted again
  for (const [n, k] of [[2, 2], [3, 1]] as const) {
    const counts = [0, 1, 2, 5].map((order) => statefulSearch(twinModel(n, k, 'correct', { canonical: true }), { symmetry: true, order }).states);
    assert.equal(new Set(counts).size, 1, `${n}x${k}: ${counts.join(', ')}`);
  }
  fc.assert(fc.property(progArb, (prog) => {
    const counts = [0, 1, 3].map((order) => statefulSearch(progModel(prog), { symmetry: true, stopAtFirst: false, order }).states);
    assert.equal(new Set(counts).size, 1, counts.join(', '));
  }), { numRuns: 150 });
});
