// Every bundled scenario's verdict, pinned: a change of verdict fails here.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { checkScenario } from '../src/check/check.ts';
import { loadScenario } from '../src/cli/files.ts';

const EXPECTED: Record<string, { verdict: 'safe' | 'violation'; property?: string }> = {
  'b1-vfio-revoke-no-wait': { verdict: 'violation', property: 'dma-after-revoke' },
  'b1-vfio-revoke-fixed': { verdict: 'safe' },
};

const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort();

test('every bundled scenario has a pinned verdict', () => {
  assert.deepEqual(files.map((f) => loadScenario(`scenarios/${f}`).name).sort(), Object.keys(EXPECTED).sort());
});

for (const f of files) {
  test(`scenario ${f}`, () => {
    const sc = loadScenario(`scenarios/${f}`);
    const r = checkScenario(sc);
    const want = EXPECTED[sc.name]!;
    assert.equal(r.verdict, want.verdict);
    assert.equal(r.ok, true);
    if (want.property) {
      assert.equal(r.violation?.property, want.property);
      assert.equal(r.violation?.rule, 'P1');
      assert.match(r.violation!.message, /gpu0 engine DMA (write|read) of BAR0/);
      const bad = r.violation!.trace.find((e) => e.seq === r.violation!.seq)!;
      assert.match(bad.event, /^dma (write|read)$/, 'the violation points at the DMA');
      const ret = r.violation!.trace.find((e) => e.mark === 'revoke returned');
      assert.ok(ret && ret.seq < bad.seq, 'the DMA comes after the revoke returned');
    }
  });
}

test('the fixed revoke is safe with the unmap wait and unsafe without it (same schedule bound)', () => {
  const sc = loadScenario('scenarios/b1-vfio-revoke-fixed.yaml');
  const buggy = { ...sc, exporter: { driver: 'vfio-pci', variant: 'v2-no-wait' } };
  assert.equal(checkScenario(buggy).verdict, 'violation');
});
