/**
 * dma_fence in the compiled function* subset (rule book S1-S4, R1-R15): the data-world
 * form of kernel/fence.ts, the same steps, events and violations, over typed store views.
 * (linux: drivers/dma-buf/dma-fence.c)
 *
 * A fence's callbacks are a list in registration order (R4 runs them in that order):
 * `cbHead` to `cbTail` through each callback's `next`. What nothing reads stays out of the
 * state: the signal timestamp of the generator form is not kept.
 */
import { sched, waitEq, type FrameProc } from '../sim/frame-ops.ts';
import { simReport, threadName } from '../sim/frame-sim.ts';
import { addr, structAlloc, type ImpContext, type Ref } from '../sim/struct.ts';
import type { StorePool } from '../sim/store.ts';
import { ERRNO } from './errno.ts';
import { callbackName, fenceEvent, fenceName, isVersion, signallingSlot, warn, type KernelCtx } from './frame-kernel.ts';

/** The wait without a timeout: the largest slot value (the generator form's is larger; both mean "until signalled"). */
export const MAX_SCHEDULE_TIMEOUT = 0x7fffffff;

/** struct dma_fence (S1): the fields the rule book models. */
export interface DmaFence {
  context: ImpContext;
  seqno: number;
  use64: boolean;
  signaled: boolean;
  error: number;
  refcount: number;
  /** added to a reservation object: a release while pending is a leak (R15) */
  published: boolean;
  /** S4: only the flag */
  isContainer: boolean;
  cbHead: Ref<DmaFenceCb>;
  cbTail: Ref<DmaFenceCb>;
  /** the owner's naming data, read by the world's fenceName: an importer's index + 1 (0: none), with `kind` a kind of job */
  owner: ImpContext;
  kind: number;
}

/** struct dma_fence_cb: queued on at most one fence; `func` is an id into the kernel's callback table. */
export interface DmaFenceCb {
  fence: Ref<DmaFence>;
  next: Ref<DmaFenceCb>;
  func: number;
  /** the default func only records that it ran */
  ran: boolean;
}

/** R1: `num` fresh context ids; returns the first. */
export function dmaFenceContextAlloc(k: KernelCtx, num: number): number {
  const c = k.s.get(k.env.kernel.nextContext);
  k.s.set(k.env.kernel.nextContext, c + num);
  return c;
}

/** R2: a PENDING fence with refcount 1, from `pool`; a full pool is a model bug. */
export function dmaFenceInit(k: KernelCtx, pool: StorePool, context: number, seqno: number, use64: boolean, owner: ImpContext, kind: number): Ref<DmaFence> {
  const f = structAlloc(k.s, pool) as Ref<DmaFence>;
  if (f === 0) throw new Error(`model bug: fence pool ${pool.name} is full (${pool.cap})`);
  f.context = context;
  f.seqno = seqno;
  f.use64 = use64;
  f.refcount = 1;
  f.owner = owner;
  f.kind = kind;
  return f;
}

/** Runs the queued callbacks once, in registration order (R4); the fence lock is held. */
export function runCallbacks(k: KernelCtx, f: Ref<DmaFence>): void {
  let cb = f.cbHead;
  f.cbHead = 0 as Ref<DmaFenceCb>;
  f.cbTail = 0 as Ref<DmaFenceCb>;
  while (cb !== 0) {
    const next = cb.next;
    cb.next = 0 as Ref<DmaFenceCb>;
    cb.ran = true;
    cb.fence = 0 as Ref<DmaFence>;
    if (cb.func !== 0) k.env.kernel.callbacks[cb.func]!(k, f, cb);
    cb = next;
  }
}

/** Marks `f` signalled (R4); false when it already was. */
export function signalLocked(k: KernelCtx, f: Ref<DmaFence>): boolean {
  if (f.signaled) return false;
  f.signaled = true;
  runCallbacks(k, f);
  return true;
}

/**
 * R4: signals once, runs the callbacks in registration order in the signalling thread.
 * Returns 0, or -EINVAL when already signalled, for `[pre,v2,v3]`; `[landed]` returns 0
 * either way (void in the kernel). One step.
 */
export function* dmaFenceSignal(k: KernelCtx, f: Ref<DmaFence>): FrameProc<number> {
  yield sched();
  fenceEvent(k, 'dma_fence_signal', f);
  if (!signalLocked(k, f)) return isVersion(k, 'landed') ? 0 : -ERRNO.EINVAL;
  return 0;
}

