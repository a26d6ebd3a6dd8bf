// Property: random sequences of core calls from several threads never crash the model,
// keep counts in range, and every WARN/BUG they report cites a rule of the book.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { explore } from '../src/check/explore.ts';
import { RULE_IDS } from '../src/kernel/rules.ts';
import { buildWorld, type World } from '../src/scenario/world.ts';
import type { Violation } from '../src/sim/violation.ts';
import { c, scenario, type StepIn } from './kernel-util.ts';

const OPS = ['attach', 'detach', 'pin', 'unpin', 'map_dma_buf', 'unmap_dma_buf', 'release', 'vmap', 'vunmap', 'mmap', 'begin_cpu_access'];
const usage = fc.constantFrom('KERNEL', 'WRITE', 'READ', 'BOOKKEEP');
const fenceName = fc.constantFrom('f1', 'f2');
const obj = fc.constantFrom('b1', 'buf');

/** One random core call over the names the prologue binds (f1, f2, b1, a1, a2, s1, ctx). */
const call: fc.Arbitrary<StepIn> = fc.oneof(
  fenceName.map((f) => c('dma_fence_signal', { fence: f })),
  fenceName.map((f) => c('dma_fence_add_callback', { fence: f })),
  fc.tuple(fenceName, fc.integer({ min: -6000, max: 3 })).map(([f, e]) => c('dma_fence_set_error', { fence: f, error: e })),
  fc.tuple(fenceName, fc.constantFrom(0, 3, 'MAX_SCHEDULE_TIMEOUT')).map(([f, t]) => c('dma_fence_wait_timeout', { fence: f, timeout: t })),
  // weighted so that some runs put a fence below zero (the R3 report is then checked)
  { arbitrary: fenceName.map((f) => c('dma_fence_put', { fence: f })), weight: 6 },
  fenceName.map((f) => c('dma_fence_get', { fence: f })),
  fc.tuple(fenceName, fenceName).map(([a, b]) => c('dma_fence_is_later', { f1: a, f2: b })),
  obj.map((o) => c('dma_resv_lock', { obj: o })),
  obj.map((o) => c('dma_resv_lock', { obj: o, ctx: 'ctx' })),
  obj.map((o) => c('dma_resv_trylock', { obj: o })),
  obj.map((o) => c('dma_resv_unlock', { obj: o })),
  fc.tuple(obj, fc.integer({ min: 0, max: 2 })).map(([o, n]) => c('dma_resv_reserve_fences', { obj: o, num_fences: n })),
  fc.tuple(obj, fenceName, usage).map(([o, f, u]) => c('dma_resv_add_fence', { obj: o, fence: f, usage: u })),
  fc.tuple(obj, usage).map(([o, u]) => c('dma_resv_test_signaled', { obj: o, usage: u })),
  fc.tuple(obj, usage).map(([o, u]) => c('dma_resv_wait_timeout', { obj: o, usage: u, timeout: 0 })),
  fc.constantFrom('a1', 'a2').map((a) => c('dma_buf_pin', { attach: a })),
  fc.constantFrom('a1', 'a2').map((a) => c('dma_buf_unpin', { attach: a })),
  fc.constantFrom('a1', 'a2').map((a) => c('dma_buf_map_attachment', { attach: a })),
  fc.constant(c('dma_buf_unmap_attachment', { attach: 'a1', sg_table: 's1' })),
  fc.constant(c('dma_buf_invalidate_mappings', { dmabuf: 'b1' })),
  fc.constantFrom('a1', 'a2').map((a) => c('dma_buf_detach', { dmabuf: 'b1', attach: a })),
  fc.constant(c('dma_buf_vmap', { dmabuf: 'b1', map: 'm' })),
  fc.constant(c('dma_buf_vunmap', { dmabuf: 'b1', map: 'm' })),
  fc.constant(c('dma_buf_begin_cpu_access', { dmabuf: 'b1', direction: 'DMA_TO_DEVICE' })),
  fc.constant(c('dma_buf_mmap', { dmabuf: 'b1', vma: 1 })),
  fc.constant(c('dma_buf_put', { dmabuf: 'b1' })),
);

const prologue: StepIn[] = [
  c('dma_fence_init', {}, undefined, 'f1'), c('dma_fence_init', {}, undefined, 'f2'), c('ww_acquire_init', {}, undefined, 'ctx'),
  c('dma_buf_export', { ops: OPS }, undefined, 'b1'), c('dma_buf_dynamic_attach', { dmabuf: 'b1', dev: 'd1' }, undefined, 'a1'),
  c('dma_buf_attach', { dmabuf: 'b1', dev: 'd2' }, undefined, 'a2'), c('dma_resv_lock', { obj: 'b1' }),
  c('dma_buf_map_attachment', { attach: 'a1' }, undefined, 's1'), c('dma_buf_vmap', { dmabuf: 'b1', map: 'm' }), c('dma_resv_unlock', { obj: 'b1' }),
];

/**
 * Counts stay at or above zero, except a fence's, which a put takes below zero only with
 * the R3 report of that put (the model keeps counting, as the test of R3 relies on); no
 * reservation object holds more fences than it has slots (R23 BUGs instead of adding).
 */
function countsInRange(w: World, violations: readonly Violation[]): void {
  const inv = w.calls!.c.inventory();
  for (const f of inv.fences) {
    const reported = violations.filter((v) => v.rule === 'R3' && v.message.startsWith(`dma_fence_put(${f.name})`)).length;
    assert.ok(f.refcount >= -reported, `${f.name} refcount ${f.refcount} with ${reported} R3 report(s)`);
  }
  for (const b of [...inv.bufs, w.exporter.buf]) {
    assert.ok(b.vmappingCounter >= 0, `${b.name} vmapping_counter ${b.vmappingCounter}`);
    assert.ok(b.refcount >= 0, `${b.name} refcount ${b.refcount}`);
    assert.ok(b.resv.fences.length <= b.resv.maxFences, `${b.resv.name}: ${b.resv.fences.length} fences in ${b.resv.maxFences} slots`);
  }
  for (const a of inv.attachments) {
    assert.ok(a.pins >= 0, `${a.name} pins ${a.pins}`);
    assert.ok(a.pinnedOnMap >= 0, `${a.name} pinned_on_map ${a.pinnedOnMap}`);
  }
}

test('property: random core calls from several threads never crash, keep every count in range (a fence below zero only with its R3 report) and the resv within its slots, and WARN only by the rule book', () => {
  fc.assert(
    fc.property(fc.array(fc.array(call, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 3 }), (threads) => {
      const doc: Record<string, StepIn[]> = { t0: [...prologue, ...threads[0]!] };
      threads.slice(1).forEach((steps, i) => { doc[`t${i + 1}`] = steps; });
      const sc = scenario(doc);
      let w: World | null = null;
      explore(() => { w = buildWorld(sc); return w.rt; }, { strategy: 'dpor', maxExecutions: 25 }, (rt) => {
        countsInRange(w!, rt.violations);
        for (const v of rt.violations) {
          if (v.property !== 'api-misuse') continue;
          assert.ok(RULE_IDS.has(v.rule) || /^P\d+$/.test(v.rule), `WARN cites ${v.rule}, which is not in the rule book: ${v.message}`);
        }
        return false;
      });
    }),
    { numRuns: 150, seed: 4242 },
  );
});
