/**
 * Pins (rule book S17, R36-R37) in the compiled function* subset, the data-world form of
 * the pin half of kernel/mapping.ts: a pin keeps a dynamic exporter's buffer where it
 * is; pin-on-map is the core pinning around each mapping for an importer that cannot
 * take an invalidation.
 */
import { invoke, type FrameProc } from '../sim/frame-ops.ts';
import { simReport } from '../sim/frame-sim.ts';
import type { Ref } from '../sim/struct.ts';
import { attachmentEvent, attachmentName, dmaBufAttachmentIsDynamic } from './frame-attach.ts';
import { dmaBufIsDynamic, type DmaBufAttachment } from './frame-dma-buf.ts';
import { isVersion, warn, type ExporterOpsTable, type KernelCtx } from './frame-kernel.ts';
import { dmaResvAssertHeld } from './frame-resv.ts';

/** The op table of the exporter of `a`'s buffer. */
export function exporterOps(k: KernelCtx, a: Ref<DmaBufAttachment>): ExporterOpsTable {
  return k.env.kernel.exporters[a.dmabuf.ops]!;
}

/** S17: whether the core pins for this attachment around each mapping. */
export function pinOnMap(k: KernelCtx, a: Ref<DmaBufAttachment>): boolean {
  if (!dmaBufIsDynamic(k, a.dmabuf)) return false;
  if (!dmaBufAttachmentIsDynamic(k, a)) return true;
  return (isVersion(k, 'pre') || isVersion(k, 'v2')) && !k.env.kernel.configMoveNotify;
}

/** R36: resv held; counts a pin on success. Static attachments WARN but proceed. */
export function* dmaBufPin(k: KernelCtx, a: Ref<DmaBufAttachment>): FrameProc<number> {
  if (!dmaBufAttachmentIsDynamic(k, a)) warn(k, 'R36', `dma_buf_pin(${attachmentName(k, a)}) on a static attachment`);
  dmaResvAssertHeld(k, a.dmabuf.resv, 'dma_buf_pin');
  attachmentEvent(k, 'dma_buf_pin', a);
  let r = 0;
  if (exporterOps(k, a).pin >= 0) r = yield* invoke(k, exporterOps(k, a).pin, a);
  if (r === 0) a.pins++;
  return r;
}

/** R37: resv held; unpinning what is not pinned is api-misuse. */
export function* dmaBufUnpin(k: KernelCtx, a: Ref<DmaBufAttachment>): FrameProc {
  if (!dmaBufAttachmentIsDynamic(k, a)) warn(k, 'R37', `dma_buf_unpin(${attachmentName(k, a)}) on a static attachment`);
  dmaResvAssertHeld(k, a.dmabuf.resv, 'dma_buf_unpin');
  attachmentEvent(k, 'dma_buf_unpin', a);
  if (exporterOps(k, a).unpin >= 0) yield* invoke(k, exporterOps(k, a).unpin, a);
  if (a.pins <= 0) simReport(k, 'api-misuse', 'R37', `dma_buf_unpin(${attachmentName(k, a)}) without a pin`);
  else a.pins--;
}
