/**
 * dma_resv in the compiled function* subset (rule book S5-S7, R16-R17, R19-R26): the
 * data-world form of kernel/resv.ts, the same steps, events and violations; the
 * acquire contexts (Wait-Die) are in frame-ww.ts.
 * (linux: drivers/dma-buf/dma-resv.c)
 *
 * The fence slots are a list in the state in the order they were added (what a waiter
 * meets first is observable: R26 waits for the first pending one). An entry is the
 * fence's reference times 4 plus its usage.
 */
import { lock, sched, unlock, type FrameProc } from '../sim/frame-ops.ts';
import type { WwAcquireCtx } from './frame-ww.ts';
import { lockAcquired, lockReleased, simBug, simReport, threadName } from '../sim/frame-sim.ts';
import { indexAt, pushAt, removeAt } from '../sim/store-list.ts';
import { addr, structName, type ImpContext, type Ref } from '../sim/struct.ts';
import { ERRNO } from './errno.ts';
import { dmaFenceIsLater, dmaFencePut, dmaFenceWaitTimeout, MAX_SCHEDULE_TIMEOUT, type DmaFence } from './frame-fence.ts';
import { fenceName, signallingSlot, warn, type KernelCtx } from './frame-kernel.ts';

export const KERNEL = 0;
export const WRITE = 1;
export const READ = 2;
export const BOOKKEEP = 3;
export const USAGE_NAMES = ['KERNEL', 'WRITE', 'READ', 'BOOKKEEP'] as const;

/** struct dma_resv (S5): the ww_mutex's owner slot, the fence slots, the acquire contexts on the lock. */
export interface DmaResv {
  /** 0 free, else the owner's thread id + 1 */
  lock: number;
  /** slot of the fence list's length; its entries follow */
  fences: number;
  /** entries the list has room for */
  cap: number;
  /** slots reserved (R22): the list may grow to this many until the unlock */
  maxFences: number;
  /** the acquire context the lock was taken with, 0 for none */
  ownerCtx: Ref<WwAcquireCtx>;
  /** slot of the list of contexts blocked on the lock, in arrival order (Wait-Die, R18), and its room */
  waiters: number;
  waiterCap: number;
}


/** The reservation object's name in events (`gpu0-buf.resv`): its lock field is `NAME.lock`. */
export function resvName(k: KernelCtx, obj: Ref<DmaResv>): string {
  return structName(k.s, obj);
}

export function resvEvent(k: KernelCtx, label: string, obj: Ref<DmaResv>, what: string): void {
  if (k.out.records) k.out.event(k.tid, label, what === '' ? resvName(k, obj) : `${resvName(k, obj)} ${what}`);
}

/** Entry `i` of a list held by a struct field (`len`, the list's length slot; store-list.ts). */
export function slotEntry(k: KernelCtx, len: number, i: number): number {
  return k.s.get(len + 1 + i);
}

export function entryFence(k: KernelCtx, obj: Ref<DmaResv>, i: number): Ref<DmaFence> {
  return (slotEntry(k, obj.fences, i) >> 2) as Ref<DmaFence>;
}

export function entryUsage(k: KernelCtx, obj: Ref<DmaResv>, i: number): number {
  return slotEntry(k, obj.fences, i) & 3;
}

export function fenceCount(k: KernelCtx, obj: Ref<DmaResv>): number {
  return k.s.get(obj.fences);
}

function setEntry(k: KernelCtx, obj: Ref<DmaResv>, i: number, fence: Ref<DmaFence>, usage: number): void {
  k.s.set(obj.fences + 1 + i, fence * 4 + usage);
}

/** R17 */
export function dmaResvUsageRw(write: boolean): number {
  return write ? READ : WRITE;
}

/** R13: taking a resv lock inside a fence signalling critical section. */
export function checkSignalling(k: KernelCtx, obj: Ref<DmaResv>, fn: string): void {
  if (k.s.get(signallingSlot(k)) > 0) simReport(k, 'api-misuse', 'R13', `${fn}(${resvName(k, obj)}) by ${threadName(k)} inside a fence signalling critical section`);
}

/**
 * R18 without an acquire context: blocks until free (taking a lock the caller holds is a
 * self-deadlock, P8) and returns 0. One step, a lock acquisition.
 */
