/**
 * dma_resv (rule book S5-S8, R16-R29): a Wait-Die ww_mutex and the fence slots.
 *
 * The slot list is read without the lock by waiters (RCU in the kernel), so every change
 * of it is a write of `fencesObj`, and every fence signal writes the lists it sits in.
 */
import { noteAcquired, noteReleased } from '../sim/mutex.ts';
import { OpKind, callEntry, type Proc } from '../sim/op.ts';
import { ERRNO } from './errno.ts';
import { dmaFenceIsLater, dmaFencePut, dmaFenceWaitTimeout, MAX_SCHEDULE_TIMEOUT, type DmaFence } from './fence.ts';
import { inSignalling, warn, type Kernel } from './kernel.ts';

export enum DmaResvUsage { KERNEL = 0, WRITE = 1, READ = 2, BOOKKEEP = 3 }

export const USAGE_NAMES = ['KERNEL', 'WRITE', 'READ', 'BOOKKEEP'] as const;

export interface WwAcquireCtx {
  readonly name: string;
  readonly stamp: number;
  locks: DmaResv[];
  contended: DmaResv | null;
  done: boolean;
}

export interface DmaResv {
  /** the ww_mutex object */
  readonly id: number;
  readonly name: string;
  readonly cls: string;
  owner: number;
  ownerCtx: WwAcquireCtx | null;
  /** the fence list object */
  readonly fencesObj: number;
  fences: { fence: DmaFence; usage: DmaResvUsage }[];
  maxFences: number;
  /** acquire contexts blocked on the lock, in arrival order (Wait-Die, R18) */
  waiters: WwAcquireCtx[];
}

export function dmaResvInit(k: Kernel, name: string): DmaResv {
  const id = k.rt.newObject(`${name}.lock`);
  k.rt.lockClasses.set(id, 'reservation_ww_class');
  return { id, name, cls: 'reservation_ww_class', owner: -1, ownerCtx: null, fencesObj: k.rt.newObject(`${name}.fences`), fences: [], maxFences: 0, waiters: [] };
}

/** R17 */
export function dmaResvUsageRw(write: boolean): DmaResvUsage {
  return write ? DmaResvUsage.READ : DmaResvUsage.WRITE;
}

/** ww_acquire_init: a context with a fresh (older = smaller) stamp. */
export function wwAcquireInit(k: Kernel, name: string): WwAcquireCtx {
  return { name, stamp: k.nextStamp++, locks: [], contended: null, done: false };
}

/** ww_acquire_fini: every lock of `ctx` must be released first (DEBUG_LOCKS_WARN_ON, R18). */
export function wwAcquireFini(k: Kernel, ctx: WwAcquireCtx): void {
  if (ctx.locks.length > 0) warn(k, 'R18', `ww_acquire_fini(${ctx.name}) with ${ctx.locks.map((l) => l.name).join(', ')} still held`);
  ctx.done = true;
}

/** R13: taking a resv lock inside a fence signalling critical section. */
function checkSignalling(k: Kernel, obj: DmaResv, fn: string): void {
  if (inSignalling(k)) k.rt.report('api-misuse', 'R13', `${fn}(${obj.name}) by ${k.rt.currentName} inside a fence signalling critical section`);
}

/**
 * Wait-Die (R18): a context that holds locks dies when it is younger than the holder's
 * context or than a context already waiting ahead of it.
 */
function wwDies(obj: DmaResv, ctx: WwAcquireCtx): boolean {
  if (ctx.locks.length === 0) return false;
  if (obj.ownerCtx && ctx.stamp > obj.ownerCtx.stamp) return true;
  for (const w of obj.waiters) {
    if (w === ctx) break;
    if (ctx.stamp > w.stamp) return true;
  }
  return false;
}

/**
 * R18: dma_resv_lock. Without `ctx` it blocks until free (taking a lock the caller holds
 * is a self-deadlock, P8) and returns 0. With `ctx`: -EALREADY if `ctx` holds it; Wait-Die
 * against another context: a context holding locks that is younger than the holder gets
 * -EDEADLK (and `contended` is set), otherwise it blocks.
 */
