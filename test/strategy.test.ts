/**
 * The strategy records, the options' problems and the parallel policy (check/strategy.ts,
 * check/options.ts, check/parallel.ts), and variants declared once (drivers/types.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECK_DEFAULTS, optionsProblem } from '../src/check/options.ts';
import { shardsPerScenario } from '../src/check/parallel.ts';
import { STRATEGIES, STRATEGY_NAMES, strategyNamed } from '../src/check/strategy.ts';
import { EXPORTERS, IMPORTERS } from '../src/drivers/catalogue.ts';
import { variantSwitches } from '../src/drivers/types.ts';

test('each strategy record says what a complete search covers and what it takes', () => {
  assert.deepEqual(STRATEGY_NAMES.map((n) => [n, STRATEGIES[n].covers, STRATEGIES[n].shardable, STRATEGIES[n].symmetry, STRATEGIES[n].audited]), [
    ['dpor', 'classes', true, true, true],
    ['exhaustive', 'schedules', true, false, false],
    ['pct', null, false, false, false],
    ['random', null, false, false, false],
    ['stateful', 'states', false, true, false],
  ]);
  for (const n of STRATEGY_NAMES) assert.equal(strategyNamed(n), STRATEGIES[n]);
  assert.equal(strategyNamed('stateful-later'), undefined);
  assert.equal(CHECK_DEFAULTS.strategy, 'stateful');
});

test('optionsProblem refuses the combinations a strategy does not take', () => {
  assert.equal(optionsProblem({}), null);
  assert.equal(optionsProblem({ strategy: 'exhaustive', count: true, shard: { index: 0, count: 2 } }), null);
  assert.equal(optionsProblem({ strategy: 'pct', shard: { index: 0, count: 2 } }), '--shard splits the dpor and exhaustive searches; for pct and random give each job its own --seed');
  assert.equal(optionsProblem({ strategy: 'exhaustive', symmetry: true }), '--symmetry is a reduction of the dpor and stateful search');
  assert.equal(optionsProblem({ strategy: 'stateful', symmetry: true }), null);
  assert.equal(optionsProblem({ symmetry: true }), null);
  assert.match(optionsProblem({ strategy: 'random', count: true }) ?? '', /^--count counts the classes of a dpor search .*; pct and random sample$/);
  assert.match(optionsProblem({ shard: { index: 0, count: 2 } }, 2) ?? '', /do not combine/);
  assert.match(optionsProblem({ strategy: 'stateful', shard: { index: 0, count: 2 } }) ?? '', /^--shard splits the dpor and exhaustive searches; a stateful search is not split/);
  assert.match(optionsProblem({ strategy: 'dpor', exact: true }) ?? '', /^--exact and --max-states are options of the stateful search$/);
  assert.equal(optionsProblem({ strategy: 'stateful', exact: true, maxStates: 10, count: true }), null);
  assert.equal(optionsProblem({ shard: { index: 0, count: 2 } }, 1), null);
});

test('a search is split only for a shardable strategy with fewer scenarios than workers', () => {
  assert.equal(shardsPerScenario(STRATEGIES.dpor, 1, 4), 4);
  assert.equal(shardsPerScenario(STRATEGIES.dpor, 4, 4), 1);
  assert.equal(shardsPerScenario(STRATEGIES.exhaustive, 1, 2), 2);
  assert.equal(shardsPerScenario(STRATEGIES.pct, 1, 4), 1);
  assert.equal(shardsPerScenario(STRATEGIES.random, 1, 4), 1);
});

test('every driver variant is one record: unique names, and its switches are what create reads', () => {
  for (const d of [...EXPORTERS, ...IMPORTERS]) {
    const names = d.variants.map((v) => v.name);
    assert.equal(new Set(names).size, names.length, d.name);
    assert.ok(names.includes('correct'), d.name);
    for (const v of d.variants) {
      assert.ok(v.description.length > 0, `${d.name}/${v.name}`);
      if ('switches' in v) assert.equal(variantSwitches(d.variants as never, v.name), v.switches);
    }
  }
  const vfio = EXPORTERS.find((d) => d.name === 'vfio-pci')!;
  assert.deepEqual(variantSwitches(vfio.variants as never, 'v2-no-wait') as unknown as Record<string, unknown>, {
    noFenceWait: true, waitUsage: null, noUnmapWait: true, timedUnmapWait: false, acceptsNonRevocable: false,
    noRevokedCheck: false, unrevokeRace: false, cleanupDrainsAll: false, pin: null,
  });
  assert.throws(() => variantSwitches(vfio.variants as never, 'no-such'), /internal: no variant "no-such"/);
});
