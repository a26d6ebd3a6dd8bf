/**
 * gpu-dynamic importer (rule book §5.3, D-GPUI-*) in the compiled function* subset, the
 * data-world form of gpu-dynamic.ts: dynamic attach, asynchronous invalidation through
 * fences, a deferred unmapper, lazy remap. Its state is a `GpuImporter` object; its job
 * and teardown fences come from its own pool in creation order, so a fence's seqno is its
 * place in the pool and "the job fences since the last release" is a seqno range.
 * (linux: amdgpu_dma_buf.c:amdgpu_dma_buf_move_notify, xe_dma_buf.c:xe_dma_buf_move_notify)
 * `npm run frames` compiles this file to frame-gpu-dynamic.frames.ts.
 */
import type { FrameProc } from '../sim/frame-ops.ts';
import type { ImpIdx, Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import { dmaFenceInit, type DmaFence } from '../kernel/frame-fence.ts';
import { DMA_BIDIRECTIONAL, type DmaBuf, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import { devName } from '../kernel/frame-attach.ts';
import { dmaBufMapAttachment } from '../kernel/frame-mapping.ts';
import { dmaBufPin } from '../kernel/frame-pin.ts';
import { dmaResvAddFence, dmaResvLock, dmaResvReserveFences, dmaResvUnlock, READ, WRITE } from '../kernel/frame-resv.ts';
import { newJob, submitJob, type DmaEngine } from '../hw/frame-engine.ts';
import { judgeSubmission } from '../hw/frame-oracle.ts';
import { getAndAttach, setKernelDeps } from './frame-importer.ts';
import { FENCE_JOB, type DriverCtx } from './frame-env.ts';

/** One importer's state (gpu-dynamic.ts GpuImporter, remap work and unmapper). */
export interface GpuImporter {
  /** the attachment while imported, else 0 */
  a: Ref<DmaBufAttachment>;
  /** the live table the importer owns, 0 once handed to the unmapper */
  table: Ref<SgTable>;
  /** whether new jobs may use `table` (cleared by the callback, D-GPUI-3) */
  valid: boolean;
  /** the invalidate callback ran while `table` was the importer's (P3(a) observer, under resv) */
  tableNotified: boolean;
  /** pinned at import (D-GPUI-5) */
  pinned: boolean;
  /** eager-remap: release has begun, the worker maps nothing (under resv) */
  closing: boolean;
  /** seqno of the first job fence not yet waited for by a release */
  jobFrom: number;
  /** fences created so far (the pool's next seqno - 1) */
  fences: number;
  /** eager-remap work: queued, running */
  remapPending: boolean;
  remapRunning: boolean;
  /** the deferred unmapper's queue, its length, and the items fetched and not yet done */
  head: Ref<UnmapItem>;
  tail: Ref<UnmapItem>;
  queued: number;
  pending: number;
}

/** A deferred unmap: the table, then the fences to wait for first (the teardown, then job fences from..to-1). */
export interface UnmapItem {
  table: Ref<SgTable>;
  teardown: Ref<DmaFence>;
  from: number;
  to: number;
  next: Ref<UnmapItem>;
}

export function importer(k: DriverCtx, imp: ImpIdx): Ref<GpuImporter> {
  return k.env.imps[imp]!.st as Ref<GpuImporter>;
}

export function buffer(k: DriverCtx): Ref<DmaBuf> {
  return k.env.vfio.buf as Ref<DmaBuf>;
}

/** Importer `imp`'s fence with seqno `seq`. */
export function fenceAt(k: DriverCtx, imp: ImpIdx, seq: number): Ref<DmaFence> {
  const pool = k.env.imps[imp]!.fences;
  return (pool.base + (seq - 1) * pool.width) as Ref<DmaFence>;
}

/** A new fence of the importer's engine: `gpu0-job1`, `gpu0-teardown2`. */
export function newFence(k: DriverCtx, imp: ImpIdx, kind: number): Ref<DmaFence> {
  const st = importer(k, imp);
  st.fences++;
  return dmaFenceInit(k, k.env.imps[imp]!.fences, k.env.imps[imp]!.context, st.fences, false, imp + 1, kind);
}

export function devEvent(k: DriverCtx, label: string, imp: ImpIdx, suffix: string): void {
  if (k.out.records) k.out.event(k.tid, label, `${devName(k, k.env.imps[imp]!.attachment as Ref<DmaBufAttachment>)}${suffix}`);
}

/** The importer's new mapping. */
export function useTable(k: DriverCtx, st: Ref<GpuImporter>, t: Ref<SgTable>): void {
  st.table = t;
  st.valid = true;
  st.tableNotified = false;
}

/** R38 under the resv when the importer has no valid mapping. */
export function* ensureMapped(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = importer(k, imp);
  if (st.valid && st.table !== 0) return 0;
  const r = yield* dmaBufMapAttachment(k, st.a, DMA_BIDIRECTIONAL);
  if (r < 0) return r;
  useTable(k, st, r as Ref<SgTable>);
  return 0;
}

export function* doImport(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = importer(k, imp);
  const buf = buffer(k);
  if (st.a !== 0) return -ERRNO.EBUSY;
  const g = yield* getAndAttach(k, buf, imp, st);
  if (g < 0) return g;
  st.a = k.env.imps[imp]!.attachment as Ref<DmaBufAttachment>;
  st.closing = false;
  yield* dmaResvLock(k, buf.resv);
  if (k.env.imps[imp]!.pinned) {
    /** D-GPUI-5: a scanout-style pin before the first map */
    const p = yield* dmaBufPin(k, st.a);
    if (p === 0) st.pinned = true;
  }
  const r = yield* ensureMapped(k, imp);
  yield* dmaResvUnlock(k, buf.resv);
  return r;
}

/** D-GPUI-2: one job per transfer, fenced in the resv, after the KERNEL fences. */
export function* doDma(k: DriverCtx, imp: ImpIdx, count: number, write: boolean): FrameProc<number> {
  const st = importer(k, imp);
  const buf = buffer(k);
  if (st.a === 0) return -ERRNO.ENOENT;
  let ret = 0;
  let i = 0;
  while (i < count) {
    i++;
    yield* dmaResvLock(k, buf.resv);
    const r = yield* ensureMapped(k, imp);
    if (r < 0) {
      yield* dmaResvUnlock(k, buf.resv);
      devEvent(k, 'submission failed', imp, ` ${r}`);
      ret = r;
      continue;
    }
    judgeSubmission(k, st.a, st.table, st.tableNotified);
    const f = newFence(k, imp, FENCE_JOB);
    const j = newJob(k, k.env.imps[imp]!.jobs, st.table, write, f, f);
    setKernelDeps(k, buf, j);
    if (!k.env.imps[imp]!.noFence) {
      dmaResvReserveFences(k, buf.resv, 1);
      yield* dmaResvAddFence(k, buf.resv, f, write ? WRITE : READ);
    }
    yield* submitJob(k, k.env.imps[imp]!.engine as Ref<DmaEngine>, j);
    yield* dmaResvUnlock(k, buf.resv);
  }
  return ret;
}

/** The scenario's `remap`: R38 under the resv if the last mapping was invalidated. */
export function* doRemap(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  if (importer(k, imp).a === 0) return -ERRNO.ENOENT;
  yield* dmaResvLock(k, buffer(k).resv);
  const r = yield* ensureMapped(k, imp);
  yield* dmaResvUnlock(k, buffer(k).resv);
  return r;
}
