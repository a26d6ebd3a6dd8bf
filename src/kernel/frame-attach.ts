/**
 * Attach and detach (rule book R33-R35) and the revocability query (R45) in the compiled
 * function* subset, the data-world form of kernel/attach.ts. The importer owns its
 * attachment object and passes it in; attach fills it in and lists it.
 */
import { invoke, type FrameProc } from '../sim/frame-ops.ts';
import { simReport } from '../sim/frame-sim.ts';
import type { AnyRef, ImpContext, ImpIdx, Ref } from '../sim/struct.ts';
import { ERRNO } from './errno.ts';
import { bufName, dmaBufCheckAlive, dmaBufIsDynamic, type DmaBuf, type DmaBufAttachment } from './frame-dma-buf.ts';
import { isVersion, warn, type KernelCtx } from './frame-kernel.ts';
import { dmaResvAssertNotHeld, dmaResvLock, dmaResvUnlock } from './frame-resv.ts';

export function attachmentName(k: KernelCtx, a: Ref<DmaBufAttachment>): string {
  return k.env.kernel.attachmentName(k.s, a);
}

export function devName(k: KernelCtx, a: Ref<DmaBufAttachment>): string {
  return k.env.kernel.devName(k.s, a);
}

/**
 * A kernel function entered on attachment `a` (the generator form's callEntry): its
 * detail the attachment's name, built only when the sink records (not in a search).
 */
export function attachmentEvent(k: KernelCtx, fn: string, a: Ref<DmaBufAttachment>): void {
  if (k.out.records) k.out.event(k.tid, fn, attachmentName(k, a));
}

/** A kernel function entered on `buf` for `a`'s device: `buf dev`, built only when the sink records. */
export function bufDevEvent(k: KernelCtx, fn: string, buf: Ref<DmaBuf>, a: Ref<DmaBufAttachment>): void {
  if (k.out.records) k.out.event(k.tid, fn, `${bufName(k, buf)} ${devName(k, a)}`);
}

/** The importer's invalidate callback's function id, or -1 when it has none (or is static). */
export function invalidateOp(k: KernelCtx, a: Ref<DmaBufAttachment>): number {
  return a.importerOps === 0 ? -1 : k.env.kernel.importers[a.importerOps - 1]!.invalidate;
}

/**
 * R33: dma_buf_dynamic_attach (R34 with `importerOps` 0) of the importer's object `a`.
 * Calls the exporter's attach op with the resv free, then inserts the attachment at the
 * list head under the resv: between the two is a yield point (RV10, B16). Returns 0 or a
 * negative errno; a refused attachment was never listed.
 */
export function* dmaBufDynamicAttach(k: KernelCtx, buf: Ref<DmaBuf>, a: Ref<DmaBufAttachment>, importerOps: ImpContext, importerPriv: AnyRef, dev: ImpIdx): FrameProc<number> {
  dmaResvAssertNotHeld(k, buf.resv, attachFn(importerOps), importerOps !== 0 ? 'R33' : 'R34');
  dmaBufCheckAlive(k, buf, attachFn(importerOps));
  a.dev = dev;
  if (importerOps !== 0 && k.env.kernel.importers[importerOps - 1]!.invalidate < 0 && !isVersion(k, 'landed')) {
    warn(k, 'R33', `${attachFn(importerOps)}(${bufName(k, buf)}, ${devName(k, a)}): importer ops without ${isVersion(k, 'pre') ? 'move_notify' : 'invalidate_mappings'}`);
    return -ERRNO.EINVAL;
  }
  initAttachment(k, a, buf, importerOps, importerPriv);
  bufDevEvent(k, attachFn(importerOps), buf, a);
  const attach = k.env.kernel.exporters[buf.ops]!.attach;
  if (attach >= 0) {
    const r = yield* invoke(k, attach, buf, a);
    if (r < 0) return r;
  }
  yield* dmaResvLock(k, buf.resv);
  a.next = buf.attachments;
  buf.attachments = a;
  a.onList = true;
  attachedHook(k, buf, a);
  yield* dmaResvUnlock(k, buf.resv);
  return 0;
}

/** The entry point's name: dma_buf_attach for a static attachment (R34). */
export function attachFn(importerOps: number): string {
  return importerOps !== 0 ? 'dma_buf_dynamic_attach' : 'dma_buf_attach';
}

