/**
 * rdma-pinned importer, umem_dmabuf without on-demand paging (rule book §5.5, D-RDMAP-*),
 * in the compiled function* subset, the data-world form of rdma-pinned.ts: it pins and
 * maps at registration and the NIC uses the table until deregistration; it cannot take an
 * invalidation, so its callback (by version: a warning-only stub, the v3 sentinel, none)
 * only logs. Its state is an `RdmaPinnedImporter`; its transfers' fences come from its
 * own pool, so "the fences since the last release" is a seqno range. Its transfers,
 * release and op dispatcher are in frame-rdma-pinned-ops.ts.
 * (linux: drivers/infiniband/core/umem_dmabuf.c)
 * `npm run frames` compiles this file to frame-rdma-pinned.frames.ts.
 */
import { sched, type FrameProc } from '../sim/frame-ops.ts';
import type { ImpIdx, Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import { MAX_SCHEDULE_TIMEOUT } from '../kernel/frame-fence.ts';
import { DMA_BIDIRECTIONAL, tableName, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import { devName } from '../kernel/frame-attach.ts';
import { dmaBufMapAttachment, dmaBufUnmapAttachment } from '../kernel/frame-mapping.ts';
import { dmaBufPin, dmaBufUnpin } from '../kernel/frame-pin.ts';
import { dmaResvLock, dmaResvUnlock, dmaResvWaitTimeout, KERNEL } from '../kernel/frame-resv.ts';
import { detachAndPut, getAndAttach } from './frame-importer.ts';
import { buffer } from './frame-vfio-pci.ts';
import type { DriverCtx } from './frame-env.ts';

/** One importer's state (rdma-pinned.ts `st` and its job list). */
export interface RdmaPinnedImporter {
  /** the attachment while registered, else 0 */
  a: Ref<DmaBufAttachment>;
  /** the table the NIC uses, 0 when none */
  table: Ref<SgTable>;
  /** release has unmapped and unpinned (D-RDMAP-3: once) */
  revoked: boolean;
  /** the (log-only) callback ran while `table` was the importer's (P3(a) observer) */
  tableNotified: boolean;
  /** seqno of the first transfer fence not yet waited for by a release */
  jobFrom: number;
  /** transfer fences made so far (the pool's next seqno - 1) */
  fences: number;
}

export function pinnedImporter(k: DriverCtx, imp: ImpIdx): Ref<RdmaPinnedImporter> {
  return k.env.imps[imp]!.st as Ref<RdmaPinnedImporter>;
}

/**
 * D-RDMAP-2, resv held, in the exporter's thread: the stub or the sentinel. It notes the
 * invalidation of the driver's own table for the P3(a) observer (a step: the NIC's post
 * reads it), logs and changes nothing.
 */
export function* rdmaPinnedLogOnly(k: DriverCtx, a: Ref<DmaBufAttachment>): FrameProc {
  const imp: ImpIdx = a.dev;
  const st = pinnedImporter(k, imp);
  if (a.importerPriv === st && st.table !== 0) {
    yield sched();
    if (k.out.records) k.out.event(k.tid, 'invalidate noted', tableName(k, st.table));
    st.tableNotified = true;
  }
  if (k.out.records) k.out.event(k.tid, 'ibdev_warn_ratelimited', `${devName(k, a)}: invalidate_mappings on pinned memory ignored`);
}

/** Registration failure after attach (resv held): unmap `t` if mapped, unpin if pinned, unlock, detach, put. Returns `err`. */
export function* undo(k: DriverCtx, a: Ref<DmaBufAttachment>, err: number, t: Ref<SgTable>, pinned: boolean): FrameProc<number> {
  const buf = buffer(k);
  if (t !== 0) yield* dmaBufUnmapAttachment(k, a, t, DMA_BIDIRECTIONAL);
  if (pinned) yield* dmaBufUnpin(k, a);
  yield* dmaResvUnlock(k, buf.resv);
  yield* detachAndPut(k, buf, a);
  return err;
}

/** D-RDMAP-1: attach, then pin, map and wait for the KERNEL fences under one resv hold. */
export function* doImport(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = pinnedImporter(k, imp);
  const buf = buffer(k);
  if (st.a !== 0) return -ERRNO.EBUSY;
  const g = yield* getAndAttach(k, buf, imp, st);
  if (g < 0) return g;
  const a = k.env.imps[imp]!.attachment as Ref<DmaBufAttachment>;
  yield* dmaResvLock(k, buf.resv);
  const p = yield* dmaBufPin(k, a);
  if (p < 0) return yield* undo(k, a, p, 0 as Ref<SgTable>, false);
  if (st.revoked) return yield* undo(k, a, -ERRNO.EINVAL, 0 as Ref<SgTable>, true);
  const t: Ref<SgTable> | number = yield* dmaBufMapAttachment(k, a, DMA_BIDIRECTIONAL);
  if (t < 0) return yield* undo(k, a, t, 0 as Ref<SgTable>, true);
  const w = yield* dmaResvWaitTimeout(k, buf.resv, KERNEL, MAX_SCHEDULE_TIMEOUT);
  if (w < 0) return yield* undo(k, a, w, t as Ref<SgTable>, true);
  yield* dmaResvUnlock(k, buf.resv);
  st.a = a;
  st.table = t as Ref<SgTable>;
  st.tableNotified = false;
  return 0;
}
