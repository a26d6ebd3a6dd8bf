/**
 * Pin, map, unmap and invalidate (rule book R36-R43).
 */
import { callEntry, OpKind, type Proc } from '../sim/op.ts';
import { dmaBufAttachmentIsDynamic } from './attach.ts';
import type { DmaBuf, DmaBufAttachment, DmaDataDirection, SgTable } from './dma-buf.ts';
import { dmaBufIsDynamic } from './dma-buf.ts';
import { ERRNO } from './errno.ts';
import { MAX_SCHEDULE_TIMEOUT } from './fence.ts';
import { isVersion, warn, type Kernel } from './kernel.ts';
import { dmaResvAssertHeld, dmaResvAssertNotHeld, dmaResvLock, dmaResvUnlock, dmaResvWaitTimeout, DmaResvUsage } from './resv.ts';

/** S17: whether the core pins for this attachment around each mapping. */
export function pinOnMap(k: Kernel, a: DmaBufAttachment): boolean {
  if (!dmaBufIsDynamic(a.dmabuf)) return false;
  if (!dmaBufAttachmentIsDynamic(a)) return true;
  return isVersion(k, 'pre', 'v2') && !k.configMoveNotify;
}

/** R36: resv held; counts a pin on success. Static attachments WARN but proceed. */
export function* dmaBufPin(k: Kernel, a: DmaBufAttachment): Proc<number> {
  if (!dmaBufAttachmentIsDynamic(a)) warn(k, 'R36', `dma_buf_pin(${a.name}) on a static attachment`);
  dmaResvAssertHeld(k, a.dmabuf.resv, 'dma_buf_pin');
  yield callEntry('dma_buf_pin', a.name);
  const r = a.dmabuf.ops.pin ? yield* a.dmabuf.ops.pin(k, a) : 0;
  if (r === 0) a.pins++;
  return r;
}

/** R37: resv held; unpinning what is not pinned is api-misuse. */
export function* dmaBufUnpin(k: Kernel, a: DmaBufAttachment): Proc {
  if (!dmaBufAttachmentIsDynamic(a)) warn(k, 'R37', `dma_buf_unpin(${a.name}) on a static attachment`);
  dmaResvAssertHeld(k, a.dmabuf.resv, 'dma_buf_unpin');
  yield callEntry('dma_buf_unpin', a.name);
  if (a.dmabuf.ops.unpin) yield* a.dmabuf.ops.unpin(k, a);
  if (a.pins <= 0) k.rt.report('api-misuse', 'R37', `dma_buf_unpin(${a.name}) without a pin`);
  else a.pins--;
}

/**
 * R38: dma_buf_map_attachment, resv held. Pins first for pin_on_map (S17), waits KERNEL
 * fences for static attachments; a failure undoes the pin (R57). Returns the table or a
 * negative errno. Dynamic importers get the table without a fence wait (R42).
 */
export function* dmaBufMapAttachment(k: Kernel, a: DmaBufAttachment, dir: DmaDataDirection): Proc<SgTable | number> {
  const buf = a.dmabuf;
  dmaResvAssertHeld(k, buf.resv, 'dma_buf_map_attachment');
  yield callEntry('dma_buf_map_attachment', a.name);
  const pom = pinOnMap(k, a);
  if (pom && buf.ops.pin) {
    const r = yield* buf.ops.pin(k, a);
    if (r === -ERRNO.EBUSY) warn(k, 'R38', `pin of ${a.name} returned -EBUSY`);
    if (r < 0) return r;
  }
  const sgt = yield* buf.ops.mapDmaBuf(k, a, dir);
  if (typeof sgt === 'number') {
    if (pom && buf.ops.unpin) yield* buf.ops.unpin(k, a);
    return sgt;
  }
  if (!dmaBufAttachmentIsDynamic(a)) {
    const w = yield* dmaResvWaitTimeout(k, buf.resv, DmaResvUsage.KERNEL, MAX_SCHEDULE_TIMEOUT);
    if (w < 0) {
      yield* buf.ops.unmapDmaBuf(k, a, sgt, dir);
      if (pom && buf.ops.unpin) yield* buf.ops.unpin(k, a);
      return w;
    }
  }
  if (pom) a.pinnedOnMap++;
  yield { kind: OpKind.Write, obj: a.id, write: true, label: 'mapped', detail: `${a.name} ${sgt.name}`, apply: () => { a.mappings.add(sgt); } };
  return sgt;
}

