// Splitting one search (explore.ts `Shard`): the union of the shards is the unsharded
// search, every equivalence class once, whether units are dealt round-robin (--shard) or
// claimed from a shared counter (--workers); and merging shard results gives the verdict.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { normalForm, normalOrder } from '../src/check/audit.ts';
import { checkScenario } from '../src/check/check.ts';
import { explore, shardDepth, type Shard } from '../src/check/explore.ts';
import { mergeShards } from '../src/check/merge.ts';
import { loadScenario } from '../src/cli/files.ts';
import { buildWorld } from '../src/scenario/world.ts';
import type { Runtime } from '../src/sim/runtime.ts';
import { progArb, progWorld } from './programs.ts';

/** The threads of the execution's normal form: its class (dynamic object ids left out). */
const threadOrder = (rt: Runtime) => Array.from(normalOrder(rt), (i) => rt.hb.tids[i]).join(',');

/** Normal form of every execution the search explores (with repeats) and the outcomes. */
function classes(build: () => Runtime, shard?: Shard) {
  const forms: string[] = [];
  const outcomes = new Set<string>();
  const stats = explore(build, { strategy: 'dpor', shard }, (rt) => {
    forms.push(normalForm(rt));
    outcomes.add(rt.violations.map((v) => `${v.property}:${v.message}`).sort().join(' + '));
    return false;
  });
  assert.ok(stats.complete);
  return { forms, outcomes };
}

function assertSameSearch(build: () => Runtime, shards: Shard[]) {
  const whole = classes(build);
  const parts = shards.map((s) => classes(build, s));
  const union = parts.flatMap((p) => p.forms);
  assert.equal(new Set(union).size, union.length, 'no execution explored twice across shards');
  assert.deepEqual(union.sort(), [...whole.forms].sort(), 'the shards explore exactly the classes of the whole search');
  assert.deepEqual([...new Set(parts.flatMap((p) => [...p.outcomes]))].sort(), [...whole.outcomes].sort());
}

/** Claims that model any interleaving of claimants on one counter: a random owner per unit. */
function claimants(count: number, owner: (unit: number) => number): Shard[] {
  return Array.from({ length: count }, (_, index) => {
    let last = -1;
    return { index, count, depth: 2, claim: () => { do last++; while (owner(last) !== index); return last; } };
  });
}

const scenarios = ['b11-gpu-fenced-evict-fixed', 'odp-gpu-evict-fixed', 'b14-vfio-no-revoked-check', 'b16-revoke-races-import', 'gpu-no-invalidate-before-move', 'b6-iommufd-unpin-fixed'];

for (const name of scenarios) {
  test(`round-robin shards of ${name} are the whole search`, () => {
    const sc = loadScenario(`scenarios/${name}.yaml`);
    for (const count of [2, 3]) {
      for (const depth of [2, shardDepth(count, false)]) {
        assertSameSearch(() => buildWorld(sc).rt, Array.from({ length: count }, (_, index) => ({ index, count, depth })));
      }
    }
  });
}

// Every search order must reach the same classes. When the model reads shared state
// outside an op (a hidden read), executions the reduction thinks equivalent are not, and
// which representative a search picks decides what it sees. Searching again with the
// other default thread order shows it: this caught a hidden race in gpu-dynamic (its
// job-fence list) that no verdict showed, and two gaps of the reduction with waits (a
// wait's race with the step that disabled it before the thread got there).
test('mirrored searches reach the same classes on every bundled scenario', () => {
  let compared = 0;
  for (const f of readdirSync('scenarios').filter((x) => x.endsWith('.yaml')).sort()) {
    const sc = loadScenario(`scenarios/${f}`);
    const forms = (mirror: boolean) => {
      const out = new Set<string>();
      const st = explore(() => buildWorld(sc).rt, { strategy: 'dpor', mirror, maxExecutions: 1200 }, (rt) => { out.add(threadOrder(rt)); return false; });
      return st.complete ? [...out].sort() : undefined;
    };
    const plain = forms(false);
    if (!plain) continue;
    assert.deepEqual(forms(true), plain, f);
    compared++;
  }
  assert.ok(compared >= 50, `${compared} scenarios compared`);
});


test('claimed shards are the whole search, however the claims interleave', () => {
  const sc = loadScenario('scenarios/b14-vfio-no-revoked-check.yaml');
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 3 }), fc.array(fc.nat(2), { minLength: 1, maxLength: 64 }), (count, owners) => {
      // the generated owners for the first units, round-robin after them (every claimant ends)
      assertSameSearch(() => buildWorld(sc).rt, claimants(count, (u) => (u < owners.length ? owners[u]! : u) % count));
    }),
    { numRuns: 15 },
  );
});

test('shards of generated programs are the whole search', () => {
  fc.assert(
    fc.property(progArb, fc.integer({ min: 2, max: 3 }), fc.integer({ min: 1, max: 4 }), (prog, count, depth) => {
      assertSameSearch(progWorld(prog), Array.from({ length: count }, (_, index) => ({ index, count, depth })));
    }),
    { numRuns: 60 },
  );
});

test('merged shard results give the unsharded verdict and executions', () => {
  for (const name of ['b1-vfio-revoke-fixed', 'b14-vfio-no-revoked-check']) {
    const sc = loadScenario(`scenarios/${name}.yaml`);
    const whole = checkScenario(sc, { strategy: 'dpor' });
    const parts = [2, 0, 1].map((index) => checkScenario(sc, { shard: { index, count: 3 } }));
    assert.deepEqual(parts.map((p) => p.shard?.index).sort(), [1, 2, 3]);
    const merged = mergeShards(parts);
    assert.equal(merged.verdict, whole.verdict, name);
    assert.equal(merged.ok, whole.ok, name);
    assert.equal(merged.complete, true);
    assert.equal(merged.stats.shards, 3);
    assert.equal(merged.shard, undefined);
    assert.equal(merged.stats.redundant, 0);
    if (whole.verdict === 'safe') assert.equal(merged.stats.executions, whole.stats.executions, 'a safe search explores the same executions, split');
    else assert.equal(merged.violation?.property, whole.violation?.property);
  }
});

test('merging keeps the coarsest audit sample of the shards, and none when no shard sampled', () => {
  const sc = loadScenario('scenarios/b1-vfio-revoke-fixed.yaml');
  const parts = [0, 1].map((index) => checkScenario(sc, { shard: { index, count: 2 } }));
  assert.equal(mergeShards(parts).stats.auditSample, undefined);
  const sampled = [
    { ...parts[0]!, stats: { ...parts[0]!.stats, auditSample: { from: 3_000_000, rate: 0.25 } } },
    { ...parts[1]!, stats: { ...parts[1]!.stats, auditSample: { from: 2_500_000, rate: 0.5 } } },
  ];
  assert.deepEqual(mergeShards(sampled).stats.auditSample, { from: 2_500_000, rate: 0.25 });
  assert.deepEqual(mergeShards([sampled[0]!, parts[1]!]).stats.auditSample, { from: 3_000_000, rate: 0.25 });
});
