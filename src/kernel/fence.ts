/**
 * dma_fence (rule book S1-S4, R1-R15).
 */
import { OpKind, type Proc } from '../sim/op.ts';
import { ERRNO } from './errno.ts';
import { inSignalling, isVersion, warn, type Kernel } from './kernel.ts';

export const MAX_SCHEDULE_TIMEOUT = Number.MAX_SAFE_INTEGER;

export interface FenceCallback {
  readonly name: string;
  ran: boolean;
  fence: DmaFence | null;
  /** the callback's func; the default only records that it ran (`ran`) */
  readonly func?: (f: DmaFence) => void;
}

/** Runs the queued callbacks once, in registration order (R4); the fence lock is held. */
function runCallbacks(f: DmaFence): void {
  const cbs = f.callbacks;
  f.callbacks = [];
  for (const cb of cbs) { cb.ran = true; cb.fence = null; cb.func?.(f); }
}

/** Marks `f` signalled now (R4); false when it already was. */
function signalLocked(k: Kernel, f: DmaFence): boolean {
  if (f.signaled) return false;
  f.signaled = true;
  f.timestamp = k.rt.events.length;
  runCallbacks(f);
  return true;
}

export interface DmaFence {
  /** object id: every signal writes it, every wait reads it */
  readonly id: number;
  readonly name: string;
  readonly context: number;
  readonly seqno: number;
  readonly use64: boolean;
  signaled: boolean;
  error: number;
  timestamp: number;
  callbacks: FenceCallback[];
  refcount: number;
  /** resv fence-list objects this fence was added to: its signal changes what they answer */
  readonly resvObjs: number[];
  published: boolean;
  /** the thread that will signal it (S3) */
  signaller: string;
  isContainer: boolean;
}

/** R1: `num` fresh context ids; returns the first. */
export function dmaFenceContextAlloc(k: Kernel, num: number): number {
  const c = k.nextFenceContext;
  k.nextFenceContext += num;
  return c;
}

/** R2: a PENDING fence with refcount 1. */
export function dmaFenceInit(k: Kernel, name: string, context: number, seqno: number, signaller: string, use64 = false): DmaFence {
  return {
    id: k.rt.newObject(name), name, context, seqno, use64, signaled: false, error: 0, timestamp: 0,
    callbacks: [], refcount: 1, resvObjs: [], published: false, signaller, isContainer: false,
  };
}

/**
 * R4: signals once, runs the callbacks in registration order in the signalling thread.
 * Returns 0, or -EINVAL when already signalled, for `[pre,v2,v3]`; `[landed]` returns 0
 * either way (void in the kernel).
 */
export function* dmaFenceSignal(k: Kernel, f: DmaFence): Proc<number> {
  const r = yield {
    kind: OpKind.Signal, obj: f.id, write: true, also: f.resvObjs, label: 'dma_fence_signal', detail: f.name,
    apply: () => {
      if (!signalLocked(k, f)) return isVersion(k, 'landed') ? 0 : -ERRNO.EINVAL;
      return 0;
    },
  };
  return r as number;
}

/** R4 `[landed]`: signals unless already signalled; true when it already was. */
export function* dmaFenceCheckAndSignal(k: Kernel, f: DmaFence): Proc<boolean> {
  const r = yield {
    kind: OpKind.Signal, obj: f.id, write: true, also: f.resvObjs, label: 'dma_fence_check_and_signal', detail: f.name,
    apply: () => !signalLocked(k, f),
  };
  return r as boolean;
}

/** R7: whether `f` is signalled (the driver poll hook is not modelled). */
export function dmaFenceIsSignaled(f: DmaFence): boolean {
  return f.signaled;
}

/** R12: dma_fence_is_later_or_same: also true for the same fence. */
export function dmaFenceIsLaterOrSame(k: Kernel, f1: DmaFence, f2: DmaFence): boolean {
  return f1 === f2 || dmaFenceIsLater(k, f1, f2);
}

/** R13: enters a signalling critical section of the current thread; returns the cookie. */
export function dmaFenceBeginSignalling(k: Kernel): boolean {
  const d = k.signalling.get(k.rt.current) ?? 0;
  k.signalling.set(k.rt.current, d + 1);
  return d > 0;
}

/** R13: leaves the section entered by the begin that returned `cookie`. */
export function dmaFenceEndSignalling(k: Kernel, cookie: boolean): void {
  void cookie;
  const d = k.signalling.get(k.rt.current) ?? 0;
  if (d <= 0) { warn(k, 'R13', 'dma_fence_end_signalling without dma_fence_begin_signalling'); return; }
  k.signalling.set(k.rt.current, d - 1);
}

/** R13: a fence wait inside a signalling critical section is a lockdep splat. */
export function dmaFenceMightWait(k: Kernel, fn: string): void {
  if (inSignalling(k)) k.rt.report('api-misuse', 'R13', `${fn} by ${k.rt.currentName} inside a fence signalling critical section (lockdep dma_fence_map)`);
}

/** R5: error status; only while pending, negative errno only. */
export function dmaFenceSetError(k: Kernel, f: DmaFence, err: number): void {
  if (f.signaled) warn(k, 'R5', `dma_fence_set_error on signalled ${f.name}`);
  if (err >= 0 || err < -4095) warn(k, 'R5', `dma_fence_set_error(${f.name}, ${err}): not a negative errno`);
  f.error = err;
}