/** The fields of a fresh attachment (the generator form's new object); its device is set already. */
export function initAttachment(k: KernelCtx, a: Ref<DmaBufAttachment>, buf: Ref<DmaBuf>, importerOps: number, importerPriv: number): void {
  a.dmabuf = buf;
  a.importerOps = importerOps;
  a.importerPriv = importerPriv;
  a.next = 0 as Ref<DmaBufAttachment>;
  a.peer2peer = importerOps !== 0 && k.env.kernel.importers[importerOps - 1]!.allowPeer2peer;
  a.onList = false;
  a.pins = 0;
  a.mappings = 0;
  a.pinnedOnMap = 0;
  a.detached = false;
}

/** The exporter's model-only observer of a completed attach (P5), if it has one. */
export function attachedHook(k: KernelCtx, buf: Ref<DmaBuf>, a: Ref<DmaBufAttachment>): void {
  const hook = k.env.kernel.exporters[buf.ops]!.attached;
  if (hook) hook(k, buf, a);
}

/**
 * R35: unlinks under the resv, then calls the exporter's detach op with it free. A live
 * mapping or pin at this point is a leak of the exporter's resources (P6, P12).
 */
export function* dmaBufDetach(k: KernelCtx, buf: Ref<DmaBuf>, a: Ref<DmaBufAttachment>): FrameProc {
  dmaResvAssertNotHeld(k, buf.resv, 'dma_buf_detach', 'R35');
  if (a.dmabuf !== buf || a.detached) {
    warn(k, 'R35', `dma_buf_detach(${bufName(k, buf)}, ${attachmentName(k, a)}): ${a.detached ? 'already detached' : 'attachment of another buffer'}`);
    return;
  }
  bufDevEvent(k, 'dma_buf_detach', buf, a);
  yield* dmaResvLock(k, buf.resv);
  unlinkAttachment(k, buf, a);
  yield* dmaResvUnlock(k, buf.resv);
  const detach = k.env.kernel.exporters[buf.ops]!.detach;
  if (detach >= 0) yield* invoke(k, detach, buf, a);
  a.detached = true;
  if (a.pins > 0) simReport(k, 'leak', 'P12', `${devName(k, a)} detaches from ${bufName(k, buf)} with ${a.pins} pin(s) never unpinned`);
  if (a.mappings > 0) simReport(k, 'leak', 'R35', `${devName(k, a)} detaches from ${bufName(k, buf)} with ${a.mappings} live mapping(s)`);
}

/** Takes `a` off `buf`'s list (the others keep their order). */
export function unlinkAttachment(k: KernelCtx, buf: Ref<DmaBuf>, a: Ref<DmaBufAttachment>): void {
  if (buf.attachments === a) buf.attachments = a.next;
  else {
    let p = buf.attachments;
    while (p !== 0 && p.next !== a) p = p.next;
    if (p !== 0) p.next = a.next;
  }
  a.next = 0 as Ref<DmaBufAttachment>;
  a.onList = false;
}

/**
 * R45: whether the importer takes an invalidation at any time and unmaps in bounded time.
 * `[v2]` dma_buf_attachment_is_revoke; `[v3]` any callback but the sentinel; `[landed]` a
 * callback present. Before the series there is no such query: false.
 */
export function dmaBufAttachRevocable(k: KernelCtx, a: Ref<DmaBufAttachment>): boolean {
  if (invalidateOp(k, a) < 0) return false;
  if (isVersion(k, 'v2')) return k.env.kernel.configMoveNotify && dmaBufIsDynamic(k, a.dmabuf);
  if (isVersion(k, 'v3')) return !k.env.kernel.importers[a.importerOps - 1]!.unsupported;
  return isVersion(k, 'landed');
}

/**
 * `[v3]` dma_buf_unsupported_invalidate_mappings: the sentinel callback of importers that
 * cannot be invalidated (RDMA pinned); it only logs, and R45 treats it as absent.
 */
export function* dmaBufUnsupportedInvalidateMappings(k: KernelCtx, a: Ref<DmaBufAttachment>): FrameProc {
  if (k.out.records) k.out.event(k.tid, 'dma_buf_unsupported_invalidate_mappings', `${attachmentName(k, a)}: invalidate of an importer that cannot be invalidated (log only)`);
}

/** S15 / R46 */
export function dmaBufAttachmentIsDynamic(k: KernelCtx, a: Ref<DmaBufAttachment>): boolean {
  return a.importerOps !== 0;
}

