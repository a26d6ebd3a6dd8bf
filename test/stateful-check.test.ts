// The stateful strategy of check (check/stateful-run.ts) against dpor, the soundness
// oracles of issue 18: on every bundled scenario the data world models, both searches
// agree on the verdict and, explored to the end, on the set of properties the space
// holds; whole states find no fingerprint collision; fusing fine steps and persistent sets
// change no property set; a counterexample's token replays to its violation; and the
// guards that keep state in the store and footprints honest catch their mutants.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseScenario } from '../src/scenario/load.ts';
import { buildFrameWorld, framePorted } from '../src/scenario/frame-world.ts';
import { checkScenario } from '../src/check/check.ts';
import { frameModel } from '../src/check/frame-model.ts';
import { statefulSearch } from '../src/check/stateful.ts';
import { parseToken } from '../src/check/token.ts';
import { runSchedule } from '../src/check/replay.ts';
import { compileFrames } from '../scripts/compile-frames.ts';
import { Store } from '../src/sim/store.ts';
import type { Scenario } from '../src/scenario/types.ts';

const bundled: Scenario[] = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort()
  .map((f) => parseScenario(readFileSync(`scenarios/${f}`, 'utf8'), `scenarios/${f}`));
const ported = bundled.filter(framePorted);

const props = (vs: readonly { property: string }[]) => [...new Set(vs.map((v) => v.property))].sort();

test('stateful: the data world models 38 bundled scenarios (vfio-pci with gpu-dynamic, iommufd, rdma-pinned, rdma-odp and static importers), the rest go to dpor', () => {
  assert.equal(ported.length, 38);
  const other = bundled.find((s) => !framePorted(s))!;
  assert.equal(checkScenario(other, { strategy: 'stateful', prepass: 0 }).stats.strategy, 'dpor');
});

for (const sc of ported) {
  test(`stateful: ${sc.name} has dpor's verdict and property set, and whole states give the fingerprints' count`, () => {
    const st = checkScenario(sc, { strategy: 'stateful', count: true, shrink: false, reduce: false });
    const dp = checkScenario(sc, { strategy: 'dpor', count: true, shrink: false, reduce: false });
    assert.equal(st.stats.strategy, 'stateful');
    assert.ok(st.complete && dp.complete);
    assert.equal(st.verdict, dp.verdict);
    assert.deepEqual(st.violations, dp.violations);
    assert.equal(st.ok, true);
    const fp = statefulSearch(frameModel(buildFrameWorld(sc)), { stopAtFirst: false });
    const ex = statefulSearch(frameModel(buildFrameWorld(sc)), { stopAtFirst: false, exact: true });
    assert.equal(ex.states, fp.states, 'a fingerprint collision merged two states');
    assert.equal(ex.omissionProbability, 0);
    assert.deepEqual(props(ex.violations), props(fp.violations));
  });
}

test('stateful: importers of two drivers in one world (gpu-dynamic, iommufd no-unpin with a transfer) have dpor\'s verdict and property set', () => {
  const sc = parseScenario(`name: mixed
exporter: { driver: vfio-pci }
importers:
  - { id: gpu0, driver: gpu-dynamic }
  - { id: iommu0, driver: iommufd, variant: no-unpin }
threads:
  - { name: reset, steps: [revoke] }
  - { name: gpu0-user, steps: [{ import: gpu0 }, { release: gpu0 }] }
  - { name: iommu0-user, steps: [{ import: iommu0 }, { dma: { importer: iommu0, count: 1 } }, { release: iommu0 }] }
`, 'mixed.yaml');
  assert.ok(framePorted(sc));
  const st = checkScenario(sc, { strategy: 'stateful', count: true, shrink: false, reduce: false });
  const dp = checkScenario(sc, { strategy: 'dpor', count: true, shrink: false, reduce: false });
  assert.equal(st.stats.strategy, 'stateful');
  assert.ok(st.complete && dp.complete);
  assert.equal(st.verdict, 'violation');
  assert.deepEqual(st.violations, ['leak']);
  assert.deepEqual(st.violations, dp.violations);
});

test('stateful: fused transactions and persistent sets keep every property set of the fine search', () => {
  for (const name of ['b1-vfio-revoke-no-wait', 'b1-vfio-revoke-fixed', 'b8-vfio-unrevoke-race', 'b14-vfio-no-revoked-check', 'b19-unrevoke-eager-remap', 'vfio-close-after-revoke-as-merged', 'b6-iommufd-unpin-fixed']) {
    const sc = ported.find((s) => s.name === name)!;
    const fine = statefulSearch(frameModel(buildFrameWorld(sc), { fuse: false }), { stopAtFirst: false, reduction: false });
    const fused = statefulSearch(frameModel(buildFrameWorld(sc)), { stopAtFirst: false, reduction: false });
    const both = statefulSearch(frameModel(buildFrameWorld(sc)), { stopAtFirst: false });
    assert.deepEqual(props(fused.violations), props(fine.violations), name);
    assert.deepEqual(props(both.violations), props(fine.violations), name);
    // each reduction stores fewer states (not vacuous)
    assert.ok(fused.states < fine.states && both.states <= fused.states, `${name}: ${fine.states} ${fused.states} ${both.states}`);
  }
});

test('stateful: a counterexample token replays to its violation on the generator world', () => {
  for (const name of ['b1-vfio-revoke-fixed', 'b3-vfio-no-unmap-wait', 'b8-vfio-unrevoke-race']) {
    const sc = ported.find((s) => s.name === name)!;
    // no pre-pass: the stateful search itself finds it
    const r = checkScenario(sc, { strategy: 'stateful', prepass: 0, shrink: false, reduce: false });
    if (sc.expect?.verdict === 'safe') { assert.equal(r.verdict, 'safe'); continue; }
    assert.ok(r.violation, name);
    const tok = parseToken(r.violation.schedule)!;
    const { rt } = runSchedule(sc, tok.schedule);
    assert.ok(rt.violations.some((v) => v.property === r.violation!.property && v.message === r.violation!.message), name);
  }
});

test('stateful: a lifetime footprint that misses a unit is a model bug, not a smaller search', () => {
  const sc = ported.find((s) => s.name === 'b1-vfio-revoke-fixed')!;
  const w = buildFrameWorld(sc);
  const engine = w.threads.indexOf('gpu0-engine');
  const lifeWrites = [...w.units.lifeWrites];
  lifeWrites[engine] = 0;
  const m = frameModel({ ...w, units: { ...w.units, lifeWrites } });
  assert.throws(() => statefulSearch(m, { stopAtFirst: false }), /gpu0-engine (reads|writes) .*outside its lifetime footprint/);
});

test('stateful: driver state kept outside the store is refused (compiler) or throws (frozen tables)', () => {
  const file = 'src/drivers/frame-gpu-invalidate.ts';
  const source = readFileSync(file, 'utf8');
  assert.ok(source.includes('  st.valid = false;\n'));
  const text = `${source.replace('  st.valid = false;\n', '  st.valid = false;\n  hidden++;\n')}\nlet hidden = 0;\n`;
  const r = compileFrames(file, text);
  assert.ok(r.errors.some((e) => /frame-gpu-invalidate\.ts:\d+:\d+: .*`hidden`/.test(e)), r.errors.join('\n'));
  const w = buildFrameWorld(ported[0]!);
  const k = w.ctx(new Store(w.layout), 0);
  assert.throws(() => { (k.env.imps[0] as { noFence: boolean }).noFence = true; }, TypeError);
});
