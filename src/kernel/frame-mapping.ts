/**
 * Map, unmap and invalidate (rule book R38-R43) in the compiled function* subset,
 * the data-world form of kernel/mapping.ts. The exporter's ops and the importers'
 * invalidate callbacks are function ids, called with `invoke`; a map op returns a table
 * reference (> 0) or a negative errno.
 */
import { invoke, sched, type FrameProc } from '../sim/frame-ops.ts';
import { simReport } from '../sim/frame-sim.ts';
import type { Ref } from '../sim/struct.ts';
import { ERRNO } from './errno.ts';
import { attachmentEvent, attachmentName, dmaBufAttachmentIsDynamic, invalidateOp } from './frame-attach.ts';
import { bufEvent, tableName, type DmaBuf, type DmaBufAttachment, type SgTable } from './frame-dma-buf.ts';
import { MAX_SCHEDULE_TIMEOUT } from './frame-fence.ts';
import { isVersion, warn, type KernelCtx } from './frame-kernel.ts';
import { exporterOps, pinOnMap } from './frame-pin.ts';
import { dmaResvAssertHeld, dmaResvAssertNotHeld, dmaResvLock, dmaResvUnlock, dmaResvWaitTimeout, KERNEL } from './frame-resv.ts';

/**
 * R38: dma_buf_map_attachment, resv held. Pins first for pin_on_map (S17), waits KERNEL
 * fences for static attachments; a failure undoes the pin (R57). Returns the table or a
 * negative errno. Dynamic importers get the table without a fence wait (R42).
 */
export function* dmaBufMapAttachment(k: KernelCtx, a: Ref<DmaBufAttachment>, dir: number): FrameProc<number> {
  const buf = a.dmabuf;
  dmaResvAssertHeld(k, buf.resv, 'dma_buf_map_attachment');
  attachmentEvent(k, 'dma_buf_map_attachment', a);
  const pom = pinOnMap(k, a);
  const pin = exporterOps(k, a).pin;
  const unpin = exporterOps(k, a).unpin;
  if (pom && pin >= 0) {
    const r = yield* invoke(k, pin, a);
    if (r === -ERRNO.EBUSY) warn(k, 'R38', `pin of ${attachmentName(k, a)} returned -EBUSY`);
    if (r < 0) return r;
  }
  // the table, or a negative errno
  const sgt: Ref<SgTable> | number = yield* invoke(k, exporterOps(k, a).map, a, dir);
  if (sgt < 0) {
    if (pom && unpin >= 0) yield* invoke(k, unpin, a);
    return sgt;
  }
  if (!dmaBufAttachmentIsDynamic(k, a)) {
    const w = yield* dmaResvWaitTimeout(k, buf.resv, KERNEL, MAX_SCHEDULE_TIMEOUT);
    if (w < 0) {
      yield* invoke(k, exporterOps(k, a).unmap, a, sgt, dir);
      if (pom && unpin >= 0) yield* invoke(k, unpin, a);
      return w;
    }
  }
  if (pom) a.pinnedOnMap++;
  yield sched();
  if (k.out.records) k.out.event(k.tid, 'mapped', `${attachmentName(k, a)} ${tableName(k, sgt as Ref<SgTable>)}`);
  markMapped(k, a, sgt as Ref<SgTable>);
  return sgt;
}

export function markMapped(k: KernelCtx, a: Ref<DmaBufAttachment>, sgt: Ref<SgTable>): void {
  if (!sgt.mapped) a.mappings++;
  sgt.mapped = true;
}

/** R39: takes the resv around R38. */
export function* dmaBufMapAttachmentUnlocked(k: KernelCtx, a: Ref<DmaBufAttachment>, dir: number): FrameProc<number> {
  dmaResvAssertNotHeld(k, a.dmabuf.resv, 'dma_buf_map_attachment_unlocked', 'R39');
  yield* dmaResvLock(k, a.dmabuf.resv);
  const r = yield* dmaBufMapAttachment(k, a, dir);
  yield* dmaResvUnlock(k, a.dmabuf.resv);
  return r;
}

/** R40: resv held; `sgt` must be a live mapping of `a` (a double unmap is api-misuse). */
export function* dmaBufUnmapAttachment(k: KernelCtx, a: Ref<DmaBufAttachment>, sgt: Ref<SgTable>, dir: number): FrameProc {
  const buf = a.dmabuf;
  dmaResvAssertHeld(k, buf.resv, 'dma_buf_unmap_attachment');
  if (sgt.attachment !== a || !sgt.mapped) {
    simReport(k, 'api-misuse', 'R40', `dma_buf_unmap_attachment(${attachmentName(k, a)}, ${tableName(k, sgt)}): not a live mapping of this attachment`);
    return;
  }
  yield sched();
  if (k.out.records) k.out.event(k.tid, 'dma_buf_unmap_attachment', `${attachmentName(k, a)} ${tableName(k, sgt)}`);
  sgt.mapped = false;
  sgt.live = false;
  a.mappings--;
  yield* invoke(k, exporterOps(k, a).unmap, a, sgt, dir);
  if (a.pinnedOnMap > 0) {
    a.pinnedOnMap--;
    if (exporterOps(k, a).unpin >= 0) yield* invoke(k, exporterOps(k, a).unpin, a);
  }
}

/** R41 */
export function* dmaBufUnmapAttachmentUnlocked(k: KernelCtx, a: Ref<DmaBufAttachment>, sgt: Ref<SgTable>, dir: number): FrameProc {
  dmaResvAssertNotHeld(k, a.dmabuf.resv, 'dma_buf_unmap_attachment_unlocked', 'R41');
  yield* dmaResvLock(k, a.dmabuf.resv);
  yield* dmaBufUnmapAttachment(k, a, sgt, dir);
  yield* dmaResvUnlock(k, a.dmabuf.resv);
}

/** The core entry point's name in the selected version. */
export function invalidateName(k: KernelCtx): string {
  return isVersion(k, 'landed') ? 'dma_buf_invalidate_mappings' : 'dma_buf_move_notify';
}

/** The importer callback's name in the selected version (S14). */
export function importerCallbackName(k: KernelCtx): string {
  return isVersion(k, 'pre') ? 'move_notify' : 'invalidate_mappings';
}

/**
 * R43: resv held. Calls each dynamic attachment's callback in list order (newest first),
 * synchronously in the caller's thread; static attachments and `[landed]` attachments
 * without a callback are skipped and told nothing. The list cannot change meanwhile (its
 * changes take the resv the caller holds), so the next entry is read before each callback.
 */
export function* dmaBufInvalidateMappings(k: KernelCtx, buf: Ref<DmaBuf>): FrameProc {
  dmaResvAssertHeld(k, buf.resv, invalidateName(k));
  bufEvent(k, invalidateName(k), buf, '');
  let a = buf.attachments;
  while (a !== 0) {
    const next = a.next;
    const cb = invalidateOp(k, a);
    if (cb >= 0) {
      attachmentEvent(k, importerCallbackName(k), a);
      yield* invoke(k, cb, a);
    }
    a = next;
  }
}