export function* dmaResvLock(k: Kernel, obj: DmaResv, ctx: WwAcquireCtx | null = null, fn = 'dma_resv_lock'): Proc<number> {
  const rt = k.rt;
  checkSignalling(k, obj, fn);
  if (ctx && obj.ownerCtx === ctx) {
    yield callEntry(fn, `${obj.name} -EALREADY`);
    return -ERRNO.EALREADY;
  }
  if (ctx?.done) warn(k, 'R18', `${fn}(${obj.name}) with ${ctx.name} after ww_acquire_fini`);
  if (!ctx) {
    if (obj.owner === rt.current) rt.report('deadlock', 'R18', `${rt.currentName} takes ${obj.name} which it already holds`);
    yield {
      kind: OpKind.Acquire, obj: obj.id, write: true, label: fn, detail: obj.name, blockReason: 'lock',
      enabled: () => obj.owner === -1,
      apply: () => { noteAcquired(rt, obj); obj.ownerCtx = null; },
    };
    return 0;
  }
  // With a context: the first step takes a free lock, dies, or queues as a waiter.
  const first = (yield {
    kind: OpKind.Write, obj: obj.id, write: true, label: fn, detail: `${obj.name} ${ctx.name}`,
    apply: () => {
      if (obj.owner === -1) { noteAcquired(rt, obj); obj.ownerCtx = ctx; ctx.locks.push(obj); return 0; }
      if (wwDies(obj, ctx)) { ctx.contended = obj; return -ERRNO.EDEADLK; }
      obj.waiters.push(ctx);
      return 1;
    },
  }) as number;
  if (first !== 1) return first;
  const r = yield {
    kind: OpKind.Acquire, obj: obj.id, write: true, label: `${fn} (woken)`, detail: `${obj.name} ${ctx.name}`, blockReason: 'lock',
    enabled: () => obj.owner === -1 || wwDies(obj, ctx),
    apply: () => {
      obj.waiters = obj.waiters.filter((w) => w !== ctx);
      if (obj.owner !== -1) { ctx.contended = obj; return -ERRNO.EDEADLK; }
      noteAcquired(rt, obj);
      obj.ownerCtx = ctx;
      ctx.locks.push(obj);
      return 0;
    },
  };
  return r as number;
}

/** R18b: after -EDEADLK, with no lock held in `ctx`; blocks until acquired. */
export function* dmaResvLockSlow(k: Kernel, obj: DmaResv, ctx: WwAcquireCtx, fn = 'dma_resv_lock_slow'): Proc<number> {
  checkSignalling(k, obj, fn);
  if (ctx.locks.length > 0) warn(k, 'R18b', `dma_resv_lock_slow(${obj.name}) while ${ctx.name} still holds ${ctx.locks.map((l) => l.name).join(', ')}`);
  yield {
    kind: OpKind.Acquire, obj: obj.id, write: true, label: fn, detail: obj.name, blockReason: 'lock',
    enabled: () => obj.owner === -1,
    apply: () => { noteAcquired(k.rt, obj); obj.ownerCtx = ctx; ctx.locks.push(obj); ctx.contended = null; },
  };
  return 0;
}

/** R18c: never blocks; 1 if acquired. */
export function* dmaResvTrylock(k: Kernel, obj: DmaResv): Proc<number> {
  const r = yield {
    kind: OpKind.Write, obj: obj.id, write: true, label: 'dma_resv_trylock', detail: obj.name,
    apply: () => {
      if (obj.owner !== -1) return 0;
      noteAcquired(k.rt, obj);
      obj.ownerCtx = null;
      return 1;
    },
  };
  return r as number;
}

/** R19, R20: the caller must hold it; reservations end with the hold. */
export function* dmaResvUnlock(k: Kernel, obj: DmaResv): Proc {
  if (obj.owner !== k.rt.current) warn(k, 'R19', `dma_resv_unlock(${obj.name}) by ${k.rt.currentName}, which does not hold it`);
  yield {
    kind: OpKind.Release, obj: obj.id, write: true, label: 'dma_resv_unlock', detail: obj.name,
    apply: () => {
      if (obj.owner !== k.rt.current) return;
      const ctx = obj.ownerCtx;
      if (ctx) ctx.locks = ctx.locks.filter((l) => l !== obj);
      obj.ownerCtx = null;
      obj.maxFences = obj.fences.length;
      noteReleased(k.rt, obj);
    },
  };
}

/** R21: lockdep assertion; returns whether it held. */
export function dmaResvAssertHeld(k: Kernel, obj: DmaResv, fn: string): boolean {
  if (obj.owner === k.rt.current) return true;
  k.rt.report('api-misuse', 'R21', `${fn} called by ${k.rt.currentName} without holding ${obj.name} (dma_resv_assert_held)`);
  return false;
}

/** The rule-book "free" functions: calling them with the resv held is api-misuse. */
export function dmaResvAssertNotHeld(k: Kernel, obj: DmaResv, fn: string, rule = 'R30'): boolean {
  if (obj.owner !== k.rt.current) return true;
  k.rt.report('api-misuse', rule, `${fn} called by ${k.rt.currentName} while holding ${obj.name}`);
  return false;
}

/** R22: at least `n` free slots afterwards (not additive). */
export function dmaResvReserveFences(k: Kernel, obj: DmaResv, n: number): number {
  dmaResvAssertHeld(k, obj, 'dma_resv_reserve_fences');
  obj.maxFences = Math.max(obj.maxFences, obj.fences.length + n);
  return 0;
}

/**
 * R23: adds `fence` with `usage`, replacing a same-context slot that is not later and
 * of the same or weaker usage, or a signalled one; otherwise consumes a reserved slot
 * (BUG if none). Caller holds the lock.
 */
