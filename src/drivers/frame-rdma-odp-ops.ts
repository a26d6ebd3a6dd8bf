/**
 * rdma-odp's work requests (D-ODP-2), release and scenario ops in the compiled function*
 * subset (rdma-odp.ts nicAccess, workRequest, doDma, doRelease); its state, callback, map
 * path and fault worker are in frame-rdma-odp.ts. A work request is an engine job whose
 * transfer is `odpWorkRequest` (DmaJob.run): the NIC translates through the mkey when the
 * job runs, not when it was queued.
 * `npm run frames` compiles this file to frame-rdma-odp-ops.frames.ts.
 */
import { sched, waitEq, type FrameProc } from '../sim/frame-ops.ts';
import { addr, type ImpIdx, type Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import { DMA_BIDIRECTIONAL, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import { dmaBufUnmapAttachment } from '../kernel/frame-mapping.ts';
import { dmaResvLock, dmaResvUnlock } from '../kernel/frame-resv.ts';
import type { DmaJob } from '../hw/frame-engine.ts';
import { judgeAccess, judgeSubmission } from '../hw/frame-oracle.ts';
import type { IommuMapping } from '../hw/frame-iommu.ts';
import { detachAndPut, submitPrivate } from './frame-importer.ts';
import { buffer, tracker } from './frame-vfio-pci.ts';
import { odpEvent, odpImporter } from './frame-rdma-odp.ts';
import { type DriverCtx } from './frame-env.ts';

/** One NIC access through the mkey (one step): faults (no access, returns 0) when zapped, else 1. */
export function* nicAccess(k: DriverCtx, imp: ImpIdx, write: boolean): FrameProc<number> {
  const st = odpImporter(k, imp);
  yield sched();
  odpEvent(k, write ? 'dma write' : 'dma read', imp, ' via mkey');
  if (!st.xlat || st.mkeyTable === 0) return 0;
  judgeAccess(k, k.env.imps[imp]!.attachment as Ref<DmaBufAttachment>, st.mkeyTable, write, false, tracker(k));
  return 1;
}

/** D-ODP-2, in the engine's thread: a zapped translation page-faults into the fault worker, then the access is retried once. */
export function* odpWorkRequest(k: DriverCtx, j: Ref<DmaJob>): FrameProc {
  const imp = (j.fence.owner - 1) as ImpIdx;
  const st = odpImporter(k, imp);
  const ok = yield* nicAccess(k, imp, j.write);
  if (ok !== 0) return;
  yield sched();
  odpEvent(k, 'page fault', imp, '');
  st.faults++;
  yield waitEq(addr(st.faults), 0);
  odpEvent(k, 'wait page fault', imp, '');
  const again = yield* nicAccess(k, imp, j.write);
  if (again === 0) odpEvent(k, 'work request completes in error', imp, '');
}

/** Posts `count` work requests; each post reads the mkey's table for the P3(a) observer. */
export function* doDma(k: DriverCtx, imp: ImpIdx, count: number, write: boolean): FrameProc<number> {
  const st = odpImporter(k, imp);
  if (st.a === 0) return -ERRNO.ENOENT;
  let i = 0;
  while (i < count) {
    i++;
    yield sched();
    odpEvent(k, 'post work request', imp, '');
    if (st.mkeyTable !== 0) judgeSubmission(k, st.a, st.mkeyTable, st.mkeyNotified && st.xlat);
    st.fences++;
    yield* submitPrivate(k, imp, st.fences, 0 as Ref<SgTable>, 0 as Ref<IommuMapping>, k.env.imps[imp]!.workRequest, write);
  }
  return 0;
}

/**
 * Release: under the resv, mark the MR closing (a fault maps nothing more), zap and unmap;
 * then flush the fault worker, detach, put. The zap comes after `closing`, as the kernel
 * first stops faults from finding the mkey.
 */
export function* doRelease(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = odpImporter(k, imp);
  const buf = buffer(k);
  const a = st.a;
  if (a === 0) return -ERRNO.ENOENT;
  yield* dmaResvLock(k, buf.resv);
  st.closing = true;
  // the zap: a UMR that completed before it returns, one step
  yield sched();
  odpEvent(k, 'mlx5_revoke_mr', imp, ' mkey (UMR completed)');
  st.xlat = false;
  if (st.table !== 0) yield* dmaBufUnmapAttachment(k, a, st.table, DMA_BIDIRECTIONAL);
  st.table = 0 as Ref<SgTable>;
  yield* dmaResvUnlock(k, buf.resv);
  yield waitEq(addr(st.faults), 0);
  odpEvent(k, 'flush page-fault work', imp, '');
  yield* detachAndPut(k, buf, a);
  st.a = 0 as Ref<DmaBufAttachment>;
  return 0;
}