export function* dmaResvLock(k: KernelCtx, obj: Ref<DmaResv>): FrameProc<number> {
  checkSignalling(k, obj, 'dma_resv_lock');
  if (obj.lock === k.tid + 1) simReport(k, 'deadlock', 'R18', `${threadName(k)} takes ${resvName(k, obj)} which it already holds`);
  yield lock(addr(obj.lock));
  resvEvent(k, 'dma_resv_lock', obj, '');
  resvTake(k, obj);
  return 0;
}

/** Appends `v` to the list at slot `list` with room `cap` (store-list.ts pushAt); a full list is a model bug. */
export function pushSlot(k: KernelCtx, list: number, cap: number, v: number, what: string): void {
  if (!pushAt(k.s, list, cap, v)) throw new Error(`model bug: ${what} has room for ${cap}`);
}

/** Removes the first `v` from the list at slot `list`, keeping the others' order. */
export function dropSlot(k: KernelCtx, list: number, v: number): void {
  const i = indexAt(k.s, list, v);
  if (i >= 0) removeAt(k.s, list, i);
}

/**
 * The bookkeeping of the running thread's taking of `obj`'s lock, once the owner slot is
 * its own (its lock op took it, or the caller wrote it): lockdep and the held list, and
 * no acquire context (the context paths set theirs after).
 */
export function resvTake(k: KernelCtx, obj: Ref<DmaResv>): void {
  lockAcquired(k, addr(obj.lock));
  obj.ownerCtx = 0 as Ref<WwAcquireCtx>;
}

/** R18c: never blocks; 1 if acquired. One step. */
export function* dmaResvTrylock(k: KernelCtx, obj: Ref<DmaResv>): FrameProc<number> {
  yield sched();
  resvEvent(k, 'dma_resv_trylock', obj, '');
  if (obj.lock !== 0) return 0;
  obj.lock = k.tid + 1;
  resvTake(k, obj);
  return 1;
}

/** R19, R20: the caller must hold it; the reservations end with the hold. One step. */
export function* dmaResvUnlock(k: KernelCtx, obj: Ref<DmaResv>): FrameProc {
  const mine = obj.lock === k.tid + 1;
  if (!mine) warn(k, 'R19', `dma_resv_unlock(${resvName(k, obj)}) by ${threadName(k)}, which does not hold it`);
  // a lock the thread does not hold is not touched: only the owner's unlock releases
  yield unlock(addr(obj.lock));
  resvEvent(k, 'dma_resv_unlock', obj, '');
  if (!mine) return;
  if (obj.ownerCtx !== 0) dropSlot(k, obj.ownerCtx.locks, obj);
  obj.ownerCtx = 0 as Ref<WwAcquireCtx>;
  obj.maxFences = fenceCount(k, obj);
  lockReleased(k, addr(obj.lock));
}

/** R21: lockdep assertion; returns whether it held. */
export function dmaResvAssertHeld(k: KernelCtx, obj: Ref<DmaResv>, fn: string): boolean {
  if (obj.lock === k.tid + 1) return true;
  simReport(k, 'api-misuse', 'R21', `${fn} called by ${threadName(k)} without holding ${resvName(k, obj)} (dma_resv_assert_held)`);
  return false;
}

/** The rule-book "free" functions: calling them with the resv held is api-misuse. */
export function dmaResvAssertNotHeld(k: KernelCtx, obj: Ref<DmaResv>, fn: string, rule: string): boolean {
  if (obj.lock !== k.tid + 1) return true;
  simReport(k, 'api-misuse', rule, `${fn} called by ${threadName(k)} while holding ${resvName(k, obj)}`);
  return false;
}

/** R22: at least `n` free slots afterwards (not additive). */
export function dmaResvReserveFences(k: KernelCtx, obj: Ref<DmaResv>, n: number): number {
  dmaResvAssertHeld(k, obj, 'dma_resv_reserve_fences');
  if (fenceCount(k, obj) + n > obj.cap) throw new Error(`model bug: ${resvName(k, obj)} has room for ${obj.cap} fences`);
  obj.maxFences = Math.max(obj.maxFences, fenceCount(k, obj) + n);
  return 0;
}

/** A fence added to `obj`: a reference more, published (R23, R24). */
function publish(k: KernelCtx, fence: Ref<DmaFence>): void {
  fence.refcount++;
  fence.published = true;
}

/**
 * R23: adds `fence` with `usage`, replacing a same-context slot that is not later and of
 * the same or weaker usage, or a signalled one; otherwise consumes a reserved slot (a BUG
 * if none). Caller holds the lock. One step: whether a slot can be reused reads the
 * fences' signalled state, which signals change without the lock.
 */
