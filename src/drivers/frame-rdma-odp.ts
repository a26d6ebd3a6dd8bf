/**
 * rdma-odp importer, mlx5 on-demand paging (rule book §5.6, D-ODP-*), in the compiled
 * function* subset, the data-world form of rdma-odp.ts: dynamic attach; the NIC translates
 * through a device mapping (the mkey) that the callback zaps synchronously; a zapped
 * access page-faults and the fault worker maps again. Its state is an `OdpImporter`; the
 * NIC's work requests, release and op dispatcher are in frame-rdma-odp-ops.ts.
 * (linux: drivers/infiniband/hw/mlx5/mr.c, odp.c; drivers/infiniband/core/umem_dmabuf.c)
 * `npm run frames` compiles this file to frame-rdma-odp.frames.ts.
 */
import { sched, waitGt, type FrameProc } from '../sim/frame-ops.ts';
import { addr, type ImpIdx, type Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import { MAX_SCHEDULE_TIMEOUT } from '../kernel/frame-fence.ts';
import { DMA_BIDIRECTIONAL, tableName, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import { devName } from '../kernel/frame-attach.ts';
import { dmaBufMapAttachment, dmaBufUnmapAttachment } from '../kernel/frame-mapping.ts';
import { dmaResvLock, dmaResvUnlock, dmaResvWaitTimeout, KERNEL } from '../kernel/frame-resv.ts';
import { getAndAttach } from './frame-importer.ts';
import { buffer } from './frame-vfio-pci.ts';
import type { DriverCtx } from './frame-env.ts';

/** One importer's state (rdma-odp.ts OdpState). */
export interface OdpImporter {
  /** the attachment while imported, else 0 */
  a: Ref<DmaBufAttachment>;
  /** the table the NIC translation points at, 0 when none is live */
  table: Ref<SgTable>;
  /** the NIC translation (mkey) is programmed */
  xlat: boolean;
  /** the table the mkey was last programmed with: what the NIC reaches while `xlat` */
  mkeyTable: Ref<SgTable>;
  /**
   * the invalidate callback ran for `mkeyTable` since it was programmed (P3(a) observer:
   * the generator's set of notified tables is only ever asked about the mkey's table)
   */
  mkeyNotified: boolean;
  /** release has begun: a fault maps nothing more (under resv) */
  closing: boolean;
  /** page faults raised and not yet handled */
  faults: number;
  /** transfer fences made so far (the pool's next seqno - 1) */
  fences: number;
}

export function odpImporter(k: DriverCtx, imp: ImpIdx): Ref<OdpImporter> {
  return k.env.imps[imp]!.st as Ref<OdpImporter>;
}

/** An event whose detail is the device's name. */
export function odpEvent(k: DriverCtx, label: string, imp: ImpIdx, suffix: string): void {
  if (k.out.records) k.out.event(k.tid, label, `${devName(k, k.env.imps[imp]!.attachment as Ref<DmaBufAttachment>)}${suffix}`);
}

/**
 * D-ODP-3, resv held, in the exporter's thread: zap the mkey synchronously, then unmap
 * (ignores-invalidate only notes it; zap-no-unmap keeps the table). Another attachment of
 * the device maps nothing of the MR's.
 */
export function* odpInvalidate(k: DriverCtx, a: Ref<DmaBufAttachment>): FrameProc {
  const imp: ImpIdx = a.dev;
  const st = odpImporter(k, imp);
  if (a.importerPriv !== st || st.table === 0) return;
  const t = st.table;
  if (k.env.imps[imp]!.ignoresInvalidate) {
    yield sched();
    if (k.out.records) k.out.event(k.tid, 'invalidate ignored', tableName(k, t));
    if (t === st.mkeyTable) st.mkeyNotified = true;
    return;
  }
  yield sched();
  odpEvent(k, 'mlx5r_umr_revoke_mr', imp, ' mkey (UMR completed)');
  if (t === st.mkeyTable) st.mkeyNotified = true;
  st.xlat = false;
  if (k.env.imps[imp]!.noUnmap) return;
  yield* dmaBufUnmapAttachment(k, a, t, DMA_BIDIRECTIONAL);
  st.table = 0 as Ref<SgTable>;
}

/** D-ODP-1 map part, resv held: map if no live table (then wait for the KERNEL fences), program the mkey. Returns 0 or a negative errno. */
export function* mapAndProgram(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = odpImporter(k, imp);
  if (st.closing || st.a === 0) return -ERRNO.ENODEV;
  if (st.table === 0) {
    const t: Ref<SgTable> | number = yield* dmaBufMapAttachment(k, st.a, DMA_BIDIRECTIONAL);
    if (t < 0) return t;
    st.table = t as Ref<SgTable>;
    const w = yield* dmaResvWaitTimeout(k, buffer(k).resv, KERNEL, MAX_SCHEDULE_TIMEOUT);
    if (w < 0) return w;
  }
  if (!st.xlat) {
    yield sched();
    odpEvent(k, 'program mkey', imp, ` -> ${tableName(k, st.table)}`);
    st.xlat = true;
    st.mkeyTable = st.table;
    st.mkeyNotified = false;
  }
  return 0;
}

/** The scenario's `remap` and the end of `import`: D-ODP-1 under the resv. */
export function* prefetch(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  if (odpImporter(k, imp).a === 0) return -ERRNO.ENOENT;
  yield* dmaResvLock(k, buffer(k).resv);
  const r = yield* mapAndProgram(k, imp);
  yield* dmaResvUnlock(k, buffer(k).resv);
  return r;
}

export function* doImport(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = odpImporter(k, imp);
  if (st.a !== 0) return -ERRNO.EBUSY;
  const g = yield* getAndAttach(k, buffer(k), imp, st);
  if (g < 0) return g;
  st.a = k.env.imps[imp]!.attachment as Ref<DmaBufAttachment>;
  st.closing = false;
  return yield* prefetch(k, imp);
}

/** The page-fault work item (a background thread; RDMA completions are no dma_fences). */
export function* faultWorker(k: DriverCtx, imp: ImpIdx): FrameProc {
  const st = odpImporter(k, imp);
  for (;;) {
    yield waitGt(addr(st.faults), 0);
    odpEvent(k, 'pagefault idle', imp, '');
    yield* dmaResvLock(k, buffer(k).resv);
    yield* mapAndProgram(k, imp);
    yield* dmaResvUnlock(k, buffer(k).resv);
    // faults > 0 since the worker woke (only this write lowers it): the waits end here
    yield sched();
    odpEvent(k, 'page fault handled', imp, '');
    st.faults = 0;
  }
}
