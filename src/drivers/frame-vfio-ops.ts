/**
 * vfio-pci's cleanup on close (D-VFIO-7) and the scenario's exporter ops (D-VFIO-8), with
 * memory_lock held, in the compiled function* subset (vfio-pci.ts cleanup and op). The
 * revoke paths they call are in frame-vfio-revoke.ts.
 * `npm run frames` compiles this file to frame-vfio-ops.frames.ts.
 */
import { sched, type FrameProc } from '../sim/frame-ops.ts';
import { mutexLock, mutexUnlock } from '../sim/frame-mutex.ts';
import type { Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import { isVersion } from '../kernel/frame-kernel.ts';
import { dmaBufPut, type DmaBufAttachment } from '../kernel/frame-dma-buf.ts';
import { dmaBufInvalidateMappings } from '../kernel/frame-mapping.ts';
import { dmaResvLock, dmaResvUnlock } from '../kernel/frame-resv.ts';
import { DISABLED, ENABLED, setRegionState } from '../hw/frame-region.ts';
import { revokeBegan, revokeReturned } from '../hw/frame-oracle.ts';
import {
  L_CLEANUP, L_CLEANUP_RETURNED, L_CLOSED, L_D3, L_ENABLED, L_MEM_DISABLED, L_RESET_ENABLED, OP_CLOSE, OP_REVOKE, OP_UNREVOKE,
  TRIGGER_D3, TRIGGER_LABELS, TRIGGER_MEM_DISABLE, type DriverCtx,
} from './frame-env.ts';
import { bar, barEvent, buffer, checkRevocable, krefPut, priv, tracker } from './frame-vfio-pci.ts';
import { moveRevoke, moveUnrevoke, revokeFenceWait, setRevoked, waitUnmaps } from './frame-vfio-revoke.ts';

/** D-VFIO-7 cleanup on device close (caller holds memory_lock). */
export function* cleanup(k: DriverCtx): FrameProc {
  const p = priv(k);
  const buf = buffer(k);
  if (p.cleanedUp) return;
  yield* revokeBegan(k, tracker(k), L_CLEANUP);
  yield* dmaResvLock(k, buf.resv);
  checkRevocable(k, buf, true);
  p.cleanedUp = true;
  yield* setRevoked(k, true, true);
  yield* dmaBufInvalidateMappings(k, buf);
  if (isVersion(k, 'landed')) yield* revokeFenceWait(k);
  yield* dmaResvUnlock(k, buf.resv);
  if (isVersion(k, 'landed') && (!p.drained || k.env.vfio.sw.cleanupDrainsAll)) {
    yield* krefPut(k, 0 as Ref<DmaBufAttachment>, true);
    if (!k.env.vfio.sw.noUnmapWait) yield* waitUnmaps(k);
    p.drained = true;
  }
  yield* revokeReturned(k, tracker(k), L_CLEANUP_RETURNED);
}

/** A scenario's exporter op `op` (frame-env.ts EXP_OPS) with its revoke trigger, memory_lock held around it. Returns 0 or -EOPNOTSUPP. */
export function* vfioOp(k: DriverCtx, op: number, trigger: number): FrameProc<number> {
  const p = priv(k);
  yield* mutexLock(k, k.env.vfio.memoryLock);
  if (op === OP_REVOKE) {
    /** D-VFIO-8: move(true) returns before the memory goes off (the P1 revoke point). */
    barEvent(k, TRIGGER_LABELS[trigger]!, '');
    yield* moveRevoke(k);
    yield* setRegionState(k, bar(k), DISABLED, trigger === TRIGGER_D3 ? L_D3 : L_MEM_DISABLED);
    if (trigger !== TRIGGER_MEM_DISABLE && trigger !== TRIGGER_D3) {
      barEvent(k, 'device reset done', '');
      yield* setRegionState(k, bar(k), ENABLED, L_RESET_ENABLED);
      yield* moveUnrevoke(k);
    }
  } else if (op === OP_UNREVOKE) {
    if (!p.cleanedUp) {
      yield* setRegionState(k, bar(k), ENABLED, L_ENABLED);
      yield* moveUnrevoke(k);
    }
  } else if (op === OP_CLOSE) {
    yield* cleanup(k);
    yield* setRegionState(k, bar(k), DISABLED, L_CLOSED);
    yield* mutexUnlock(k, k.env.vfio.memoryLock);
    yield sched();
    if (k.out.records) k.out.event(k.tid, 'close dma-buf fd', 'vfio-buf');
    k.s.set(k.env.vfio.fdOpen, 0);
    yield* dmaBufPut(k, buffer(k));
    return 0;
  } else {
    yield* mutexUnlock(k, k.env.vfio.memoryLock);
    return -ERRNO.EOPNOTSUPP;
  }
  yield* mutexUnlock(k, k.env.vfio.memoryLock);
  return 0;
}
