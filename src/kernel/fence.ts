/**
 * dma_fence (rule book S1-S4, R1-R15).
 */
import { OpKind, type Proc } from '../sim/op.ts';
import { ERRNO } from './errno.ts';
import { isVersion, warn, type Kernel } from './kernel.ts';

export const MAX_SCHEDULE_TIMEOUT = Number.MAX_SAFE_INTEGER;

export interface FenceCallback {
  readonly name: string;
  ran: boolean;
  fence: DmaFence | null;
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
      if (f.signaled) return isVersion(k, 'landed') ? 0 : -ERRNO.EINVAL;
      f.signaled = true;
      f.timestamp = k.rt.events.length;
      for (const cb of f.callbacks) { cb.ran = true; cb.fence = null; }
      f.callbacks = [];
      return 0;
    },
  };
  return r as number;
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

/** R3: reference drop; below zero is api-misuse. */
export function dmaFencePut(k: Kernel, f: DmaFence): void {
  if (f.refcount <= 0) k.rt.report('api-misuse', 'R3', `dma_fence_put(${f.name}) drops the refcount below zero`);
  f.refcount--;
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
