/**
 * gpu-dynamic's invalidation (rule book D-GPUI-3) in the compiled function* subset: the
 * invalidate callback the exporter calls with the resv held, which fences the in-flight
 * work and queues a deferred unmap; the unmapper that runs it once the fences signalled;
 * and the eager-remap worker of B19. The importer's ops and state are in
 * frame-gpu-dynamic.ts. `npm run frames` compiles this file to frame-gpu-invalidate.frames.ts.
 */
import { sched, waitEq, waitGt, type FrameProc } from '../sim/frame-ops.ts';
import { addr, structAlloc, type ImpIdx, type Ref } from '../sim/struct.ts';
import { dmaFenceWaitTimeout, MAX_SCHEDULE_TIMEOUT, type DmaFence } from '../kernel/frame-fence.ts';
import { DMA_BIDIRECTIONAL, tableName, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import { dmaBufMapAttachment, dmaBufUnmapAttachment } from '../kernel/frame-mapping.ts';
import { BOOKKEEP, dmaResvAddFence, dmaResvLock, dmaResvReserveFences, dmaResvUnlock } from '../kernel/frame-resv.ts';
import { newJob, submitJob, type DmaEngine } from '../hw/frame-engine.ts';
import { setKernelDeps } from './frame-importer.ts';
import { FENCE_TEARDOWN, type DriverCtx } from './frame-env.ts';
import { buffer, devEvent, ensureMapped, importer, newFence, useTable, type UnmapItem } from './frame-gpu-dynamic.ts';
import { waitJobs } from './frame-gpu-release.ts';

/** Queues a job of the importer's engine (a transfer through `table`, or none) signalling `f`. */
export function* submit(k: DriverCtx, imp: ImpIdx, table: Ref<SgTable>, write: boolean, f: Ref<DmaFence>, deps: boolean): FrameProc {
  const j = newJob(k, k.env.imps[imp]!.jobs, table, write, f, f);
  if (deps) setKernelDeps(k, buffer(k), j);
  yield* submitJob(k, k.env.imps[imp]!.engine as Ref<DmaEngine>, j);
}

/**
 * D-GPUI-3: resv held, in the exporter's thread; returns without waiting. Another
 * attachment of this device has no buffer object of the driver's.
 */
export function* gpuiInvalidate(k: DriverCtx, a: Ref<DmaBufAttachment>): FrameProc {
  const imp: ImpIdx = a.dev;
  const st = importer(k, imp);
  if (a.importerPriv !== st) return;
  if (st.table !== 0) st.tableNotified = true;
  if (k.env.imps[imp]!.eagerRemap && !st.closing) {
    yield sched();
    devEvent(k, 'queue remap work', imp, '');
    st.remapPending = true;
  }
  if (st.table === 0) return;
  if (k.env.imps[imp]!.pinnedIgnoresInvalidate && st.pinned) return;
  st.valid = false;
  const table = st.table;
  let u = 0 as Ref<DmaFence>;
  if (!k.env.imps[imp]!.noFence) {
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
  if (k.env.imps[imp]!.remapInCallback) {
    /** R38 from inside the callback: the table points at the placement being left */
    const r = yield* dmaBufMapAttachment(k, a, DMA_BIDIRECTIONAL);
    if (r > 0) useTable(k, st, r as Ref<SgTable>);
  }
}

/** A fresh unmapper work item (a full pool is a model bug). */
export function newItem(k: DriverCtx, imp: ImpIdx): Ref<UnmapItem> {
  const item = structAlloc(k.s, k.env.imps[imp]!.items) as Ref<UnmapItem>;
  if (item === 0) throw new Error(`model bug: unmap item pool ${k.env.imps[imp]!.items.name} is full`);
  return item;
}

/** eager-remap: the worker the callback wakes maps again at once (B19). */
export function* remapWorker(k: DriverCtx, imp: ImpIdx): FrameProc {
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

/** The deferred unmapper: R40 under the resv once the teardown and every job retired. */
export function* unmapperThread(k: DriverCtx, imp: ImpIdx): FrameProc {
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
export function freeItem(k: DriverCtx, imp: ImpIdx, item: Ref<UnmapItem>): void {
  const pool = k.env.imps[imp]!.items;
  k.s.free(pool, (item - pool.base) / pool.width);
}
