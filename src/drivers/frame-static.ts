/**
 * static legacy importer without importer ops (rule book §5.7, D-STATIC) in the compiled
 * function* subset, the data-world form of static.ts: R34 attach, R39 map at import (the
 * core pins for it on a dynamic exporter and waits for the KERNEL fences), never notified,
 * the mapping held until its own release. Its state is a `StaticImporter`; its transfers'
 * fences come from its own pool, so "the fences since the last release" is a seqno range.
 * (linux: drivers/dma-buf/dma-buf.c:dma_buf_attach)
 * `npm run frames` compiles this file to frame-static.frames.ts.
 */
import type { FrameProc } from '../sim/frame-ops.ts';
import type { ImpIdx, Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import { DMA_BIDIRECTIONAL, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import { dmaBufMapAttachmentUnlocked, dmaBufUnmapAttachmentUnlocked } from '../kernel/frame-mapping.ts';
import type { IommuMapping } from '../hw/frame-iommu.ts';
import { detachAndPut, getAndAttach, submitPrivate, waitFences } from './frame-importer.ts';
import { buffer } from './frame-vfio-pci.ts';
import { type DriverCtx } from './frame-env.ts';

/** One importer's state (static.ts `st` and its job list). */
export interface StaticImporter {
  /** the attachment while imported, else 0 */
  a: Ref<DmaBufAttachment>;
  /** the table mapped at import, 0 when none */
  table: Ref<SgTable>;
  /** seqno of the first transfer fence not yet waited for by a release */
  jobFrom: number;
  /** transfer fences made so far (the pool's next seqno - 1) */
  fences: number;
}

export function staticImporter(k: DriverCtx, imp: ImpIdx): Ref<StaticImporter> {
  return k.env.imps[imp]!.st as Ref<StaticImporter>;
}

export function* doImport(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = staticImporter(k, imp);
  const buf = buffer(k);
  if (st.a !== 0) return -ERRNO.EBUSY;
  const g = yield* getAndAttach(k, buf, imp, st);
  if (g < 0) return g;
  const a = k.env.imps[imp]!.attachment as Ref<DmaBufAttachment>;
  const t: Ref<SgTable> | number = yield* dmaBufMapAttachmentUnlocked(k, a, DMA_BIDIRECTIONAL);
  if (t < 0) {
    yield* detachAndPut(k, buf, a);
    return t;
  }
  st.a = a;
  st.table = t as Ref<SgTable>;
  return 0;
}

export function* doDma(k: DriverCtx, imp: ImpIdx, count: number, write: boolean): FrameProc<number> {
  const st = staticImporter(k, imp);
  if (st.table === 0) return -ERRNO.ENOENT;
  let i = 0;
  while (i < count) {
    i++;
    st.fences++;
    yield* submitPrivate(k, imp, st.fences, st.table, 0 as Ref<IommuMapping>, -1, write);
  }
  return 0;
}

/** Waits for its own transfers, then R41, R35, put. */
export function* doRelease(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = staticImporter(k, imp);
  const a = st.a;
  if (a === 0) return -ERRNO.ENOENT;
  yield* waitFences(k, imp, st.jobFrom, st.fences);
  st.jobFrom = st.fences + 1;
  if (st.table !== 0) yield* dmaBufUnmapAttachmentUnlocked(k, a, st.table, DMA_BIDIRECTIONAL);
  yield* detachAndPut(k, buffer(k), a);
  st.a = 0 as Ref<DmaBufAttachment>;
  st.table = 0 as Ref<SgTable>;
  return 0;
}