export function* dmaResvAddFence(k: Kernel, obj: DmaResv, fence: DmaFence, usage: DmaResvUsage): Proc {
  const held = dmaResvAssertHeld(k, obj, 'dma_resv_add_fence');
  if (fence.isContainer) warn(k, 'R23', `dma_resv_add_fence(${obj.name}) with container fence ${fence.name}`);
  void held;
  // whether a slot can be reused reads the fences' signalled state, which signals change
  // without the lock: it is decided in the op, which conflicts with them through the list
  const added = yield {
    kind: OpKind.Write, obj: obj.fencesObj, write: true, also: [fence.id], label: 'dma_resv_add_fence',
    detail: `${obj.name} ${fence.name} ${USAGE_NAMES[usage]}`,
    apply: () => {
      const i = obj.fences.findIndex(
        (s) => s.fence.signaled || (s.fence.context === fence.context && s.usage >= usage && !dmaFenceIsLater(k, s.fence, fence)),
      );
      if (i < 0 && obj.fences.length >= obj.maxFences) return false;
      fence.refcount++;
      fence.published = true;
      if (!fence.resvObjs.includes(obj.fencesObj)) fence.resvObjs.push(obj.fencesObj);
      if (i >= 0) {
        const old = obj.fences[i]!.fence;
        obj.fences[i] = { fence, usage };
        if (old !== fence) dmaFencePut(k, old);
      }
      else obj.fences.push({ fence, usage });
      return true;
    },
  };
  if (!added) k.rt.bug('R23', `dma_resv_add_fence(${obj.name}, ${fence.name}) without a reserved slot`);
}

/**
 * R24: every slot whose fence has `context` now holds (`replacement`, `usage`); the old
 * fences' references are dropped. Caller holds the lock.
 */
export function* dmaResvReplaceFences(k: Kernel, obj: DmaResv, context: number, replacement: DmaFence, usage: DmaResvUsage): Proc {
  dmaResvAssertHeld(k, obj, 'dma_resv_replace_fences');
  yield {
    kind: OpKind.Write, obj: obj.fencesObj, write: true, also: [replacement.id], label: 'dma_resv_replace_fences',
    detail: `${obj.name} context ${context} -> ${replacement.name} ${USAGE_NAMES[usage]}`,
    apply: () => {
      for (let i = 0; i < obj.fences.length; i++) {
        const old = obj.fences[i]!.fence;
        if (old.context !== context) continue;
        replacement.refcount++;
        replacement.published = true;
        if (!replacement.resvObjs.includes(obj.fencesObj)) replacement.resvObjs.push(obj.fencesObj);
        obj.fences[i] = { fence: replacement, usage };
        dmaFencePut(k, old);
      }
    },
  };
}

function firstPending(obj: DmaResv, usage: DmaResvUsage): DmaFence | null {
  for (const s of obj.fences) if (s.usage <= usage && !s.fence.signaled) return s.fence;
  return null;
}

/** R25: every fence covered by `usage` signalled; lock not needed. */
export function* dmaResvTestSignaled(k: Kernel, obj: DmaResv, usage: DmaResvUsage): Proc<boolean> {
  const r = yield {
    kind: OpKind.Read, obj: obj.fencesObj, write: false, label: 'dma_resv_test_signaled', detail: `${obj.name} ${USAGE_NAMES[usage]}`,
    apply: () => firstPending(obj, usage) === null,
  };
  return r as boolean;
}

/**
 * The fences covered by `usage` now (a snapshot, as the kernel's iterators give), signalled
 * ones included. Caller holds the lock: the list changes only under it, but a fence's
 * signalled state does not, so it may be read only inside an op that touches the list.
 */
export function dmaResvFences(obj: DmaResv, usage: DmaResvUsage): DmaFence[] {
  return obj.fences.filter((s) => s.usage <= usage).map((s) => s.fence);
}

/**
 * R26: waits for every fence covered by `usage`, re-reading the list after each one.
 * Returns the remaining time (>= 1; 1 when `timeout` is 0 and all are signalled) or 0
 * when the budget ran out. The lock is not needed.
 */
export function* dmaResvWaitTimeout(k: Kernel, obj: DmaResv, usage: DmaResvUsage, timeout: number): Proc<number> {
  if (timeout < 0) { warn(k, 'R10', `dma_resv_wait_timeout(${obj.name}) with negative timeout`); return -ERRNO.EINVAL; }
  let left = timeout;
  for (;;) {
    const f = (yield {
      kind: OpKind.Read, obj: obj.fencesObj, write: false, label: 'dma_resv_wait_timeout',
      detail: `${obj.name} ${USAGE_NAMES[usage]}`, apply: () => firstPending(obj, usage),
    }) as DmaFence | null;
    if (!f) return left === 0 ? 1 : left;
    if (left === 0) return 0;
    const r = yield* dmaFenceWaitTimeout(k, f, left);
    if (r === 0) return 0;
    if (left !== MAX_SCHEDULE_TIMEOUT) left = r;
  }
}
