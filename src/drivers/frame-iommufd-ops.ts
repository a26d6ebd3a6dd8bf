/**
 * iommufd's transfers, release (D-IOMMUFD-5) and scenario ops in the compiled function*
 * subset (iommufd.ts doDma, doRelease); its state, import and revoke are in
 * frame-iommufd.ts. `npm run frames` compiles this file to frame-iommufd-ops.frames.ts.
 */
import type { FrameProc } from '../sim/frame-ops.ts';
import { mutexLock, mutexUnlock } from '../sim/frame-mutex.ts';
import type { ImpIdx, Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import type { DmaBuf, DmaBufAttachment, SgTable } from '../kernel/frame-dma-buf.ts';
import { dmaBufUnpin } from '../kernel/frame-pin.ts';
import { dmaResvLock, dmaResvUnlock } from '../kernel/frame-resv.ts';
import { iommuUnmap } from '../hw/frame-iommu.ts';
import { detachAndPut, submitPrivate } from './frame-importer.ts';
import { buffer } from './frame-vfio-pci.ts';
import { iommufdImporter } from './frame-iommufd.ts';
import { type DriverCtx } from './frame-env.ts';

/** Device DMA through the IOVA (common.ts submitPrivate): its fences stay private; an unmapped range faults. */
export function* doDma(k: DriverCtx, imp: ImpIdx, count: number, write: boolean): FrameProc<number> {
  const st = iommufdImporter(k, imp);
  if (st.iova === 0) return -ERRNO.ENODEV;
  let i = 0;
  while (i < count) {
    i++;
    st.fences++;
    yield* submitPrivate(k, imp, st.fences, 0 as Ref<SgTable>, st.iova, -1, write);
  }
  return 0;
}

/** D-IOMMUFD-5: unmap the IOVA first, then unpin under the resv (as-merged: without it), detach, put. */
export function* doRelease(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = iommufdImporter(k, imp);
  const buf: Ref<DmaBuf> = buffer(k);
  const a = st.a;
  if (a === 0) return -ERRNO.ENOENT;
  yield* mutexLock(k, k.env.imps[imp]!.pagesMutex);
  if (st.iova !== 0 && st.iova.present) yield* iommuUnmap(k, st.iova);
  yield* mutexUnlock(k, k.env.imps[imp]!.pagesMutex);
  if (st.pinned && !k.env.imps[imp]!.noUnpin) {
    if (k.env.imps[imp]!.unpinUnlocked) yield* dmaBufUnpin(k, a);
    else {
      yield* dmaResvLock(k, buf.resv);
      yield* dmaBufUnpin(k, a);
      yield* dmaResvUnlock(k, buf.resv);
    }
  }
  yield* detachAndPut(k, buf, a);
  st.a = 0 as Ref<DmaBufAttachment>;
  return 0;
}
