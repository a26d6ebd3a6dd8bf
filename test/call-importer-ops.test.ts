// Contract §1: a `call` attach whose `dev` is an importer id uses that importer's own ops
// (callback present, absent or the v3 sentinel, by driver and kernel), unless the step
// gives `importer_ops`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkScenario } from '../src/check/check.ts';
import { explore } from '../src/check/explore.ts';
import { runSchedule } from '../src/check/replay.ts';
import type { KernelVersion } from '../src/kernel/kernel.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { buildWorld } from '../src/scenario/world.ts';
import type { Scenario } from '../src/scenario/types.ts';

const KERNELS: readonly KernelVersion[] = ['pre', 'v2', 'v3', 'landed'];

/** What the importer's ops are in each kernel: the callback's form and R45's answer. */
interface Expected { callback: 'driver' | 'log-only' | 'none'; revocable: 0 | 1 }

function expected(driver: string, variant: string, kernel: KernelVersion): Expected {
  if (driver === 'static') return { callback: 'none', revocable: 0 };
  if (driver === 'rdma-pinned') {
    // D-RDMAP-2: [pre,v2] a warning-only stub, [v3] the sentinel, [landed] none; pre-sentinel keeps the stub
    if (variant === 'pre-sentinel' || kernel === 'pre' || kernel === 'v2') return { callback: 'log-only', revocable: 1 };
    return kernel === 'v3' ? { callback: 'log-only', revocable: 0 } : { callback: 'none', revocable: 0 };
  }
  return { callback: 'driver', revocable: 1 };
}

const IMPORTERS: readonly [string, string][] = [
  ['gpu-dynamic', 'correct'], ['rdma-odp', 'correct'], ['iommufd', 'correct'], ['rdma-pinned', 'correct'], ['rdma-pinned', 'pre-sentinel'], ['static', 'correct'],
];

/**
 * One call thread: export a dynamic buffer, attach it with `dev: imp`, ask R45 (not in
 * `pre`), invalidate under the resv, detach, put. v2 runs with CONFIG move-notify so that
 * R45 can say yes.
 */
function scenario(driver: string, variant: string, kernel: KernelVersion, revocable: number | null, importerOps?: unknown): Scenario {
  const steps: unknown[] = [
    { call: 'dma_buf_export', args: { ops: ['pin', 'unpin', 'map_dma_buf', 'unmap_dma_buf', 'release'] }, as: 'b' },
    { call: 'dma_buf_dynamic_attach', args: { dmabuf: 'b', dev: 'imp', ...(importerOps ? { importer_ops: importerOps } : {}) }, expect: 'ok', as: 'a' },
    ...(revocable === null ? [] : [{ call: 'dma_buf_attach_revocable', args: { attach: 'a' }, expect: revocable }]),
    { call: 'dma_resv_lock', args: { obj: 'b' } },
    { call: 'dma_buf_move_notify', args: { dmabuf: 'b' }, expect: 'ok' },
    { call: 'dma_resv_unlock', args: { obj: 'b' } },
    { call: 'dma_buf_detach', args: { dmabuf: 'b', attach: 'a' } },
    { call: 'dma_buf_put', args: { dmabuf: 'b' } },
  ];
  const doc = {
    name: `call-ops-${driver}-${variant}-${kernel}`, kernel, ...(kernel === 'v2' ? { config: { 'move-notify': true } } : {}),
    exporter: { driver: 'vfio-pci' },
    importers: [{ id: 'imp', driver, variant }],
    threads: [{ name: 'calls', steps }],
  };
  return parseScenario(JSON.stringify(doc, null, 1), 't.yaml');
}

/** The labels and details of one execution's events, by the default schedule. */
function trace(sc: Scenario): { label: string; detail: string }[] {
  return runSchedule(sc, []).rt.events.map((e) => ({ label: e.op.label, detail: e.op.detail ?? '' }));
}

for (const [driver, variant] of IMPORTERS) {
  test(`call attach with dev: a ${driver}/${variant} importer uses its own ops in every kernel (R33, R45, D-RDMAP-2)`, () => {
    for (const kernel of KERNELS) {
      const want = expected(driver, variant, kernel);
      const sc = scenario(driver, variant, kernel, kernel === 'pre' ? null : want.revocable);
      // every expect: holds in every schedule (R45's answer included)
      const r = checkScenario(sc, { maxExecutions: 500 });
      assert.equal(r.verdict, 'safe', `${kernel}: ${r.violation?.property} ${r.violation?.message ?? ''}`);
      const events = trace(sc);
      const labels = events.map((e) => e.label);
      // the call-step default recorder is never the callback of an importer id
      assert.ok(!labels.some((l) => /^importer .* ran$/.test(l)), `${kernel}: the default recorder ran`);
      const attach = events.find((e) => e.label === 'dma_buf_attach' || e.label === 'dma_buf_dynamic_attach')!;
      assert.equal(attach.label, driver === 'static' ? 'dma_buf_attach' : 'dma_buf_dynamic_attach', kernel);
      const cbName = kernel === 'pre' ? 'move_notify' : 'invalidate_mappings';
      const called = events.some((e) => e.label === cbName && e.detail === 'imp-attach');
      assert.equal(called, want.callback !== 'none', `${kernel}: callback called`);
      assert.equal(labels.includes('ibdev_warn_ratelimited'), want.callback === 'log-only', `${kernel}: the RDMA stub/sentinel logged`);
    }
  });
}

