// Every bundled scenario's verdict, pinned: a change of verdict fails here.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { checkScenario } from '../src/check/check.ts';
import { loadScenario } from '../src/cli/files.ts';
import { EXPORTERS, IMPORTERS } from '../src/drivers/catalogue.ts';

const EXPECTED: Record<string, { verdict: 'safe' | 'violation'; property?: string }> = {
  'b1-vfio-revoke-no-wait': { verdict: 'violation', property: 'dma-after-revoke' },
  'b1-vfio-revoke-fixed': { verdict: 'safe' },
  'core-fence-contract': { verdict: 'safe' },
  'core-fence-signal-v2': { verdict: 'safe' },
  'core-resv-add-without-reserve': { verdict: 'violation', property: 'api-misuse' },
  'core-resv-contexts-wait': { verdict: 'safe' },
  'core-resv-timed-wait': { verdict: 'violation', property: 'wait-timeout' },
  'core-revoke-v3-sentinel': { verdict: 'safe' },
  'core-static-map-waits-kernel': { verdict: 'violation', property: 'wait-timeout' },
  'core-vfio-static-attach-refused': { verdict: 'safe' },
  'b10-gpu-moves-pinned': { verdict: 'violation', property: 'dma-after-revoke' },
  'b10-gpu-pinned-scanout-ignores': { verdict: 'violation', property: 'dma-after-revoke' },
  'b10-gpu-pinned-stays': { verdict: 'safe' },
  'b11-gpu-fenced-evict-fixed': { verdict: 'safe' },
  'b11-gpu-no-fence': { verdict: 'violation', property: 'dma-after-revoke' },
  'b12-odp-fixed': { verdict: 'safe' },
  'b12-odp-ignores-invalidate': { verdict: 'violation', property: 'dma-after-revoke' },
  'b12-odp-ignores-invalidate-waits': { verdict: 'violation', property: 'wait-timeout' },
  'b12-odp-zap-no-unmap': { verdict: 'violation', property: 'wait-timeout' },
  'b13-gpu-remap-in-callback': { verdict: 'violation', property: 'dma-after-revoke' },
  'b13-gpu-remap-lazily-fixed': { verdict: 'safe' },
  'b13-vfio-remap-in-callback-refused': { verdict: 'safe' },
  'b14-vfio-no-revoked-check': { verdict: 'violation', property: 'access-after-revoke' },
  'b14-vfio-revoked-check-fixed': { verdict: 'safe' },
  'b15-static-gpu-pinned': { verdict: 'safe' },
  'b15-static-vfio-refused': { verdict: 'safe' },
  'b16-revoke-races-import': { verdict: 'safe' },
  'b16-revoke-races-import-no-check': { verdict: 'violation', property: 'access-after-revoke' },
  'b17-revoke-races-release': { verdict: 'safe' },
  'b17-revoke-races-release-no-wait': { verdict: 'violation', property: 'dma-after-revoke' },
  'b18-vfio-timeout-1s': { verdict: 'violation', property: 'dma-after-revoke' },
  'b18-vfio-untimed-fixed': { verdict: 'safe' },
  'b19-unrevoke-eager-remap': { verdict: 'safe' },
  'b2-vfio-bookkeep-fixed': { verdict: 'safe' },
  'b2-vfio-kernel-fence-only': { verdict: 'violation', property: 'dma-after-revoke' },
  'b3-vfio-no-unmap-wait': { verdict: 'violation', property: 'dma-after-revoke' },
  'b3-vfio-unmap-wait-fixed': { verdict: 'safe' },
  'b4-vfio-accepts-non-revocable': { verdict: 'violation', property: 'non-revocable-attach' },
  'b4-vfio-pin-rejects-fixed': { verdict: 'safe' },
  'b4-vfio-pre-pin-refused': { verdict: 'safe' },
  'b4-vfio-refuses-non-revocable': { verdict: 'safe' },
  'b5-rdma-sentinel-fixed': { verdict: 'safe' },
  'b5-rdma-stub-looks-revocable': { verdict: 'violation', property: 'wait-timeout' },
  'b5-rdma-stub-v2-pin-check': { verdict: 'violation', property: 'dma-after-revoke' },
  'b6-iommufd-as-merged': { verdict: 'violation', property: 'api-misuse' },
  'b6-iommufd-no-pin': { verdict: 'safe' },
  'b6-iommufd-no-unpin': { verdict: 'violation', property: 'leak' },
  'b6-iommufd-unpin-fixed': { verdict: 'safe' },
  'b8-vfio-unrevoke-fixed': { verdict: 'safe' },
  'b8-vfio-unrevoke-race': { verdict: 'violation', property: 'api-misuse' },
  'gpu-no-invalidate-before-move': { verdict: 'violation', property: 'dma-after-revoke' },
  'gpu-unplug-pinned-fixed': { verdict: 'safe' },
  'gpu-unplug-rdma-pinned-waits': { verdict: 'violation', property: 'wait-timeout' },
  'odp-gpu-evict-fixed': { verdict: 'safe' },
  'unrevoke-then-remap': { verdict: 'safe' },
  'vfio-close-after-revoke': { verdict: 'safe' },
  'vfio-close-after-revoke-as-merged': { verdict: 'violation', property: 'api-misuse' },
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
    assert.equal(r.stats.redundant, 0, 'dpor explores each happens-before class once');
    assert.equal(r.ok, true);
    if (want.property) assert.equal(r.violation?.property, want.property);
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
