/**
 * gpu-dynamic importer (rule book §5.3, D-GPUI-*) in the compiled function* subset, the
 * data-world form of gpu-dynamic.ts: dynamic attach, asynchronous invalidation through
 * fences, a deferred unmapper, lazy remap. Its state is a `GpuImporter` object; its job
 * and teardown fences come from its own pool in creation order, so a fence's seqno is its
 * place in the pool and "the job fences since the last release" is a seqno range.
 * (linux: amdgpu_dma_buf.c:amdgpu_dma_buf_move_notify, xe_dma_buf.c:xe_dma_buf_move_notify)
 * `npm run frames` compiles this file to frame-gpu-dynamic.frames.ts.
 */
import { sched, waitEq, waitGt, type FrameProc } from '../sim/frame-ops.ts';
import { addr, structAlloc, type Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import { dmaFenceInit, dmaFenceWaitTimeout, MAX_SCHEDULE_TIMEOUT, type DmaFence } from '../kernel/frame-fence.ts';
import { DMA_BIDIRECTIONAL, tableName, type DmaBuf, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import { devName } from '../kernel/frame-attach.ts';
import { dmaBufMapAttachment, dmaBufUnmapAttachment } from '../kernel/frame-mapping.ts';
import { dmaBufPin, dmaBufUnpin } from '../kernel/frame-pin.ts';
import { BOOKKEEP, dmaResvAddFence, dmaResvLock, dmaResvReserveFences, dmaResvUnlock, READ, WRITE } from '../kernel/frame-resv.ts';
import { newJob, submitJob, type DmaEngine } from '../hw/frame-engine.ts';
import { judgeSubmission } from '../hw/frame-oracle.ts';
import { detachAndPut, getAndAttach, opLock, opUnlock, setKernelDeps } from './frame-importer.ts';
import { OP_DMA, OP_IMPORT, OP_RELEASE, OP_REMAP, type DriverCtx } from './frame-env.ts';

export const FENCE_JOB = 0;
export const FENCE_TEARDOWN = 1;

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

export function importer(k: DriverCtx, imp: number): Ref<GpuImporter> {
  return k.env.gpui[imp]!.st as Ref<GpuImporter>;
}

export function buffer(k: DriverCtx): Ref<DmaBuf> {
  return k.env.vfio.buf as Ref<DmaBuf>;
}

/** Importer `imp`'s fence with seqno `seq`. */
export function fenceAt(k: DriverCtx, imp: number, seq: number): Ref<DmaFence> {
  const pool = k.env.gpui[imp]!.fences;
  return (pool.base + (seq - 1) * pool.width) as Ref<DmaFence>;
}

/** A new fence of the importer's engine: `gpu0-job1`, `gpu0-teardown2`. */
export function newFence(k: DriverCtx, imp: number, kind: number): Ref<DmaFence> {
  const st = importer(k, imp);
  st.fences++;
  return dmaFenceInit(k, k.env.gpui[imp]!.fences, k.env.gpui[imp]!.context, st.fences, false, imp, kind);
}

export function devEvent(k: DriverCtx, label: string, imp: number, suffix: string): void {
  if (k.out.records) k.out.event(k.tid, label, `${devName(k, k.env.gpui[imp]!.attachment as Ref<DmaBufAttachment>)}${suffix}`);
}

/** Queues a job of the importer's engine (a transfer through `table`, or none) signalling `f`. */
export function* submit(k: DriverCtx, imp: number, table: Ref<SgTable>, write: boolean, f: Ref<DmaFence>, deps: boolean): FrameProc {
  const j = newJob(k, k.env.gpui[imp]!.jobs, table, write, f, f);
  if (deps) setKernelDeps(k, buffer(k), j);
  yield* submitJob(k, k.env.gpui[imp]!.engine as Ref<DmaEngine>, j);
}

/**
 * D-GPUI-3: resv held, in the exporter's thread; returns without waiting. Another
 * attachment of this device has no buffer object of the driver's.
 */
export function* gpuiInvalidate(k: DriverCtx, a: Ref<DmaBufAttachment>): FrameProc {
  const imp = a.dev;
  const st = importer(k, imp);
  if (a.importerPriv !== st) return;
  if (st.table !== 0) st.tableNotified = true;
  if (k.env.gpui[imp]!.eagerRemap && !st.closing) {
    yield sched();
    devEvent(k, 'queue remap work', imp, '');
    st.remapPending = true;
  }
  if (st.table === 0) return;
  if (k.env.gpui[imp]!.pinnedIgnoresInvalidate && st.pinned) return;
  st.valid = false;
  const table = st.table;
  let u = 0 as Ref<DmaFence>;
  if (!k.env.gpui[imp]!.noFence) {
    dmaResvReserveFences(k, buffer(k).resv, 1);
    u = newFence(k, imp, FENCE_TEARDOWN);
    yield* dmaResvAddFence(k, buffer(k).resv, u, BOOKKEEP);
    yield* submit(k, imp, 0 as Ref<SgTable>, false, u, false);
  }
  st.table = 0 as Ref<SgTable>;
  yield sched();
  if (k.out.records) k.out.event(k.tid, 'queue deferred unmap', tableName(k, table));
  const item = newItem(k, imp);
  item.table = table;
  item.teardown = u;
  item.from = u === 0 ? 0 : st.jobFrom;
  item.to = u === 0 ? 0 : st.fences;
  if (st.tail === 0) st.head = item;
  else st.tail.next = item;
  st.tail = item;
  st.queued++;
  st.pending++;
  if (k.env.gpui[imp]!.remapInCallback) {
    /** R38 from inside the callback: the table points at the placement being left */
    const r = yield* dmaBufMapAttachment(k, a, DMA_BIDIRECTIONAL);
    if (r > 0) useTable(k, st, r as Ref<SgTable>);
  }
}

/** A fresh unmapper work item (a full pool is a model bug). */
export function newItem(k: DriverCtx, imp: number): Ref<UnmapItem> {
  const item = structAlloc(k.s, k.env.gpui[imp]!.items) as Ref<UnmapItem>;
  if (item === 0) throw new Error(`model bug: unmap item pool ${k.env.gpui[imp]!.items.name} is full`);
  return item;
}

/** The importer's new mapping. */
export function useTable(k: DriverCtx, st: Ref<GpuImporter>, t: Ref<SgTable>): void {
  st.table = t;
  st.valid = true;
  st.tableNotified = false;
}

/** R38 under the resv when the importer has no valid mapping. */
export function* ensureMapped(k: DriverCtx, imp: number): FrameProc<number> {
  const st = importer(k, imp);
  if (st.valid && st.table !== 0) return 0;
  const r = yield* dmaBufMapAttachment(k, st.a, DMA_BIDIRECTIONAL);
  if (r < 0) return r;
  useTable(k, st, r as Ref<SgTable>);
  return 0;
}

/** eager-remap: the worker the callback wakes maps again at once (B19). */
export function* remapWorker(k: DriverCtx, imp: number): FrameProc {
  const st = importer(k, imp);
  for (;;) {
    yield waitEq(addr(st.remapPending), 1);
    devEvent(k, 'remap worker idle', imp, '');
    yield sched();
    devEvent(k, 'remap work runs', imp, '');
    st.remapPending = false;
    st.remapRunning = true;
    yield* dmaResvLock(k, buffer(k).resv);
    if (!st.closing && st.a !== 0) {
      const r = yield* ensureMapped(k, imp);
      if (r < 0) devEvent(k, 'eager remap failed', imp, ` ${r}`);
    }
    yield* dmaResvUnlock(k, buffer(k).resv);
    yield sched();
    devEvent(k, 'remap work done', imp, '');
    st.remapRunning = false;
  }
}

export function* doImport(k: DriverCtx, imp: number): FrameProc<number> {
  const st = importer(k, imp);
  const buf = buffer(k);
  if (st.a !== 0) return -ERRNO.EBUSY;
  const g = yield* getAndAttach(k, buf, imp, st);
  if (g < 0) return g;
  st.a = k.env.gpui[imp]!.attachment as Ref<DmaBufAttachment>;
  st.closing = false;
  yield* dmaResvLock(k, buf.resv);
  if (k.env.gpui[imp]!.pinned) {
    /** D-GPUI-5: a scanout-style pin before the first map */
    const p = yield* dmaBufPin(k, st.a);
    if (p === 0) st.pinned = true;
  }
  const r = yield* ensureMapped(k, imp);
  yield* dmaResvUnlock(k, buf.resv);
  return r;
}

/** D-GPUI-2: one job per transfer, fenced in the resv, after the KERNEL fences. */
export function* doDma(k: DriverCtx, imp: number, count: number, write: boolean): FrameProc<number> {
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
    const j = newJob(k, k.env.gpui[imp]!.jobs, st.table, write, f, f);
    setKernelDeps(k, buf, j);
    if (!k.env.gpui[imp]!.noFence) {
      dmaResvReserveFences(k, buf.resv, 1);
      yield* dmaResvAddFence(k, buf.resv, f, write ? WRITE : READ);
    }
    yield* submitJob(k, k.env.gpui[imp]!.engine as Ref<DmaEngine>, j);
    yield* dmaResvUnlock(k, buf.resv);
  }
  return ret;
}

/** Waits for importer `imp`'s job fences with seqno from..to-1 (teardown fences skipped). */
export function* waitJobs(k: DriverCtx, imp: number, from: number, to: number): FrameProc {
  let seq = from;
  while (seq <= to) {
    const f = fenceAt(k, imp, seq);
    if (seq > 0 && f.kind === FENCE_JOB) yield* dmaFenceWaitTimeout(k, f, MAX_SCHEDULE_TIMEOUT);
    seq++;
  }
}

/** D-GPUI-4: wait for own jobs, unmap what it still owns, wait for the deferred unmapper, detach, put. */
export function* doRelease(k: DriverCtx, imp: number): FrameProc<number> {
  const st = importer(k, imp);
  const buf = buffer(k);
  const a = st.a;
  if (a === 0) return -ERRNO.ENOENT;
  yield* waitJobs(k, imp, st.jobFrom, st.fences);
  yield* dmaResvLock(k, buf.resv);
  // under resv: the invalidate callback reads the window (the fences its unmap waits for)
  st.jobFrom = st.fences + 1;
  st.closing = true;
  if (st.table !== 0) {
    yield* dmaBufUnmapAttachment(k, a, st.table, DMA_BIDIRECTIONAL);
    st.table = 0 as Ref<SgTable>;
  }
  st.valid = false;
  yield* dmaResvUnlock(k, buf.resv);
  if (k.env.gpui[imp]!.eagerRemap) {
    yield waitEq(addr(st.remapRunning), 0);
    devEvent(k, 'cancel remap work', imp, '');
  }
  yield waitEq(addr(st.pending), 0);
  devEvent(k, 'flush deferred unmapper', imp, '');
  if (st.pinned) {
    yield* dmaResvLock(k, buf.resv);
    yield* dmaBufUnpin(k, a);
    st.pinned = false;
    yield* dmaResvUnlock(k, buf.resv);
  }
  yield* detachAndPut(k, buf, a);
  st.a = 0 as Ref<DmaBufAttachment>;
  return 0;
}

/** The deferred unmapper: R40 under the resv once the teardown and every job retired. */
export function* unmapperThread(k: DriverCtx, imp: number): FrameProc {
  const st = importer(k, imp);
  const buf = buffer(k);
  for (;;) {
    yield waitGt(addr(st.queued), 0);
    devEvent(k, 'unmapper idle', imp, '');
    yield sched();
    devEvent(k, 'unmapper fetch', imp, '');
    const item = st.head;
    const table = item.table;
    const teardown = item.teardown;
    const from = item.from;
    const to = item.to;
    st.head = item.next;
    if (st.head === 0) st.tail = 0 as Ref<UnmapItem>;
    st.queued--;
    freeItem(k, imp, item);
    if (teardown !== 0) {
      yield* dmaFenceWaitTimeout(k, teardown, MAX_SCHEDULE_TIMEOUT);
      yield* waitJobs(k, imp, from, to);
    }
    yield* dmaResvLock(k, buf.resv);
    if (st.a !== 0) yield* dmaBufUnmapAttachment(k, st.a, table, DMA_BIDIRECTIONAL);
    yield* dmaResvUnlock(k, buf.resv);
    // the item fetched is still counted in pending: the flush waits until here
    yield sched();
    if (k.out.records) k.out.event(k.tid, 'deferred unmap done', tableName(k, table));
    st.pending--;
  }
}

/** Gives a fetched work item back to its pool: nothing reads it after the fetch, and a kept one would split states by history. */
export function freeItem(k: DriverCtx, imp: number, item: Ref<UnmapItem>): void {
  const pool = k.env.gpui[imp]!.items;
  k.s.free(pool, (item - pool.base) / pool.width);
}

/** The scenario's `remap`: R38 under the resv if the last mapping was invalidated. */
export function* doRemap(k: DriverCtx, imp: number): FrameProc<number> {
  if (importer(k, imp).a === 0) return -ERRNO.ENOENT;
  yield* dmaResvLock(k, buffer(k).resv);
  const r = yield* ensureMapped(k, imp);
  yield* dmaResvUnlock(k, buffer(k).resv);
  return r;
}

/** A scenario's importer op `op` (frame-env.ts IMP_OPS) on importer `imp`, serialised on it (contract §1). */
export function* gpuiOp(k: DriverCtx, imp: number, op: number, count: number, write: boolean): FrameProc<number> {
  yield* opLock(k, imp);
  let r = 0;
  if (op === OP_IMPORT) r = yield* doImport(k, imp);
  else if (op === OP_DMA) r = yield* doDma(k, imp, count, write);
  else if (op === OP_REMAP) r = yield* doRemap(k, imp);
  else if (op === OP_RELEASE) r = yield* doRelease(k, imp);
  yield* opUnlock(k, imp);
  return r;
}

/** A job fence's name for events (FrameKernel.fenceName): `gpu0-job1`. */
export function gpuiFenceName(k: DriverCtx, f: Ref<DmaFence>): string {
  return `${devName(k, k.env.gpui[f.owner]!.attachment as Ref<DmaBufAttachment>)}-${f.kind === FENCE_JOB ? 'job' : 'teardown'}${f.seqno}`;
}

