/**
 * Acquire contexts of reservation locks (rule book S8, R18, R18a, R18b: the Wait-Die
 * ww_mutex) in the compiled function* subset, the data-world form of the context paths
 * of kernel/resv.ts. A context taking a lock held by an older context, or behind an
 * older waiter, while it holds locks itself, dies with -EDEADLK; otherwise it waits.
 * (linux: kernel/locking/ww_mutex.h, include/linux/dma-resv.h)
 */
import { lock, sched, waitUntil, type FrameProc } from '../sim/frame-ops.ts';
import { addr, type Ref } from '../sim/struct.ts';
import { ERRNO } from './errno.ts';
import { warn, type KernelCtx } from './frame-kernel.ts';
import { checkSignalling, dropSlot, pushSlot, resvEvent, resvName, resvTake, slotEntry, type DmaResv } from './frame-resv.ts';

/** struct ww_acquire_ctx (S8): a stamp (older = smaller), the locks taken with it in order, the lock it died on. */
export interface WwAcquireCtx {
  stamp: number;
  done: boolean;
  contended: Ref<DmaResv>;
  /** slot of the list of reservation objects locked with it, and its room */
  locks: number;
  lockCap: number;
  /** naming data for the world's ctxName */
  name: number;
}

export function ctxName(k: KernelCtx, ctx: Ref<WwAcquireCtx>): string {
  return k.env.kernel.ctxName(k.s, ctx);
}

/** The reservation objects locked with `ctx`, by name, in the order taken. */
export function ctxLocks(k: KernelCtx, ctx: Ref<WwAcquireCtx>): string {
  const names: string[] = [];
  for (let i = 0; i < k.s.get(ctx.locks); i++) names.push(resvName(k, slotEntry(k, ctx.locks, i) as Ref<DmaResv>));
  return names.join(', ');
}

/** ww_acquire_init on the context object `ctx`: the next (younger) stamp. */
export function wwAcquireInit(k: KernelCtx, ctx: Ref<WwAcquireCtx>): void {
  const stamp = k.s.get(k.env.kernel.nextStamp);
  k.s.set(k.env.kernel.nextStamp, stamp + 1);
  ctx.stamp = stamp;
  ctx.done = false;
}

/** ww_acquire_fini: every lock of `ctx` must be released first (DEBUG_LOCKS_WARN_ON, R18). */
export function wwAcquireFini(k: KernelCtx, ctx: Ref<WwAcquireCtx>): void {
  if (k.s.get(ctx.locks) > 0) warn(k, 'R18', `ww_acquire_fini(${ctxName(k, ctx)}) with ${ctxLocks(k, ctx)} still held`);
  ctx.done = true;
}

/**
 * Wait-Die (R18): a context that holds locks dies when it is younger than the holder's
 * context or than a context already waiting ahead of it.
 */
export function wwDies(k: KernelCtx, obj: Ref<DmaResv>, ctx: Ref<WwAcquireCtx>): boolean {
  if (k.s.get(ctx.locks) === 0) return false;
  if (obj.ownerCtx !== 0 && ctx.stamp > obj.ownerCtx.stamp) return true;
  for (let i = 0; i < k.s.get(obj.waiters); i++) {
    const w = slotEntry(k, obj.waiters, i) as Ref<WwAcquireCtx>;
    if (w === ctx) break;
    if (ctx.stamp > w.stamp) return true;
  }
  return false;
}

/** Whether the context `ctx` queued on `obj` may take its next step: the lock is free, or it dies. */
export function wwWakeable(k: KernelCtx, obj: Ref<DmaResv>, ctx: Ref<WwAcquireCtx>): boolean {
  return obj.lock === 0 || wwDies(k, obj, ctx);
}

/** Books `obj`'s lock, the running thread's now, as taken with `ctx`. */
export function wwTake(k: KernelCtx, obj: Ref<DmaResv>, ctx: Ref<WwAcquireCtx>): void {
  resvTake(k, obj);
  obj.ownerCtx = ctx;
  pushSlot(k, ctx.locks, ctx.lockCap, obj, 'locks of an acquire context');
}

