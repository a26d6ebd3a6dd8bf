/**
 * iommufd pinning importer (rule book §5.4, D-IOMMUFD-*) in the compiled function* subset,
 * the data-world form of iommufd.ts: it maps a VFIO dma-buf's physical range (the private
 * map, never R38) into the I/O page tables, and every invalidate is a permanent revoke that
 * unmaps the IOVA synchronously under the iopt_pages mutex. Its state is an
 * `IommufdImporter`; its IOVA ranges and its transfers' fences come from its own pools.
 * Its transfers, release and op dispatcher are in frame-iommufd-ops.ts.
 * (linux: drivers/iommu/iommufd/pages.c, io_pagetable.c)
 * `npm run frames` compiles this file to frame-iommufd.frames.ts.
 */
import type { FrameProc } from '../sim/frame-ops.ts';
import { mutexLock, mutexUnlock } from '../sim/frame-mutex.ts';
import { structAlloc, type ImpIdx, type Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import type { DmaBufAttachment } from '../kernel/frame-dma-buf.ts';
import { dmaBufPin, dmaBufUnpin } from '../kernel/frame-pin.ts';
import { dmaResvLock, dmaResvUnlock } from '../kernel/frame-resv.ts';
import { iommuMap, iommuUnmap, type IommuMapping } from '../hw/frame-iommu.ts';
import type { MemRegion } from '../hw/frame-region.ts';
import { detachAndPut, getAndAttach } from './frame-importer.ts';
import { buffer, tracker, vfioPrivateMap } from './frame-vfio-pci.ts';
import type { DriverCtx } from './frame-env.ts';

/** One importer's state (iommufd.ts `st`). */
export interface IommufdImporter {
  /** the attachment while imported, else 0 */
  a: Ref<DmaBufAttachment>;
  /** the import pinned the buffer (D-IOMMUFD-1) */
  pinned: boolean;
  /** the IOVA range of the last import, 0 before the first */
  iova: Ref<IommuMapping>;
  /** a revoke unmapped the range for good (under the pages mutex) */
  revoked: boolean;
  /** ranges made so far (the next range's name counts them) */
  iovas: number;
  /** transfer fences made so far (the pool's next seqno - 1) */
  fences: number;
}

export function iommufdImporter(k: DriverCtx, imp: ImpIdx): Ref<IommufdImporter> {
  return k.env.imps[imp]!.st as Ref<IommufdImporter>;
}

/**
 * D-IOMMUFD-2 revoke_notify, resv held, in the exporter's thread: unmaps the range
 * synchronously and marks the pages revoked for good. Another attachment of the device
 * has pages of its own, not these.
 */
export function* iommufdRevokeNotify(k: DriverCtx, a: Ref<DmaBufAttachment>): FrameProc {
  const imp: ImpIdx = a.dev;
  const st = iommufdImporter(k, imp);
  if (a.importerPriv !== st) return;
  yield* mutexLock(k, k.env.imps[imp]!.pagesMutex);
  if (!st.revoked) {
    if (st.iova !== 0 && st.iova.present) yield* iommuUnmap(k, st.iova);
    st.revoked = true;
  }
  yield* mutexUnlock(k, k.env.imps[imp]!.pagesMutex);
}

/** A fresh IOVA range object (a full pool is a model bug). */
export function newIova(k: DriverCtx, imp: ImpIdx): Ref<IommuMapping> {
  const m = structAlloc(k.s, k.env.imps[imp]!.iovas) as Ref<IommuMapping>;
  if (m === 0) throw new Error(`model bug: IOVA pool ${k.env.imps[imp]!.iovas.name} is full`);
  return m;
}

/** Import failure after attach (resv held): unpin if pinned, unlock, detach, put. Returns `err`. */
export function* undo(k: DriverCtx, a: Ref<DmaBufAttachment>, err: number, pinned: boolean): FrameProc<number> {
  const buf = buffer(k);
  if (pinned) yield* dmaBufUnpin(k, a);
  yield* dmaResvUnlock(k, buf.resv);
  yield* detachAndPut(k, buf, a);
  return err;
}

/** D-IOMMUFD-1/3: attach, pin, the private map under the resv, then the IOVA under the pages mutex. */
export function* doImport(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = iommufdImporter(k, imp);
  const buf = buffer(k);
  const pins = k.env.imps[imp]!.pins;
  if (st.a !== 0) return -ERRNO.EBUSY;
  const g = yield* getAndAttach(k, buf, imp, st);
  if (g < 0) return g;
  const a = k.env.imps[imp]!.attachment as Ref<DmaBufAttachment>;
  yield* dmaResvLock(k, buf.resv);
  if (pins) {
    const r = yield* dmaBufPin(k, a);
    if (r < 0) return yield* undo(k, a, r, false);
  }
  const region: Ref<MemRegion> | number = vfioPrivateMap(k, a);
  if (region < 0) return yield* undo(k, a, region, pins);
  st.pinned = pins;
  yield* dmaResvUnlock(k, buf.resv);
  st.a = a;
  yield* mutexLock(k, k.env.imps[imp]!.pagesMutex);
  if (!st.revoked) {
    st.iovas++;
    const m: Ref<IommuMapping> | number = yield* iommuMap(k, newIova(k, imp), a, region as Ref<MemRegion>, st.iovas, tracker(k));
    st.iova = m as Ref<IommuMapping>;
  }
  yield* mutexUnlock(k, k.env.imps[imp]!.pagesMutex);
  return 0;
}
