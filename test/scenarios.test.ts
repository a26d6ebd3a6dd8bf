// Every bundled scenario meets its own `expect:` block, and its result is pinned in
// test/verdicts.txt: a verdict or property that changes fails here even when the
// scenario's `expect:` was edited to match (a broken checker cannot be hidden that way).
// After an intended change: UPDATE_VERDICTS=1 node --import tsx --test test/scenarios.test.ts
// rewrites the record, and its diff shows what changed.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { checkScenario } from '../src/check/check.ts';
import { loadScenario } from '../src/cli/files.ts';
import { EXPORTERS, IMPORTERS } from '../src/drivers/catalogue.ts';
import type { Scenario } from '../src/scenario/types.ts';

const RECORD = 'test/verdicts.txt';
const update = process.env.UPDATE_VERDICTS === '1';
const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort();

/** `name verdict [property]` lines: the result each bundled scenario had when recorded. */
const recorded = new Map(readFileSync(RECORD, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
  const [name, ...rest] = l.split(/\s+/);
  return [name!, rest.join(' ')] as const;
}));
const results = new Map<string, string>();

/** What the scenario file itself expects, in the record's words. */
function expectText(sc: Scenario): string {
  return sc.expect?.verdict === 'violation' ? `violation ${sc.expect.properties.join('|')}` : 'safe';
}

test('every bundled scenario has a recorded result, and every record a scenario', () => {
  if (update) return;
  assert.deepEqual(files.map((f) => loadScenario(`scenarios/${f}`).name).sort(), [...recorded.keys()].sort());
});

for (const f of files) {
  test(`scenario ${f}`, () => {
    const sc = loadScenario(`scenarios/${f}`);
    const r = checkScenario(sc);
    const got = r.verdict === 'violation' ? `violation ${r.violation!.property}` : r.verdict;
    results.set(sc.name, got);
    assert.equal(r.ok, true, `the result ${got} does not meet the file's expect: ${expectText(sc)}`);
    assert.equal(r.complete, true, 'a bundled scenario is searched completely');
    assert.equal(r.stats.redundant, 0, 'dpor explores each happens-before class once');
    if (!update) assert.equal(got, recorded.get(sc.name), `the result changed from the one in ${RECORD}`);
    if (sc.name === 'b1-vfio-revoke-no-wait') {
      assert.equal(r.violation?.rule, 'P1');
      assert.match(r.violation!.message, /gpu0 engine DMA (write|read) of BAR0/);
      const bad = r.violation!.trace.find((e) => e.seq === r.violation!.seq)!;
      assert.match(bad.event, /^dma (write|read)$/, 'the violation points at the DMA');
      const ret = r.violation!.trace.find((e) => e.mark === 'revoke returned');
      assert.ok(ret && ret.seq < bad.seq, 'the DMA comes after the revoke returned');
    }
  });
}

after(() => {
  if (!update) return;
  const lines = [...results].sort(([a], [b]) => a.localeCompare(b)).map(([name, got]) => `${name.padEnd(40)} ${got}`);
  writeFileSync(RECORD, `# The result of every bundled scenario (test/scenarios.test.ts). Rewritten with UPDATE_VERDICTS=1.\n${lines.join('\n')}\n`);
});

test('every driver and variant of the catalogue appears in a bundled scenario', () => {
  const used = new Set<string>();
  for (const f of files) {
    const sc = loadScenario(`scenarios/${f}`);
    used.add(`${sc.exporter.driver}/${sc.exporter.variant}`);
    for (const im of sc.importers) used.add(`${im.driver}/${im.variant}`);
  }
  const all = [...EXPORTERS, ...IMPORTERS].flatMap((d) => d.variants.map((v) => `${d.name}/${v.name}`));
  assert.deepEqual(all.filter((x) => !used.has(x)), []);
});

test('b1-vfio-revoke-fixed is safe in a complete search with the unmap wait, and dma-after-revoke with the revokes that skip it (no-unmap-wait, v2-no-wait)', () => {
  const sc = loadScenario('scenarios/b1-vfio-revoke-fixed.yaml');
  assert.equal(sc.exporter.variant, 'correct');
  const fixed = checkScenario(sc);
  assert.equal(fixed.verdict, 'safe');
  assert.equal(fixed.complete, true);
  for (const variant of ['no-unmap-wait', 'v2-no-wait']) {
    const buggy = checkScenario({ ...sc, exporter: { ...sc.exporter, variant } });
    assert.equal(buggy.verdict, 'violation', variant);
    assert.equal(buggy.violation?.property, 'dma-after-revoke', variant);
  }
});