/** R4 `[landed]`: signals unless already signalled; true when it already was. One step. */
export function* dmaFenceCheckAndSignal(k: KernelCtx, f: Ref<DmaFence>): FrameProc<boolean> {
  yield sched();
  fenceEvent(k, 'dma_fence_check_and_signal', f);
  return !signalLocked(k, f);
}

/** R7: whether `f` is signalled (the driver poll hook is not modelled). */
export function dmaFenceIsSignaled(k: KernelCtx, f: Ref<DmaFence>): boolean {
  return f.signaled;
}

/** R12: seqno order within one context, wrap-around aware for 32-bit fences. */
export function dmaFenceIsLater(k: KernelCtx, f1: Ref<DmaFence>, f2: Ref<DmaFence>): boolean {
  if (f1.context !== f2.context) {
    warn(k, 'R12', `dma_fence_is_later(${fenceName(k, f1)}, ${fenceName(k, f2)}) across contexts`);
    return false;
  }
  if (f1.use64) return f1.seqno > f2.seqno;
  return ((f1.seqno - f2.seqno) | 0) > 0;
}

/** R12: dma_fence_is_later_or_same: also true for the same fence. */
export function dmaFenceIsLaterOrSame(k: KernelCtx, f1: Ref<DmaFence>, f2: Ref<DmaFence>): boolean {
  return f1 === f2 || dmaFenceIsLater(k, f1, f2);
}

/** R13: enters a signalling critical section of the running thread; returns the cookie. */
export function dmaFenceBeginSignalling(k: KernelCtx): boolean {
  const d = k.s.get(signallingSlot(k));
  k.s.set(signallingSlot(k), d + 1);
  return d > 0;
}

/** R13: leaves the section entered by the begin that returned the cookie. */
export function dmaFenceEndSignalling(k: KernelCtx): void {
  const d = k.s.get(signallingSlot(k));
  if (d <= 0) {
    warn(k, 'R13', 'dma_fence_end_signalling without dma_fence_begin_signalling');
    return;
  }
  k.s.set(signallingSlot(k), d - 1);
}

/** R13: a fence wait inside a signalling critical section is a lockdep splat. */
export function dmaFenceMightWait(k: KernelCtx, fn: string): void {
  if (k.s.get(signallingSlot(k)) > 0) simReport(k, 'api-misuse', 'R13', `${fn} by ${threadName(k)} inside a fence signalling critical section (lockdep dma_fence_map)`);
}

/** R5: error status; only while pending, negative errno only. */
export function dmaFenceSetError(k: KernelCtx, f: Ref<DmaFence>, err: number): void {
  if (f.signaled) warn(k, 'R5', `dma_fence_set_error on signalled ${fenceName(k, f)}`);
  if (err >= 0 || err < -4095) warn(k, 'R5', `dma_fence_set_error(${fenceName(k, f)}, ${err}): not a negative errno`);
  f.error = err;
}

/** R6 */
export function dmaFenceGetStatus(k: KernelCtx, f: Ref<DmaFence>): number {
  if (!f.signaled) return 0;
  return f.error === 0 ? 1 : f.error;
}

/**
 * R10/R11: waits for the fence. An infinite wait blocks until it signals; a finite wait
 * > 0 may time out while it is pending (the explorer's choice); 0 polls. Returns the
 * remaining time (>= 1), 0 on timeout, -EINVAL for a negative timeout.
 */
export function* dmaFenceWaitTimeout(k: KernelCtx, f: Ref<DmaFence>, timeout: number): FrameProc<number> {
  if (timeout < 0) {
    warn(k, 'R10', `dma_fence_wait_timeout(${fenceName(k, f)}) with negative timeout`);
    return -ERRNO.EINVAL;
  }
  dmaFenceMightWait(k, 'dma_fence_wait_timeout');
  if (timeout === MAX_SCHEDULE_TIMEOUT) {
    yield waitEq(addr(f.signaled), 1);
    fenceEvent(k, 'dma_fence_wait', f);
    return timeout;
  }
  yield sched();
  fenceEvent(k, 'dma_fence_wait_timeout', f);
  return f.signaled ? Math.max(1, timeout) : 0;
}

/** R11: dma_fence_wait, an infinite R10; 0 (signals are off, so never -ERESTARTSYS). */
export function* dmaFenceWait(k: KernelCtx, f: Ref<DmaFence>): FrameProc<number> {
  const r = yield* dmaFenceWaitTimeout(k, f, MAX_SCHEDULE_TIMEOUT);
  return r < 0 ? r : 0;
}

