// The twin's reset thread (bench/stateful/twin.ts) in the compiled function* subset:
// vfio_pci_dma_buf_move(revoked=true) of kernel `landed`, then the memory disable, written
// as the kernel function reads. scripts/compile-frames.ts compiles it to
// revoke-frames.frames.ts; twin.ts runs that with `{ frames: true }`, and
// test/frames-twin.test.ts requires the same states, transitions and violations as the
// hand-written `reset` step function. The state effects are the twin's own (through
// `k.env`), so the two differ only in how the control flow is written.
import type { Store } from '../../src/sim/store.ts';
import { lock, sched, waitUntil, type FrameCtx, type FrameProc } from '../../src/sim/frame-ops.ts';

/** What the twin hands the reset thread: the resv owner slot and the effects on its state. */
export interface ResetEnv {
  /** owner slot of the vfio-buf's reservation object */
  readonly resv: number;
  revokeBegan(s: Store): void;
  /** priv->revoked = true (D-VFIO-2: read by attach without the resv) */
  setRevoked(s: Store): void;
  /** dma_buf_invalidate_mappings: every attachment's move_notify, in list order (R43) */
  invalidateMappings(s: Store): void;
  fenceWaitDone(s: Store): void;
  /** kref_put of the vfio-pci dma-buf (P7 when it drops below zero) */
  krefPut(s: Store): void;
  /** takes one count of the completion the last kref_put completes */
  completionConsume(s: Store): void;
  revokeReturned(s: Store): void;
  /** the memory disable; arms a speculative read through every live table (S21) */
  disableMemory(s: Store): void;
}

export type ResetCtx = FrameCtx<ResetEnv>;

/** Guards of the reset thread's waits, indices into its context's `guards`. */
export const FENCES_SIGNALED = 0;
export const COMPLETION_DONE = 1;

/** dma_resv_lock (R20): a right mover, the start of the section. */
export function* dmaResvLock(k: ResetCtx): FrameProc {
  yield lock(k.env.resv);
}

/** dma_resv_unlock: a left mover, folded into the transaction before it (no yield). */
export function dmaResvUnlock(k: ResetCtx): void {
  k.s.set(k.env.resv, 0);
}

/** wait_for_completion of the unmaps the revoke drops its reference for (D-VFIO-4). */
export function* waitUnmaps(k: ResetCtx): FrameProc {
  yield waitUntil(COMPLETION_DONE, 0);
  k.env.completionConsume(k.s);
}

/** vfio_pci_dma_buf_move(revoked=true); `noWait` is the v2-no-wait variant (no fence or unmap wait). */
export function* vfioPciDmaBufMove(k: ResetCtx, noWait: boolean): FrameProc {
  k.env.revokeBegan(k.s);
  yield* dmaResvLock(k);
  k.env.setRevoked(k.s);
  k.env.invalidateMappings(k.s);
  if (!noWait) {
    // dma_resv_wait_timeout(BOOKKEEP) under the resv: every fence the importers added
    yield waitUntil(FENCES_SIGNALED, 0);
    k.env.fenceWaitDone(k.s);
  }
  dmaResvUnlock(k);
  yield sched();
  k.env.krefPut(k.s);
  if (!noWait) yield* waitUnmaps(k);
  yield sched();
  k.env.revokeReturned(k.s);
}

/** The scenario's reset thread: the revoke, then the memory disable (trigger mem-disable). */
export function* resetThread(k: ResetCtx, noWait: boolean): FrameProc {
  yield* vfioPciDmaBufMove(k, noWait);
  yield sched();
  k.env.disableMemory(k.s);
}