test('importer_ops given in the step override the importer\'s own ops', () => {
  const ops = { allow_peer2peer: true, invalidate_mappings: true };
  for (const kernel of ['v3', 'landed'] as const) {
    const sc = scenario('rdma-pinned', 'correct', kernel, 1, ops);
    const r = checkScenario(sc, { maxExecutions: 500 });
    assert.equal(r.verdict, 'safe', `${kernel}: ${r.violation?.message ?? ''}`);
    const labels = trace(sc).map((e) => e.label);
    assert.ok(labels.includes('importer invalidate_mappings ran'), kernel);
    assert.ok(!labels.includes('ibdev_warn_ratelimited'), kernel);
  }
});

test('R45 for an rdma-pinned importer id on v3 and landed is 0: expecting 1 is unexpected-result', () => {
  for (const kernel of ['v3', 'landed'] as const) {
    const r = checkScenario(scenario('rdma-pinned', 'correct', kernel, 1), { maxExecutions: 500 });
    assert.equal(r.violation?.property, 'unexpected-result', kernel);
    assert.match(r.violation!.message, /dma_buf_attach_revocable.*expected 1, got 0/, kernel);
  }
});

test('a dev that names no importer keeps the recording callback', () => {
  const text = JSON.stringify({
    name: 'other-dev', exporter: { driver: 'vfio-pci' }, importers: [{ id: 'imp', driver: 'rdma-pinned' }],
    threads: [{ name: 'calls', steps: [
      { call: 'dma_buf_export', args: { ops: ['pin', 'unpin', 'map_dma_buf', 'unmap_dma_buf', 'release'] }, as: 'b' },
      { call: 'dma_buf_dynamic_attach', args: { dmabuf: 'b', dev: 'nic' }, expect: 'ok', as: 'a' },
      { call: 'dma_buf_attach_revocable', args: { attach: 'a' }, expect: 1 },
      { call: 'dma_resv_lock', args: { obj: 'b' } },
      { call: 'dma_buf_move_notify', args: { dmabuf: 'b' } },
      { call: 'dma_resv_unlock', args: { obj: 'b' } },
      { call: 'dma_buf_detach', args: { dmabuf: 'b', attach: 'a' } },
      { call: 'dma_buf_put', args: { dmabuf: 'b' } },
    ] }],
  });
  const other = parseScenario(text, 't.yaml');
  assert.equal(checkScenario(other, { maxExecutions: 500 }).verdict, 'safe');
  assert.ok(trace(other).some((e) => e.label === 'importer invalidate_mappings ran'));
});

for (const [driver, variant] of [['gpu-dynamic', 'correct'], ['rdma-odp', 'correct'], ['iommufd', 'correct'], ['rdma-pinned', 'pre-sentinel']] as const) {
  test(`${driver}/${variant}'s callback leaves the driver's own import alone when a call attachment of the same device is invalidated`, () => {
    const text = JSON.stringify({
      name: 'call-and-driver', exporter: { driver: 'vfio-pci' }, importers: [{ id: 'imp', driver, variant }],
      threads: [
        { name: 'user', steps: [{ import: 'imp' }, { dma: 'imp' }, { release: 'imp' }] },
        { name: 'calls', steps: [
          { call: 'dma_buf_export', args: { ops: ['pin', 'unpin', 'map_dma_buf', 'unmap_dma_buf', 'release'] }, as: 'b' },
          { call: 'dma_buf_dynamic_attach', args: { dmabuf: 'b', dev: 'imp' }, expect: 'ok', as: 'a' },
          { call: 'dma_resv_lock', args: { obj: 'b' } },
          { call: 'dma_buf_move_notify', args: { dmabuf: 'b' }, expect: 'ok' },
          { call: 'dma_resv_unlock', args: { obj: 'b' } },
          { call: 'dma_buf_detach', args: { dmabuf: 'b', attach: 'a' } },
          { call: 'dma_buf_put', args: { dmabuf: 'b' } },
        ] },
      ],
    });
    const sc = parseScenario(text, 't.yaml');
    const r = checkScenario(sc, { maxExecutions: 3000 });
    assert.equal(r.verdict, 'safe', `${driver}: ${r.violation?.property} (${r.violation?.rule}) ${r.violation?.message ?? ''}`);
    // iommufd's revoke of its own pages is permanent and silent: look for the calls thread in them
    explore(() => buildWorld(sc).rt, { strategy: 'dpor', maxExecutions: 3000 }, (rt) => {
      // the callback's own trace line names the call's attachment (imp-attach), nothing else of imp's may appear
      const touched = rt.events.find((e) => rt.threads[e.tid]!.name === 'calls' && e.op.label !== 'invalidate_mappings' && /^imp[.-]/.test(e.op.detail ?? ''));
      assert.equal(touched, undefined, `${driver}: the calls thread ran ${touched?.op.label} ${touched?.op.detail}`);
      return false;
    });
  });
}