/**
 * R18 with an acquire context (`interruptible`: dma_resv_lock_interruptible, R18a):
 * -EALREADY if `ctx` holds it. Otherwise a first step takes a free lock, dies (-EDEADLK,
 * `contended` set) or queues the context as a waiter; a queued context's second step runs
 * once the lock is free or it must die (the lock's guard, kernel.wwGuard).
 */
export function* dmaResvLockCtx(k: KernelCtx, obj: Ref<DmaResv>, ctx: Ref<WwAcquireCtx>, interruptible: boolean): FrameProc<number> {
  checkSignalling(k, obj, lockName(interruptible));
  if (obj.ownerCtx === ctx) {
    if (k.out.records) k.out.event(k.tid, lockName(interruptible), `${resvName(k, obj)} -EALREADY`);
    return -ERRNO.EALREADY;
  }
  if (ctx.done) warn(k, 'R18', `${lockName(interruptible)}(${resvName(k, obj)}) with ${ctxName(k, ctx)} after ww_acquire_fini`);
  yield sched();
  resvEvent(k, lockName(interruptible), obj, ctxName(k, ctx));
  if (obj.lock === 0) {
    obj.lock = k.tid + 1;
    wwTake(k, obj, ctx);
    return 0;
  }
  if (wwDies(k, obj, ctx)) {
    ctx.contended = obj;
    return -ERRNO.EDEADLK;
  }
  pushSlot(k, obj.waiters, obj.waiterCap, ctx, 'the waiters of a reservation object');
  yield waitUntil(k.env.kernel.wwGuard, obj * 1024 + ctxIndex(k, ctx));
  resvEvent(k, `${lockName(interruptible)} (woken)`, obj, ctxName(k, ctx));
  dropSlot(k, obj.waiters, ctx);
  if (obj.lock !== 0) {
    ctx.contended = obj;
    return -ERRNO.EDEADLK;
  }
  obj.lock = k.tid + 1;
  wwTake(k, obj, ctx);
  return 0;
}

/** The guard of a context queued on a lock (the world registers it as kernel.wwGuard): its argument is obj * 1024 + the context's index. */
export function wwGuardCheck(k: KernelCtx, arg: number): boolean {
  return wwWakeable(k, (arg >> 10) as Ref<DmaResv>, k.env.kernel.contexts[arg & 1023]! as Ref<WwAcquireCtx>);
}

export function lockName(interruptible: boolean): string {
  return interruptible ? 'dma_resv_lock_interruptible' : 'dma_resv_lock';
}

/** The context's index in the world's table of contexts: with the object, the argument of the wait's guard. */
export function ctxIndex(k: KernelCtx, ctx: Ref<WwAcquireCtx>): number {
  return k.env.kernel.contexts.indexOf(ctx);
}

/** R18b: after -EDEADLK, with no lock held in `ctx`; blocks until acquired (one step). */
export function* dmaResvLockSlow(k: KernelCtx, obj: Ref<DmaResv>, ctx: Ref<WwAcquireCtx>, interruptible: boolean): FrameProc<number> {
  checkSignalling(k, obj, slowName(interruptible));
  if (k.s.get(ctx.locks) > 0) warn(k, 'R18b', `dma_resv_lock_slow(${resvName(k, obj)}) while ${ctxName(k, ctx)} still holds ${ctxLocks(k, ctx)}`);
  yield lock(addr(obj.lock));
  resvEvent(k, slowName(interruptible), obj, '');
  wwTake(k, obj, ctx);
  ctx.contended = 0 as Ref<DmaResv>;
  return 0;
}

export function slowName(interruptible: boolean): string {
  return interruptible ? 'dma_resv_lock_slow_interruptible' : 'dma_resv_lock_slow';
}