export function* dmaResvAddFence(k: KernelCtx, obj: Ref<DmaResv>, fence: Ref<DmaFence>, usage: number): FrameProc {
  dmaResvAssertHeld(k, obj, 'dma_resv_add_fence');
  if (fence.isContainer) warn(k, 'R23', `dma_resv_add_fence(${resvName(k, obj)}) with container fence ${fenceName(k, fence)}`);
  yield sched();
  resvEvent(k, 'dma_resv_add_fence', obj, `${fenceName(k, fence)} ${USAGE_NAMES[usage]}`);
  if (!addFenceLocked(k, obj, fence, usage)) simBug(k, 'R23', `dma_resv_add_fence(${resvName(k, obj)}, ${fenceName(k, fence)}) without a reserved slot`);
}

/** The list update of R23; false (nothing changed) when a new slot is needed and none is reserved. */
export function addFenceLocked(k: KernelCtx, obj: Ref<DmaResv>, fence: Ref<DmaFence>, usage: number): boolean {
  const n = fenceCount(k, obj);
  let i = 0;
  while (i < n) {
    const old = entryFence(k, obj, i);
    if (old.signaled || (old.context === fence.context && entryUsage(k, obj, i) >= usage && !dmaFenceIsLater(k, old, fence))) break;
    i++;
  }
  if (i === n && n >= obj.maxFences) return false;
  publish(k, fence);
  if (i < n) {
    const old = entryFence(k, obj, i);
    setEntry(k, obj, i, fence, usage);
    if (old !== fence) dmaFencePut(k, old);
  } else {
    setEntry(k, obj, n, fence, usage);
    k.s.set(obj.fences, n + 1);
  }
  return true;
}

/**
 * R24: every slot whose fence has `context` now holds (`replacement`, `usage`); the old
 * fences' references are dropped. Caller holds the lock. One step.
 */
export function* dmaResvReplaceFences(k: KernelCtx, obj: Ref<DmaResv>, context: ImpContext, replacement: Ref<DmaFence>, usage: number): FrameProc {
  dmaResvAssertHeld(k, obj, 'dma_resv_replace_fences');
  yield sched();
  resvEvent(k, 'dma_resv_replace_fences', obj, `context ${context} -> ${fenceName(k, replacement)} ${USAGE_NAMES[usage]}`);
  for (let i = 0; i < fenceCount(k, obj); i++) {
    const old = entryFence(k, obj, i);
    if (old.context !== context) continue;
    publish(k, replacement);
    setEntry(k, obj, i, replacement, usage);
    dmaFencePut(k, old);
  }
}

/** The first fence covered by `usage` that is not signalled, in list order; 0 when none. */
export function firstPending(k: KernelCtx, obj: Ref<DmaResv>, usage: number): Ref<DmaFence> {
  for (let i = 0; i < fenceCount(k, obj); i++) {
    const f = entryFence(k, obj, i);
    if (entryUsage(k, obj, i) <= usage && !f.signaled) return f;
  }
  return 0 as Ref<DmaFence>;
}

/** R25: every fence covered by `usage` signalled; lock not needed. One step. */
export function* dmaResvTestSignaled(k: KernelCtx, obj: Ref<DmaResv>, usage: number): FrameProc<boolean> {
  yield sched();
  resvEvent(k, 'dma_resv_test_signaled', obj, USAGE_NAMES[usage]!);
  return firstPending(k, obj, usage) === 0;
}

/**
 * R26: waits for every fence covered by `usage`, re-reading the list after each one.
 * Returns the remaining time (>= 1; 1 when `timeout` is 0 and all are signalled) or 0
 * when the budget ran out. The lock is not needed.
 */
export function* dmaResvWaitTimeout(k: KernelCtx, obj: Ref<DmaResv>, usage: number, timeout: number): FrameProc<number> {
  if (timeout < 0) {
    warn(k, 'R10', `dma_resv_wait_timeout(${resvName(k, obj)}) with negative timeout`);
    return -ERRNO.EINVAL;
  }
  let left = timeout;
  for (;;) {
    yield sched();
    resvEvent(k, 'dma_resv_wait_timeout', obj, USAGE_NAMES[usage]!);
    const f = firstPending(k, obj, usage);
    if (f === 0) return left === 0 ? 1 : left;
    if (left === 0) return 0;
    const r = yield* dmaFenceWaitTimeout(k, f, left);
    if (r === 0) return 0;
    if (left !== MAX_SCHEDULE_TIMEOUT) left = r;
  }
}
