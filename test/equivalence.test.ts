// dpor against exhaustive on every bundled scenario. Exhaustive enumeration finishes only on
// the smallest ones: there the two must reach the same outcomes (the set of violation sets
// of all executions); elsewhere every property exhaustive meets within its budget must be
// one dpor finds in its complete search.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { explore, type Strategy } from '../src/check/explore.ts';
import { loadScenario } from '../src/cli/files.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { buildWorld } from '../src/scenario/world.ts';

const BUDGET = 1500;

function outcomes(sc: Scenario, strategy: Strategy, maxExecutions?: number) {
  const seen = new Set<string>();
  const props = new Set<string>();
  const stats = explore(() => buildWorld(sc).rt, { strategy, maxExecutions }, (rt) => {
    seen.add(rt.violations.map((v) => `${v.property}/${v.rule}/${v.message}`).sort().join(' + '));
    for (const v of rt.violations) props.add(v.property);
    return false;
  });
  return { seen, props, complete: stats.complete };
}

const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort();
let compared = 0;

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
  });
}

test('exhaustive completed and matched on some bundled scenarios', () => {
  assert.ok(compared >= 8, `only ${compared} scenarios compared in full`);
});
