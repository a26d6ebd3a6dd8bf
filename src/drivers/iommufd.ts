/**
 * iommufd pinning importer (rule book §5.4, D-IOMMUFD-*): maps a VFIO dma-buf's physical
 * range into the I/O page tables; every invalidate is a permanent revoke that unmaps the
 * IOVA synchronously. (linux: drivers/iommu/iommufd/pages.c, io_pagetable.c)
 */
import { mutexLock, mutexUnlock, newMutex } from '../sim/mutex.ts';
import type { Proc } from '../sim/op.ts';
import type { DmaBufAttachment, DmaBufAttachOps } from '../kernel/dma-buf.ts';
import { ERRNO } from '../kernel/errno.ts';
import { isVersion, type Kernel } from '../kernel/kernel.ts';
import { dmaBufPin, dmaBufUnpin } from '../kernel/mapping.ts';
import { dmaResvLock, dmaResvUnlock } from '../kernel/resv.ts';
import { engineThread } from '../hw/engine.ts';
import { iommuMap, iommuUnmap, type IommuMapping } from '../hw/iommu.ts';
import { detachAndPut, getAndAttach, importDmaRelease, importerBase, submitPrivate } from './common.ts';
import { variantSwitches, type DriverEnv, type ExporterInstance, type ImporterConfig, type ImporterDriver, type ImporterInstance, type Variant } from './types.ts';

interface IommufdSwitches {
  /** seed: Jason Gunthorpe 2026-01-19 16:59: release never calls dma_buf_unpin (B6) */
  noUnpin: boolean;
  /** list: v6 8/8 as merged: dma_buf_unpin without the resv held */
  unpinUnlocked: boolean;
  /** `[pre]` behaviour: no dma_buf_pin at all */
  noPin: boolean;
}

/** Every variant, declared once: `list drivers`, the loader and `create` read this list. */
const VARIANTS: readonly Variant<IommufdSwitches>[] = [
  { name: 'correct', description: 'pins after attach, unmaps the IOVA then unpins under resv before detach (list: v6 8/8)', switches: { noUnpin: false, unpinUnlocked: false, noPin: false } },
  { name: 'no-unpin', description: 'release forgets dma_buf_unpin (seed: Jason Gunthorpe 2026-01-19 16:59)', switches: { noUnpin: true, unpinUnlocked: false, noPin: false } },
  { name: 'as-merged', description: 'release as merged for v7.1: dma_buf_unpin called without the resv held (linux: iopt_release_pages)', switches: { noUnpin: false, unpinUnlocked: true, noPin: false } },
  { name: 'no-pin', description: 'the pre-series importer: never pins (linux v6.19 iommufd/pages.c)', switches: { noUnpin: false, unpinUnlocked: false, noPin: true } },
];

/** The switches of `variant`, as the data world's model reads them (frame-iommufd.ts). */
export function iommufdSwitches(variant: string): Readonly<IommufdSwitches> {
  return variantSwitches(VARIANTS, variant);
}

function create(env: DriverEnv, cfg: ImporterConfig, exp: ExporterInstance): ImporterInstance {
  const { k, rt } = env;
  const sw = variantSwitches(VARIANTS, cfg.variant);
  const b = importerBase(env, cfg.id, exp);
  const { buf, dev } = b;
  const pagesMutex = newMutex(rt, `${dev}.pages.mutex`, 'iopt_pages.mutex');
  const st = { a: null as DmaBufAttachment | null, pinned: false, iova: null as IommuMapping | null, revoked: false, iovas: 0 };
  /** D-IOMMUFD-1: `[v2,landed]` pin after attach (the patch was dropped in v3). */
  const pins = !sw.noPin && isVersion(k, 'v2', 'landed');

  /**
   * D-IOMMUFD-2 revoke_notify (resv held): unmap every domain synchronously, permanently.
   * Another attachment of this device (a `call` attach) has pages of its own, not these.
   */
  function* revokeNotify(kk: Kernel, a: DmaBufAttachment): Proc {
    if (a.importerPriv !== st) return;
    yield* mutexLock(kk.rt, pagesMutex);
    if (!st.revoked) {
      if (st.iova?.present) yield* iommuUnmap(st.iova);
      st.revoked = true;
    }
    yield* mutexUnlock(kk.rt, pagesMutex);
  }
  const ops: DmaBufAttachOps = { allowPeer2peer: true, invalidateMappings: revokeNotify };

  function* doImport(): Proc<number> {
    if (st.a) return -ERRNO.EBUSY;
    const a = yield* getAndAttach(b, exp, dev, ops, st);
    if (typeof a === 'number') return a;
    yield* dmaResvLock(k, buf.resv);
    if (pins) {
      const r = yield* dmaBufPin(k, a);
      if (r < 0) return yield* undo(a, r, false);
    }
    const region = exp.privateMap ? yield* exp.privateMap(a) : -ERRNO.EOPNOTSUPP;
    if (typeof region === 'number') return yield* undo(a, region, pins);
    st.pinned = pins;
    yield* dmaResvUnlock(k, buf.resv);
    st.a = a;
    yield* mutexLock(rt, pagesMutex);
    if (!st.revoked) st.iova = yield* iommuMap(rt, dev, region, ++st.iovas);
    yield* mutexUnlock(rt, pagesMutex);
    return 0;
  }

  /** Import failure after attach (resv held): unpin if pinned, unlock, detach, put. */
  function* undo(a: DmaBufAttachment, err: number, pinned: boolean): Proc<number> {
    if (pinned) yield* dmaBufUnpin(k, a);
    yield* dmaResvUnlock(k, buf.resv);
    yield* detachAndPut(b, a);
    return err;
  }

  /** Device DMA through the IOVA: faults in the IOMMU once the range is unmapped. */
  function* doDma(count: number, write: boolean): Proc<number> {
    if (!st.iova) return -ERRNO.ENODEV;
    for (let i = 0; i < count; i++) yield* submitPrivate(b, { table: null, iova: st.iova, write });
    return 0;
  }

  /** D-IOMMUFD-5: unmap the IOVA first, then unpin under resv, detach, put. */
  function* doRelease(): Proc<number> {
    const a = st.a;
    if (!a) return -ERRNO.ENOENT;
    yield* mutexLock(rt, pagesMutex);
    if (st.iova?.present) yield* iommuUnmap(st.iova);
    yield* mutexUnlock(rt, pagesMutex);
    if (st.pinned && !sw.noUnpin) {
      if (sw.unpinUnlocked) yield* dmaBufUnpin(k, a);
      else {
        yield* dmaResvLock(k, buf.resv);
        yield* dmaBufUnpin(k, a);
        yield* dmaResvUnlock(k, buf.resv);
      }
    }
    return yield* detachAndPut(b, a, () => { st.a = null; });
  }

  env.background(`${dev}-engine`, () => engineThread(k, b.engine));
  return importDmaRelease(b, dev, ops, { doImport, doDma, doRelease });
}

export const iommufd: ImporterDriver = {
  name: 'iommufd',
  role: 'importer',
  description: 'pinning importer of VFIO dma-bufs into I/O page tables; revoke unmaps the IOVA synchronously, permanently',
  source: 'linux: drivers/iommu/iommufd/pages.c (iopt_map_dmabuf, iopt_revoke_notify)',
  variants: VARIANTS,
  ops: ['import', 'dma', 'release'],
  keys: [],
  dynamic: true,
  create,
};
