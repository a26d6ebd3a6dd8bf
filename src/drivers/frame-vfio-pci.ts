/**
 * vfio-pci dma-buf exporter of a PCI BAR (rule book §5.1, D-VFIO-*) in the compiled
 * function* subset, the data-world form of vfio-pci.ts: the same steps, events and
 * violations, its private state a `VfioPriv` object and its switches `k.env.vfio.sw`.
 * (linux: drivers/vfio/pci/vfio_pci_dmabuf.c, vfio_pci_config.c, vfio_pci_core.c)
 * `npm run frames` compiles this file to frame-vfio-pci.frames.ts.
 */
import { sched, type FrameProc } from '../sim/frame-ops.ts';
import { simReport } from '../sim/frame-sim.ts';
import { complete } from '../sim/frame-completion.ts';
import { structAlloc, type Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import { isVersion } from '../kernel/frame-kernel.ts';
import { type DmaBuf, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import { devName, dmaBufAttachRevocable } from '../kernel/frame-attach.ts';
import { regionMapTable, regionName, regionUnmapTable, type MemRegion } from '../hw/frame-region.ts';
import { revokesSoFar, type RevokeTracker } from '../hw/frame-oracle.ts';
import type { DriverCtx } from './frame-env.ts';

/** The driver's private state of its one buffer (vfio-pci.ts VfioPriv). */
export interface VfioPriv {
  revoked: boolean;
  /** `[landed]` 1 + live maps */
  kref: number;
  /** `[landed]` move(true) dropped the initial kref and waited: cleanup must not again */
  drained: boolean;
  /** cleanup ran: the device registration is gone (D-VFIO-7) */
  cleanedUp: boolean;
}

export function priv(k: DriverCtx): Ref<VfioPriv> {
  return k.env.vfio.priv as Ref<VfioPriv>;
}

export function bar(k: DriverCtx): Ref<MemRegion> {
  return k.env.vfio.bar as Ref<MemRegion>;
}

export function buffer(k: DriverCtx): Ref<DmaBuf> {
  return k.env.vfio.buf as Ref<DmaBuf>;
}

export function tracker(k: DriverCtx): Ref<RevokeTracker> {
  return k.env.vfio.tracker as Ref<RevokeTracker>;
}

/** An event whose detail names the BAR, `suffix` after it. */
export function barEvent(k: DriverCtx, label: string, suffix: string): void {
  if (k.out.records) k.out.event(k.tid, label, `${regionName(k, bar(k))}${suffix}`);
}

/** A call event whose detail names device `a`. */
export function callEvent(k: DriverCtx, fn: string, a: Ref<DmaBufAttachment>): void {
  if (k.out.records) k.out.event(k.tid, fn, devName(k, a));
}

/** Who drops a kref: an unmap by `a`, the revoke, or cleanup (`a` 0). */
export function krefWho(k: DriverCtx, a: Ref<DmaBufAttachment>, cleanup: boolean): string {
  return a !== 0 ? `unmap by ${devName(k, a)}` : cleanup ? 'cleanup' : 'revoke';
}

/** kref_put (one step): the release function completes the completion (D-VFIO-4, D-VFIO-6). */
export function* krefPut(k: DriverCtx, a: Ref<DmaBufAttachment>, cleanup: boolean): FrameProc {
  const p = priv(k);
  yield sched();
  barEvent(k, 'kref_put', ` dma-buf (${krefWho(k, a, cleanup)})`);
  if (p.kref <= 0) {
    simReport(k, 'api-misuse', 'P7', `vfio-pci kref of ${regionName(k, bar(k))} dma-buf drops below zero (${krefWho(k, a, cleanup)})`);
    return;
  }
  p.kref--;
  if (p.kref === 0) yield* complete(k, k.env.vfio.comp);
}

export function* krefGet(k: DriverCtx): FrameProc {
  const p = priv(k);
  yield sched();
  barEvent(k, 'kref_get', ' dma-buf');
  if (p.kref === 0) simReport(k, 'api-misuse', 'P7', `vfio-pci kref of ${regionName(k, bar(k))} dma-buf incremented from zero`);
  p.kref++;
}

/** P4: a map (`what`: map_dma_buf, iommufd private map) that succeeds while `revoked` is set. */
export function checkNotRevoked(k: DriverCtx, a: Ref<DmaBufAttachment>, what: string): void {
  if (priv(k).revoked) simReport(k, 'access-after-revoke', 'P4', `vfio-pci ${what} for ${devName(k, a)} succeeds while the buffer is revoked`);
}

/** R45 as the seed's inline dma_buf_attachment_is_revoke computed it (R45 `[v2]`). */
export function revocableV2(k: DriverCtx, a: Ref<DmaBufAttachment>): boolean {
  return k.env.kernel.configMoveNotify && a.importerOps !== 0 && k.env.kernel.importers[a.importerOps - 1]!.invalidate >= 0;
}

/** D-VFIO-2, resv free: p2p required, refused while revoked, `[v3,landed]` R45 at attach. */
export function* vfioAttach(k: DriverCtx, buf: Ref<DmaBuf>, a: Ref<DmaBufAttachment>): FrameProc<number> {
  callEvent(k, 'vfio_pci_dma_buf_attach', a);
  if (!a.peer2peer) return -ERRNO.EOPNOTSUPP;
  yield sched();
  barEvent(k, 'read revoked', '');
  if (priv(k).revoked) return -ERRNO.ENODEV;
  if (!k.env.vfio.sw.acceptsNonRevocable && (isVersion(k, 'v3') || isVersion(k, 'landed')) && !dmaBufAttachRevocable(k, a)) return -ERRNO.EOPNOTSUPP;
  return 0;
}

/** A new table of `a`'s device onto the BAR (its name counts the device's tables). */
export function newBarTable(k: DriverCtx, a: Ref<DmaBufAttachment>, dir: number): Ref<SgTable> {
  const pool = k.env.imps[a.dev]!.tables;
  const t = structAlloc(k.s, pool) as Ref<SgTable>;
  if (t === 0) throw new Error(`model bug: table pool ${pool.name} is full (${pool.cap})`);
  t.attachment = a;
  t.dir = dir;
  t.live = true;
  t.seq = (t - pool.base) / pool.width + 1;
  t.epoch = bar(k).epoch;
  t.revokesBefore = revokesSoFar(k, tracker(k));
  return t;
}

/** D-VFIO-3, resv held: -ENODEV while revoked; `[landed]` kref += 1. */
export function* vfioMap(k: DriverCtx, a: Ref<DmaBufAttachment>, dir: number): FrameProc<number> {
  if (priv(k).revoked && !k.env.vfio.sw.noRevokedCheck) return -ERRNO.ENODEV;
  checkNotRevoked(k, a, 'map_dma_buf');
  if (isVersion(k, 'landed')) yield* krefGet(k);
  return yield* regionMapTable(k, bar(k), newBarTable(k, a, dir));
}

/**
 * D-VFIO-5, resv held: the private map iommufd calls instead of R38. Returns the BAR
 * (its physical range), or -ENODEV while revoked.
 */
export function vfioPrivateMap(k: DriverCtx, a: Ref<DmaBufAttachment>): number {
  callEvent(k, 'vfio_pci_dma_buf_iommufd_map', a);
  if (priv(k).revoked && !k.env.vfio.sw.noRevokedCheck) return -ERRNO.ENODEV;
  checkNotRevoked(k, a, 'iommufd private map');
  return bar(k);
}

/** D-VFIO-4, resv held: `[landed]` kref -= 1, completing at 0. */
export function* vfioUnmap(k: DriverCtx, a: Ref<DmaBufAttachment>, sgt: Ref<SgTable>, dir: number): FrameProc {
  yield* regionUnmapTable(k, bar(k), sgt);
  if (isVersion(k, 'landed')) yield* krefPut(k, a, false);
}

export function* vfioRelease(k: DriverCtx, buf: Ref<DmaBuf>): FrameProc {
  if (k.out.records) k.out.event(k.tid, 'vfio_pci_dma_buf_release', '');
}

/** D-VFIO-1: `[pre,v3]` / 61ceaf23 refuse every pin; `[v2]` pins iff R45`[v2]`. */
export function* vfioPin(k: DriverCtx, a: Ref<DmaBufAttachment>): FrameProc<number> {
  callEvent(k, 'vfio_pci_dma_buf_pin', a);
  return k.env.vfio.sw.pin === 2 && revocableV2(k, a) ? 0 : -ERRNO.EOPNOTSUPP;
}

export function* vfioUnpin(k: DriverCtx, a: Ref<DmaBufAttachment>): FrameProc {
  callEvent(k, 'vfio_pci_dma_buf_unpin', a);
}

/** P5: a revoking exporter must not hold a non-revocable attachment (`begins`: at revoke, else at attach). */
export function checkRevocable(k: DriverCtx, buf: Ref<DmaBuf>, begins: boolean): void {
  if (!isVersion(k, 'v3') && !isVersion(k, 'landed')) return;
  let a = buf.attachments;
  while (a !== 0) {
    if (!dmaBufAttachRevocable(k, a)) {
      simReport(k, 'non-revocable-attach', 'P5', `vfio-pci holds ${devName(k, a)}'s attachment, which cannot be revoked (${begins ? 'revoke begins' : 'attach completed'})`);
    }
    a = a.next;
  }
}

/** The exporter's observer of a completed attach (FrameKernel exporters' `attached`). */
export function vfioAttached(k: DriverCtx, buf: Ref<DmaBuf>, a: Ref<DmaBufAttachment>): void {
  checkRevocable(k, buf, false);
}

/** P6 at the end of an execution: `[landed]` an unrevoked buffer's kref is back at 1. */
export function vfioAtEnd(k: DriverCtx): void {
  const p = priv(k);
  if (isVersion(k, 'landed') && !p.revoked && p.kref !== 1) simReport(k, 'leak', 'P6', `vfio-pci kref of BAR0 dma-buf is ${p.kref} at the end, expected 1`);
}

