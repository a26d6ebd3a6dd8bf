/**
 * Attach and detach (rule book R33-R35) and the revocability query (R45).
 */
import { callEntry, OpKind, type Proc } from '../sim/op.ts';
import type { DmaBuf, DmaBufAttachment, DmaBufAttachOps } from './dma-buf.ts';
import { dmaBufCheckAlive, dmaBufIsDynamic } from './dma-buf.ts';
import { ERRNO } from './errno.ts';
import { isVersion, warn, type Kernel } from './kernel.ts';
import { dmaResvAssertNotHeld, dmaResvLock, dmaResvUnlock } from './resv.ts';

/**
 * R33: dma_buf_dynamic_attach (R34 with `importerOps` null). Calls the exporter's attach
 * op with the resv free, then inserts the attachment at the list head under the resv.
 * Between the two is a yield point: an invalidate running then misses it (RV10, B16).
 * Returns the attachment or a negative errno; a refused attachment was never listed.
 * `slot` is the object id the attachment's mapping changes write (an importer passes
 * its own, so that its device threads can watch it before the attachment exists).
 */
export function* dmaBufDynamicAttach(
  k: Kernel, buf: DmaBuf, dev: string, importerOps: DmaBufAttachOps | null, importerPriv: unknown, slot = -1,
): Proc<DmaBufAttachment | number> {
  const fn = importerOps ? 'dma_buf_dynamic_attach' : 'dma_buf_attach';
  dmaResvAssertNotHeld(k, buf.resv, fn, importerOps ? 'R33' : 'R34');
  dmaBufCheckAlive(k, buf, fn);
  if (importerOps && !importerOps.invalidateMappings && isVersion(k, 'pre', 'v2', 'v3')) {
    warn(k, 'R33', `${fn}(${buf.name}, ${dev}): importer ops without ${k.version === 'pre' ? 'move_notify' : 'invalidate_mappings'}`);
    return -ERRNO.EINVAL;
  }
  const a: DmaBufAttachment = {
    id: slot >= 0 ? slot : k.rt.newObject(`${buf.name}:${dev}`), name: `${dev}-attach`, dmabuf: buf, dev, importerOps, importerPriv,
    peer2peer: importerOps?.allowPeer2peer ?? false, onList: false, pins: 0, mappings: new Set(), pinnedOnMap: 0, detached: false,
  };
  yield callEntry(fn, `${buf.name} ${dev}`);
  if (buf.ops.attach) {
    const r = yield* buf.ops.attach(k, buf, a);
    if (r < 0) return r;
  }
  yield* dmaResvLock(k, buf.resv);
  buf.attachments.unshift(a);
  a.onList = true;
  buf.hooks.attached?.(k, buf, a);
  yield* dmaResvUnlock(k, buf.resv);
  return a;
}

/**
 * R35: unlinks under the resv, then calls the exporter's detach op with it free. A live
 * mapping or pin at this point is a leak of the exporter's resources (P6, P12).
 */
export function* dmaBufDetach(k: Kernel, buf: DmaBuf, a: DmaBufAttachment): Proc {
  dmaResvAssertNotHeld(k, buf.resv, 'dma_buf_detach', 'R35');
  if (a.dmabuf !== buf || a.detached) {
    warn(k, 'R35', `dma_buf_detach(${buf.name}, ${a.name}): ${a.detached ? 'already detached' : 'attachment of another buffer'}`);
    return;
  }
  yield callEntry('dma_buf_detach', `${buf.name} ${a.dev}`);
  yield* dmaResvLock(k, buf.resv);
  buf.attachments = buf.attachments.filter((x) => x !== a);
  a.onList = false;
  yield* dmaResvUnlock(k, buf.resv);
  if (buf.ops.detach) yield* buf.ops.detach(k, buf, a);
  a.detached = true;
  if (a.pins > 0) k.rt.report('leak', 'P12', `${a.dev} detaches from ${buf.name} with ${a.pins} pin(s) never unpinned`);
  if (a.mappings.size > 0) k.rt.report('leak', 'R35', `${a.dev} detaches from ${buf.name} with ${a.mappings.size} live mapping(s)`);
}

/**
 * R45: whether the importer takes an invalidation at any time and unmaps in bounded time.
 * `[v2]` dma_buf_attachment_is_revoke; `[v3]` any callback but the sentinel; `[landed]`
 * a callback present. Before the series there is no such query: false.
 */
export function dmaBufAttachRevocable(k: Kernel, a: DmaBufAttachment): boolean {
  const ops = a.importerOps;
  if (!ops || !ops.invalidateMappings) return false;
  switch (k.version) {
    case 'pre': return false;
    case 'v2': return k.configMoveNotify && dmaBufIsDynamic(a.dmabuf);
    case 'v3': return !ops.unsupported;
    case 'landed': return true;
  }
}

/**
 * `[v3]` dma_buf_unsupported_invalidate_mappings: the sentinel callback of importers that
 * cannot be invalidated (RDMA pinned); it only logs, and R45 treats it as absent.
 */
export function* dmaBufUnsupportedInvalidateMappings(k: Kernel, a: DmaBufAttachment): Proc {
  void k;
  yield callEntry('dma_buf_unsupported_invalidate_mappings', `${a.name}: invalidate of an importer that cannot be invalidated (log only)`);
}

/** The v3 sentinel as importer ops: present for R33, absent for R45. */
export function unsupportedInvalidateOps(allowPeer2peer: boolean): DmaBufAttachOps {
  return { allowPeer2peer, invalidateMappings: dmaBufUnsupportedInvalidateMappings, unsupported: true };
}

/** S15 / R46 */
export function dmaBufAttachmentIsDynamic(a: DmaBufAttachment): boolean {
  return a.importerOps !== null;
}

/** A marker step for the oracle: a shared flag another thread reads without the lock. */
export function* touchAttachment(a: DmaBufAttachment, label: string): Proc {
  yield { kind: OpKind.Write, obj: a.id, write: true, label, detail: a.name };
}
