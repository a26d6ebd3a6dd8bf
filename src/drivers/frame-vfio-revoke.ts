/**
 * vfio-pci's revoke paths (rule book D-VFIO-6..8) in the compiled function* subset, the
 * data-world form of vfio-pci.ts's moveRevoke, moveUnrevoke, cleanup and exporter ops:
 * move(true) and move(false) under memory_lock, cleanup on close, and the scenario's
 * exporter op. The buffer's ops are in frame-vfio-pci.ts.
 * `npm run frames` compiles this file to frame-vfio-revoke.frames.ts.
 */
import { sched, type FrameProc } from '../sim/frame-ops.ts';
import { simReport } from '../sim/frame-sim.ts';
import { reinitCompletion, waitForCompletion, waitForCompletionTimeout } from '../sim/frame-completion.ts';
import type { Ref } from '../sim/struct.ts';
import { isVersion, warn } from '../kernel/frame-kernel.ts';
import type { DmaBufAttachment } from '../kernel/frame-dma-buf.ts';
import { dmaBufInvalidateMappings } from '../kernel/frame-mapping.ts';
import { BOOKKEEP, dmaResvLock, dmaResvUnlock, dmaResvWaitTimeout } from '../kernel/frame-resv.ts';
import { MAX_SCHEDULE_TIMEOUT } from '../kernel/frame-fence.ts';
import { revokeBegan, revokeFenced, revokeReturned } from '../hw/frame-oracle.ts';
import { L_MOVE_RETURNED, L_MOVE_TRUE, type DriverCtx } from './frame-env.ts';
import { barEvent, buffer, checkRevocable, krefPut, priv, tracker } from './frame-vfio-pci.ts';

/** A shared write of `revoked` as its own step (attach reads it without the resv, D-VFIO-2). */
export function* setRevoked(k: DriverCtx, v: boolean, gone: boolean): FrameProc {
  yield sched();
  barEvent(k, v ? 'revoked = true' : 'revoked = false', gone ? ' (vdev gone)' : '');
  priv(k).revoked = v;
}

/** The wait for every importer's unmap after the initial kref is dropped (RV6, D-VFIO-6). */
export function* waitUnmaps(k: DriverCtx): FrameProc {
  if (k.env.vfio.sw.timedUnmapWait) {
    const r = yield* waitForCompletionTimeout(k, k.env.vfio.comp, 1000);
    if (r === 0) {
      simReport(k, 'wait-timeout', 'P9', 'vfio-pci revoke: importers did not unmap within 1 s; the revoke proceeds');
      warn(k, 'D-VFIO-6', 'vfio-pci revoke timed out waiting for the importers to unmap');
    }
  } else yield* waitForCompletion(k, k.env.vfio.comp);
}

/** The fence wait after R43 under resv (the usage resolved for the version and variant); marks the tracker for P2. */
export function* revokeFenceWait(k: DriverCtx): FrameProc {
  const usage = k.env.vfio.sw.waitUsage;
  if (usage < 0) return;
  yield* dmaResvWaitTimeout(k, buffer(k).resv, usage, MAX_SCHEDULE_TIMEOUT);
  if (usage === BOOKKEEP) yield* revokeFenced(k, tracker(k));
}

/**
 * D-VFIO-6 move(true): lock resv, set revoked, invalidate, fence wait, unlock; `[landed]`
 * drop the initial kref and wait for every unmap (RV6). Caller holds memory_lock.
 */
export function* moveRevoke(k: DriverCtx): FrameProc {
  const p = priv(k);
  const buf = buffer(k);
  if (p.revoked || p.cleanedUp) return;
  yield* revokeBegan(k, tracker(k), L_MOVE_TRUE);
  yield* dmaResvLock(k, buf.resv);
  checkRevocable(k, buf, true);
  yield* setRevoked(k, true, false);
  yield* dmaBufInvalidateMappings(k, buf);
  yield* revokeFenceWait(k);
  yield* dmaResvUnlock(k, buf.resv);
  if (isVersion(k, 'landed')) {
    yield* krefPut(k, 0 as Ref<DmaBufAttachment>, false);
    if (!k.env.vfio.sw.noUnmapWait) yield* waitUnmaps(k);
    p.drained = true;
  }
  yield* revokeReturned(k, tracker(k), L_MOVE_RETURNED);
}

/** D-VFIO-6 move(false) (vfio-pci.ts moveUnrevoke); caller holds memory_lock. */
export function* moveUnrevoke(k: DriverCtx): FrameProc {
  const p = priv(k);
  const buf = buffer(k);
  const race = k.env.vfio.sw.unrevokeRace;
  if (!p.revoked || p.cleanedUp) return;
  if (k.out.records) k.out.event(k.tid, 'vfio_pci_dma_buf_move(revoked=false)', 'vfio-buf');
  yield* dmaResvLock(k, buf.resv);
  if (!isVersion(k, 'landed') || race) yield* setRevoked(k, false, false);
  yield* dmaBufInvalidateMappings(k, buf);
  yield* revokeFenceWait(k);
  yield* dmaResvUnlock(k, buf.resv);
  if (!isVersion(k, 'landed')) return;
  yield sched();
  barEvent(k, 'kref_init', ' dma-buf');
  p.kref = 1;
  yield* reinitCompletion(k, k.env.vfio.comp);
  p.drained = false;
  if (race) return;
  yield* dmaResvLock(k, buf.resv);
  yield* setRevoked(k, false, false);
  yield* dmaResvUnlock(k, buf.resv);
}