/** R39: takes the resv around R38. */
export function* dmaBufMapAttachmentUnlocked(k: Kernel, a: DmaBufAttachment, dir: DmaDataDirection): Proc<SgTable | number> {
  dmaResvAssertNotHeld(k, a.dmabuf.resv, 'dma_buf_map_attachment_unlocked', 'R39');
  yield* dmaResvLock(k, a.dmabuf.resv);
  const r = yield* dmaBufMapAttachment(k, a, dir);
  yield* dmaResvUnlock(k, a.dmabuf.resv);
  return r;
}

/** R40: resv held; `sgt` must be a live mapping of `a` (a double unmap is api-misuse). */
export function* dmaBufUnmapAttachment(k: Kernel, a: DmaBufAttachment, sgt: SgTable, dir: DmaDataDirection): Proc {
  const buf = a.dmabuf;
  dmaResvAssertHeld(k, buf.resv, 'dma_buf_unmap_attachment');
  if (!a.mappings.has(sgt)) {
    k.rt.report('api-misuse', 'R40', `dma_buf_unmap_attachment(${a.name}, ${sgt.name}): not a live mapping of this attachment`);
    return;
  }
  yield {
    kind: OpKind.Write, obj: a.id, write: true, also: [sgt.id], label: 'dma_buf_unmap_attachment', detail: `${a.name} ${sgt.name}`,
    apply: () => { a.mappings.delete(sgt); sgt.live = false; },
  };
  yield* buf.ops.unmapDmaBuf(k, a, sgt, dir);
  if (a.pinnedOnMap > 0) {
    a.pinnedOnMap--;
    if (buf.ops.unpin) yield* buf.ops.unpin(k, a);
  }
}

/** R41 */
export function* dmaBufUnmapAttachmentUnlocked(k: Kernel, a: DmaBufAttachment, sgt: SgTable, dir: DmaDataDirection): Proc {
  dmaResvAssertNotHeld(k, a.dmabuf.resv, 'dma_buf_unmap_attachment_unlocked', 'R41');
  yield* dmaResvLock(k, a.dmabuf.resv);
  yield* dmaBufUnmapAttachment(k, a, sgt, dir);
  yield* dmaResvUnlock(k, a.dmabuf.resv);
}

/** The core entry point's name in the selected version. */
export function invalidateName(k: Kernel): string {
  return isVersion(k, 'landed') ? 'dma_buf_invalidate_mappings' : 'dma_buf_move_notify';
}

/** The importer callback's name in the selected version (S14). */
export function callbackName(k: Kernel): string {
  return isVersion(k, 'pre') ? 'move_notify' : 'invalidate_mappings';
}

/**
 * R43: resv held. Calls each dynamic attachment's callback in list order (newest first),
 * synchronously in the caller's thread; static attachments and `[landed]` attachments
 * without a callback are skipped and told nothing. Importers may still access the memory
 * when it returns (RV5).
 */
export function* dmaBufInvalidateMappings(k: Kernel, buf: DmaBuf): Proc {
  dmaResvAssertHeld(k, buf.resv, invalidateName(k));
  yield callEntry(invalidateName(k), buf.name);
  for (const a of [...buf.attachments]) {
    const cb = a.importerOps?.invalidateMappings;
    if (!cb) continue;
    yield callEntry(callbackName(k), a.name);
    yield* cb(k, a);
  }
}
