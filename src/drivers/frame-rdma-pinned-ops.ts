/**
 * rdma-pinned's work requests, release (D-RDMAP-3, D-RDMAP-4) and scenario ops in the
 * compiled function* subset (rdma-pinned.ts doDma, doRelease); its state, callback and
 * registration are in frame-rdma-pinned.ts.
 * `npm run frames` compiles this file to frame-rdma-pinned-ops.frames.ts.
 */
import { sched, type FrameProc } from '../sim/frame-ops.ts';
import type { ImpIdx, Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import { DMA_BIDIRECTIONAL, tableName, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import { devName } from '../kernel/frame-attach.ts';
import { dmaBufUnmapAttachment } from '../kernel/frame-mapping.ts';
import { dmaBufUnpin } from '../kernel/frame-pin.ts';
import { dmaResvLock, dmaResvUnlock } from '../kernel/frame-resv.ts';
import { judgeSubmission } from '../hw/frame-oracle.ts';
import type { IommuMapping } from '../hw/frame-iommu.ts';
import { detachAndPut, submitPrivate, waitFences } from './frame-importer.ts';
import { buffer } from './frame-vfio-pci.ts';
import { pinnedImporter } from './frame-rdma-pinned.ts';
import { type DriverCtx } from './frame-env.ts';

/** Work requests: the NIC DMAs through the table; its fences stay private (no fence in the resv). */
export function* doDma(k: DriverCtx, imp: ImpIdx, count: number, write: boolean): FrameProc<number> {
  const st = pinnedImporter(k, imp);
  if (st.a === 0) return -ERRNO.ENOENT;
  if (st.table === 0) return -ERRNO.EINVAL;
  let i = 0;
  while (i < count) {
    i++;
    if (k.env.imps[imp]!.logsInvalidate) {
      /** P3(a): a work request posted after the (log-only) callback ran */
      yield sched();
      if (k.out.records) k.out.event(k.tid, 'post work request', `${devName(k, st.a)} via ${tableName(k, st.table)}`);
      judgeSubmission(k, st.a, st.table, st.tableNotified);
    }
    st.fences++;
    yield* submitPrivate(k, imp, st.fences, st.table, 0 as Ref<IommuMapping>, -1, write);
  }
  return 0;
}

/** D-RDMAP-4: wait until the NIC finished every transfer, then D-RDMAP-3 (unmap, unpin once) under the resv, detach, put. */
export function* doRelease(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = pinnedImporter(k, imp);
  const buf = buffer(k);
  const a = st.a;
  if (a === 0) return -ERRNO.ENOENT;
  yield* waitFences(k, imp, st.jobFrom, st.fences);
  st.jobFrom = st.fences + 1;
  yield* dmaResvLock(k, buf.resv);
  if (!st.revoked) {
    if (st.table !== 0) yield* dmaBufUnmapAttachment(k, a, st.table, DMA_BIDIRECTIONAL);
    yield* dmaBufUnpin(k, a);
    st.revoked = true;
  }
  st.table = 0 as Ref<SgTable>;
  yield* dmaResvUnlock(k, buf.resv);
  yield* detachAndPut(k, buf, a);
  st.a = 0 as Ref<DmaBufAttachment>;
  st.revoked = false;
  return 0;
}
