// Helpers that join one stateful search (check/stateful-handover.ts, `check --workers N`
// on fewer scenarios than workers): the search with helpers stores the states the search
// alone stores, finds the same properties, and its counterexamples replay; a small search never starts them. And the
// stateful search reports its states to a progress display.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkScenario } from '../src/check/check.ts';
import { frameModelOf } from '../src/check/stateful-run.ts';
import { statefulSearch } from '../src/check/stateful.ts';
import { parseToken } from '../src/check/token.ts';
import { runSchedule } from '../src/check/replay.ts';
import { parseScenario } from '../src/scenario/load.ts';
import type { CheckOutput } from '../src/check/result.ts';

const HELPER = new URL('./stateful-helper.mjs', import.meta.url).href;
const load = (name: string) => parseScenario(readFileSync(`scenarios/${name}.yaml`, 'utf8'), `scenarios/${name}.yaml`);
const props = (vs: readonly { property: string }[]) => [...new Set(vs.map((v) => v.property))].sort();
const alone = (name: string) => statefulSearch(frameModelOf(load(name)), { stopAtFirst: false, reduction: false });

// from 100 states on, the shared table starts with room for 896 states: reaching the
// thousands of states of these scenarios, it is resized at a barrier several times
test('helpers: a safe scenario, helpers from 100 states on: the states of the search alone, complete, safe', () => {
  const sc = load('b1-vfio-revoke-fixed');
  const r = checkScenario(sc, { strategy: 'stateful', helpers: { count: 1, script: HELPER, after: 100 } });
  assert.equal(r.verdict, 'safe');
  assert.equal(r.complete, true);
  assert.equal(r.stats.stateful?.workers, 2);
  const a = alone('b1-vfio-revoke-fixed');
  assert.equal(a.complete, true);
  assert.equal(r.stats.stateful?.states, a.states);
});

test('helpers: explored to the end, a buggy scenario holds the properties it holds alone', () => {
  const sc = load('b1-vfio-revoke-no-wait');
  const r = checkScenario(sc, { strategy: 'stateful', count: true, shrink: false, reduce: false, helpers: { count: 1, script: HELPER, after: 50 } });
  assert.equal(r.stats.stateful?.workers, 2);
  assert.equal(r.complete, true);
  assert.equal(r.ok, true);
  const a = alone('b1-vfio-revoke-no-wait');
  assert.deepEqual([...r.violations].sort(), props(a.violations));
  assert.equal(r.stats.stateful?.states, a.states);
});

test('helpers: the first counterexample found with helpers replays from its token', () => {
  const sc = load('b1-vfio-revoke-no-wait');
  const r = checkScenario(sc, { strategy: 'stateful', prepass: 0, shrink: false, reduce: false, helpers: { count: 1, script: HELPER, after: 50 } });
  assert.equal(r.ok, true);
  assert.equal(r.stats.stateful?.workers, 2);
  const v = r.violation!;
  const { rt } = runSchedule(sc, parseToken(v.schedule)!.schedule);
  assert.ok(rt.violations.some((x) => x.property === v.property), `token ${v.schedule} does not replay to ${v.property}`);
});

test('helpers: a helper whose thread dies is an error, not a wait for ever', () => {
  const dies = new URL('./stateful-helper-dies.mjs', import.meta.url).href;
  assert.throws(
    () => checkScenario(load('b1-vfio-revoke-fixed'), { strategy: 'stateful', helpers: { count: 1, script: dies, after: 100, silentMs: 300 } }),
    /stateful helper 1 stopped without posting its result/,
  );
});

test('helpers: a search that ends below the handover never starts them', () => {
  const r = checkScenario(load('b14-vfio-revoked-check-fixed'), { strategy: 'stateful', helpers: { count: 1, script: HELPER } });
  assert.equal(r.complete, true);
  assert.equal(r.stats.stateful?.workers, 1);
});

test('helpers: check --workers 2 on one large scenario shares its search, with the states and verdict of --workers 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-helpers-'));
  const file = join(dir, 'n2k0.yaml');
  writeFileSync(file, [
    'name: two-importers-revoke', 'exporter: { driver: vfio-pci, variant: correct }', 'importers:',
    '  - { id: imp0, driver: gpu-dynamic }', '  - { id: imp1, driver: gpu-dynamic }', 'threads:',
    '  - { name: reset, steps: [revoke] }', '  - { name: imp0-user, steps: [ { import: imp0 }, { release: imp0 } ] }',
    '  - { name: imp1-user, steps: [ { import: imp1 }, { release: imp1 } ] }', 'expect: { verdict: safe }', '',
  ].join('\n'));
  const run = (w: number) => JSON.parse(execFileSync(process.execPath, ['bin/dmabuf-lab.cjs', 'check', file, '--workers', String(w), '--json'], { encoding: 'utf8' })) as CheckOutput;
  const one = run(1).results[0]!;
  const two = run(2).results[0]!;
  assert.equal(one.stats.stateful?.workers, 1);
  assert.equal(two.stats.stateful?.workers, 2);
  assert.equal(two.verdict, 'safe');
  assert.equal(two.complete, true);
  assert.equal(two.stats.stateful?.states, one.stats.stateful?.states);
});

test('progress: a stateful search reports the states stored as it goes, rising, up to the final count', () => {
  const seen: number[] = [];
  const r = checkScenario(load('b1-vfio-revoke-fixed'), { strategy: 'stateful', progress: (_e, _d, _v, states) => { if (states !== undefined) seen.push(states); } });
  assert.ok(seen.length > 0, 'no states progress');
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
  assert.ok(seen.at(-1)! <= r.stats.stateful!.states);
});