/** R6 */
export function dmaFenceGetStatus(f: DmaFence): number {
  if (!f.signaled) return 0;
  return f.error === 0 ? 1 : f.error;
}

/**
 * R10/R11: waits for the fence. An infinite wait blocks until it signals; a finite wait
 * > 0 may time out while it is pending (the explorer's choice); 0 polls. Returns the
 * remaining time (>= 1), 0 on timeout, -EINVAL for a negative timeout.
 */
export function* dmaFenceWaitTimeout(k: Kernel, f: DmaFence, timeout: number): Proc<number> {
  if (timeout < 0) {
    warn(k, 'R10', `dma_fence_wait_timeout(${f.name}) with negative timeout`);
    return -ERRNO.EINVAL;
  }
  dmaFenceMightWait(k, 'dma_fence_wait_timeout');
  if (timeout === MAX_SCHEDULE_TIMEOUT) {
    yield {
      kind: OpKind.WaitMonotone, obj: f.id, write: false, label: 'dma_fence_wait', detail: f.name, blockReason: 'fence',
      enabled: () => f.signaled,
    };
    return timeout;
  }
  const r = yield {
    kind: OpKind.Read, obj: f.id, write: false, label: 'dma_fence_wait_timeout', detail: f.name,
    apply: () => (f.signaled ? Math.max(1, timeout) : 0),
  };
  return r as number;
}

/** R11: dma_fence_wait, an infinite R10; 0 (signals are off, so never -ERESTARTSYS). */
export function* dmaFenceWait(k: Kernel, f: DmaFence, intr = false): Proc<number> {
  void intr;
  const r = yield* dmaFenceWaitTimeout(k, f, MAX_SCHEDULE_TIMEOUT);
  return r < 0 ? r : 0;
}

/** R9: true when `cb` was pending on `f` and is now removed. */
export function* dmaFenceRemoveCallback(k: Kernel, f: DmaFence, cb: FenceCallback): Proc<boolean> {
  void k;
  const r = yield {
    kind: OpKind.Write, obj: f.id, write: true, label: 'dma_fence_remove_callback', detail: `${f.name} ${cb.name}`,
    apply: () => {
      const i = f.callbacks.indexOf(cb);
      if (i < 0) return false;
      f.callbacks.splice(i, 1);
      cb.fence = null;
      return true;
    },
  };
  return r as boolean;
}

/** R8: -ENOENT when already signalled (the callback is not queued). */
export function* dmaFenceAddCallback(k: Kernel, f: DmaFence, cb: FenceCallback): Proc<number> {
  const r = yield {
    kind: OpKind.Write, obj: f.id, write: true, label: 'dma_fence_add_callback', detail: `${f.name} ${cb.name}`,
    apply: () => {
      if (cb.fence) { warn(k, 'R8', `callback ${cb.name} is already on ${cb.fence.name}`); return -ERRNO.EINVAL; }
      if (f.signaled) return -ERRNO.ENOENT;
      f.callbacks.push(cb);
      cb.fence = f;
      return 0;
    },
  };
  return r as number;
}

/**
 * R3, R15: reference drop; below zero is api-misuse. At zero the fence is released: a
 * PENDING fence with callbacks queued WARNs, gets -EDEADLK and is signalled first (R15).
 * Not a yield point: a caller that shares `f` wraps it in an op (dmaFencePutOp).
 */
export function dmaFencePut(k: Kernel, f: DmaFence): void {
  if (f.refcount <= 0) k.rt.report('api-misuse', 'R3', `dma_fence_put(${f.name}) drops the refcount below zero`);
  f.refcount--;
  if (f.refcount !== 0) return;
  if (!f.signaled && f.callbacks.length > 0) {
    warn(k, 'R15', `release of pending ${f.name} with ${f.callbacks.length} callback(s) queued`);
    f.error = -ERRNO.EDEADLK;
    signalLocked(k, f);
  } else if (!f.signaled && f.published) k.rt.report('leak', 'R15', `published ${f.name} released while still pending`);
}

/** R3, R15 as one visible step (the release may signal). */
export function* dmaFencePutOp(k: Kernel, f: DmaFence): Proc {
  yield { kind: OpKind.Write, obj: f.id, write: true, also: f.resvObjs, label: 'dma_fence_put', detail: f.name, apply: () => dmaFencePut(k, f) };
}

export function dmaFenceGet(k: Kernel, f: DmaFence): void {
  if (f.refcount <= 0) k.rt.report('api-misuse', 'P7', `dma_fence_get(${f.name}) increments from zero`);
  f.refcount++;
}

/** R12: seqno order within one context, wrap-around aware for 32-bit fences. */
export function dmaFenceIsLater(k: Kernel, f1: DmaFence, f2: DmaFence): boolean {
  if (f1.context !== f2.context) {
    warn(k, 'R12', `dma_fence_is_later(${f1.name}, ${f2.name}) across contexts`);
    return false;
  }
  if (f1.use64) return f1.seqno > f2.seqno;
  return ((f1.seqno - f2.seqno) | 0) > 0;
}