/** R9: true when `cb` was pending on `f` and is now removed. One step. */
export function* dmaFenceRemoveCallback(k: KernelCtx, f: Ref<DmaFence>, cb: Ref<DmaFenceCb>): FrameProc<boolean> {
  yield sched();
  fenceEvent(k, 'dma_fence_remove_callback', f, cb);
  return unlinkCallback(k, f, cb);
}

/** Takes `cb` off `f`'s list; false when it is not on it. */
export function unlinkCallback(k: KernelCtx, f: Ref<DmaFence>, cb: Ref<DmaFenceCb>): boolean {
  let prev = 0 as Ref<DmaFenceCb>;
  let c = f.cbHead;
  while (c !== 0 && c !== cb) {
    prev = c;
    c = c.next;
  }
  if (c === 0) return false;
  if (prev === 0) f.cbHead = cb.next;
  else prev.next = cb.next;
  if (f.cbTail === cb) f.cbTail = prev;
  cb.next = 0 as Ref<DmaFenceCb>;
  cb.fence = 0 as Ref<DmaFence>;
  return true;
}

/** R8: queues `cb` after the others; -ENOENT when already signalled (not queued). One step. */
export function* dmaFenceAddCallback(k: KernelCtx, f: Ref<DmaFence>, cb: Ref<DmaFenceCb>): FrameProc<number> {
  yield sched();
  fenceEvent(k, 'dma_fence_add_callback', f, cb);
  if (cb.fence !== 0) {
    warn(k, 'R8', `callback ${callbackName(k, cb)} is already on ${fenceName(k, cb.fence)}`);
    return -ERRNO.EINVAL;
  }
  if (f.signaled) return -ERRNO.ENOENT;
  if (f.cbTail === 0) f.cbHead = cb;
  else f.cbTail.next = cb;
  f.cbTail = cb;
  cb.fence = f;
  return 0;
}

/**
 * R3, R15: reference drop; below zero is api-misuse. At zero the fence is released: a
 * PENDING fence with callbacks queued WARNs, gets -EDEADLK and is signalled first (R15).
 * Not a yield point: a caller that shares `f` runs it inside a step (dmaFencePutOp). The
 * released fence keeps its slots, as the generator form keeps its object.
 */
export function dmaFencePut(k: KernelCtx, f: Ref<DmaFence>): void {
  if (f.refcount <= 0) simReport(k, 'api-misuse', 'R3', `dma_fence_put(${fenceName(k, f)}) drops the refcount below zero`);
  f.refcount--;
  if (f.refcount !== 0) return;
  if (!f.signaled && f.cbHead !== 0) {
    warn(k, 'R15', `release of pending ${fenceName(k, f)} with ${callbackCount(k, f)} callback(s) queued`);
    f.error = -ERRNO.EDEADLK;
    signalLocked(k, f);
  } else if (!f.signaled && f.published) simReport(k, 'leak', 'R15', `published ${fenceName(k, f)} released while still pending`);
}

/** The number of callbacks queued on `f`. */
export function callbackCount(k: KernelCtx, f: Ref<DmaFence>): number {
  let n = 0;
  for (let c = f.cbHead; c !== 0; c = c.next) n++;
  return n;
}

/** R3, R15 as one visible step (the release may signal). */
export function* dmaFencePutOp(k: KernelCtx, f: Ref<DmaFence>): FrameProc {
  yield sched();
  fenceEvent(k, 'dma_fence_put', f);
  dmaFencePut(k, f);
}

export function dmaFenceGet(k: KernelCtx, f: Ref<DmaFence>): void {
  if (f.refcount <= 0) simReport(k, 'api-misuse', 'P7', `dma_fence_get(${fenceName(k, f)}) increments from zero`);
  f.refcount++;
}

/**
 * P7 when a scenario thread returns inside a fence signalling section (the generator
 * kernel's atThreadExit check): the thread's entry function calls it after threadExit.
 */
export function fenceThreadExit(k: KernelCtx): void {
  if (k.s.get(signallingSlot(k)) > 0) simReport(k, 'api-misuse', 'P7', `${threadName(k)} returns to user space inside a fence signalling section (no dma_fence_end_signalling; lockdep: lock held when returning to user space!)`);
}
