// dpor against exhaustive on every bundled scenario. Exhaustive enumeration finishes only on
// the smallest ones: there the two must reach the same outcomes (the set of violation sets
// of all executions); elsewhere every property exhaustive meets within its budget must be
// one dpor finds in its complete search. The sleep-set search (every awake thread, no race
// analysis) completes one execution per class: where it finishes within its budget it must
// count exactly dpor's classes and reach the same outcomes.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { explore, type Strategy } from '../src/check/explore.ts';
import { loadScenario } from '../src/cli/files.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { buildWorld } from '../src/scenario/world.ts';

const BUDGET = 1500;
/** executions and sleep-blocked prefixes of the sleep-set search */
const SLEEP_BUDGET = 4000;

function outcomes(sc: Scenario, strategy: Strategy, maxExecutions?: number, maxPrefixes?: number) {
  const seen = new Set<string>();
  const props = new Set<string>();
  const stats = explore(() => buildWorld(sc).rt, { strategy, maxExecutions, maxPrefixes }, (rt) => {
    seen.add(rt.violations.map((v) => `${v.property}/${v.rule}/${v.message}`).sort().join(' + '));
    for (const v of rt.violations) props.add(v.property);
    return false;
  });
  return { seen, props, complete: stats.complete, executions: stats.executions };
}

const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort();
let compared = 0;
let referenced = 0;

for (const f of files) {
  test(`dpor covers exhaustive: ${f}`, () => {
    const sc = loadScenario(`scenarios/${f}`);
    const dp = outcomes(sc, 'dpor');
    assert.ok(dp.complete, 'dpor completes on every bundled scenario');
    const ex = outcomes(sc, 'exhaustive', BUDGET);
    if (ex.complete) {
      compared++;
      assert.deepEqual([...dp.seen].sort(), [...ex.seen].sort(), 'same outcomes');
    } else {
      for (const p of ex.props) assert.ok(dp.props.has(p), `exhaustive met ${p}, dpor did not`);
    }
    const sl = outcomes(sc, 'sleep', undefined, SLEEP_BUDGET);
    if (sl.complete) {
      referenced++;
      assert.equal(dp.executions, sl.executions, 'dpor and the sleep-set search count the same classes');
      assert.deepEqual([...dp.seen].sort(), [...sl.seen].sort(), 'same outcomes as the sleep-set search');
    }
  });
}

test('exhaustive completed and matched on some bundled scenarios', () => {
  assert.ok(compared >= 8, `only ${compared} scenarios compared in full`);
  assert.ok(referenced >= 30, `only ${referenced} scenarios compared with the sleep-set search`);
});
