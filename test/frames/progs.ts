// Small models in the compiled function* subset (scripts/compile-frames.ts): locks, waits,
// loops, early returns and nested yield* calls with return values. `npm run frames` compiles
// them to progs.frames.ts; test/frames.test.ts runs both forms under the same schedules.
import type { StoreLayout } from '../../src/sim/store.ts';
import { lock, sched, unlock, waitEq, type FrameCtx, type FrameProc } from '../../src/sim/frame-ops.ts';

/** Shared slots, registered first by `sharedFields`. */
export const X = 0;
export const Y = 1;
export const L0 = 2;
export const L1 = 3;
export const FLAG = 4;
export const SHARED = 5;

export function sharedFields(layout: StoreLayout): void {
  for (const name of ['x', 'y', 'l0', 'l1', 'flag']) layout.field(name);
  if (layout.size !== SHARED) throw new Error('progs: shared fields must come first');
}

/** A plain helper: reads a shared slot and reports the read as an event. */
export function rd(k: FrameCtx, slot: number): number {
  const v = k.s.get(slot);
  k.out.event(k.tid, `read ${k.s.layout.slotName(slot)} = ${v}`);
  return v;
}

export function wr(k: FrameCtx, slot: number, v: number): void {
  k.s.set(slot, v);
  k.out.event(k.tid, `write ${k.s.layout.slotName(slot)} = ${v}`);
}

/** Adds `by` to x under l0; returns the value it read. */
export function* incLocked(k: FrameCtx, by: number): FrameProc<number> {
  yield lock(L0);
  const v = rd(k, X);
  yield sched();
  wr(k, X, v + by);
  yield unlock(L0);
  return v;
}

/** Adds 1 to x `n` times without a lock (lost updates). */
export function* racyInc(k: FrameCtx, n: number): FrameProc {
  for (let i = 0; i < n; i++) {
    const v = rd(k, X);
    yield sched();
    wr(k, X, v + 1);
  }
}

/** Waits for the flag; returns whether x passed 1 by then. */
export function* waiter(k: FrameCtx): FrameProc<boolean> {
  yield waitEq(FLAG, 1);
  return rd(k, X) > 1;
}

/** Locked increments until the total read passes 3 or `n` are done, then raises the flag. */
export function* setter(k: FrameCtx, n: number): FrameProc<number> {
  let total = 0;
  let i = 0;
  while (true) {
    if (i >= n) break;
    const got = yield* incLocked(k, i + 1);
    total += got;
    i++;
    if (total > 3) continue;
    yield sched();
  }
  wr(k, FLAG, 1);
  return total;
}

/** Recursion: each level returns one more than the level below; y accumulates. */
export function* nested(k: FrameCtx, depth: number): FrameProc<number> {
  if (depth === 0) {
    yield sched();
    return rd(k, Y);
  }
  const r = yield* nested(k, depth - 1);
  wr(k, Y, r + depth);
  return r + 1;
}

/** Takes both locks in an order chosen by `first`: two of these can deadlock (ABBA). */
export function* twoLocks(k: FrameCtx, first: boolean): FrameProc<boolean> {
  if (first) {
    yield lock(L0);
    yield lock(L1);
  } else {
    yield lock(L1);
    yield lock(L0);
  }
  const seen = rd(k, Y) !== 0;
  wr(k, Y, first ? 1 : 2);
  yield unlock(L0);
  yield unlock(L1);
  return seen;
}

/** A do-while countdown, then a wait through a nested call and a branch on its result. */
export function* countdown(k: FrameCtx, n: number): FrameProc {
  let i = n;
  do {
    yield sched();
    i--;
  } while (i > 0);
  const ok = yield* waiter(k);
  if (!ok) {
    wr(k, Y, 7);
    return;
  }
  wr(k, Y, rd(k, Y) + 1);
}

/** Unlocks a lock it does not hold when `bad` (an api-misuse event), with an early return in a loop. */
export function* misuse(k: FrameCtx, bad: boolean, n: number): FrameProc<number> {
  for (let j = 0; j < n; j++) {
    if (bad && j === 1) {
      yield unlock(L1);
      return j;
    }
    yield* racyInc(k, 1);
  }
  return -1;
}

/** A switch on x in a loop: grouped cases, break, continue of the loop, default. */
export function* switcher(k: FrameCtx, n: number): FrameProc<number> {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    switch (rd(k, X) % 4) {
      case 0:
        yield lock(L0);
        acc += 1;
        yield unlock(L0);
        break;
      case 1:
      case 2: {
        yield sched();
        if (acc > 20) continue;
        acc += 10;
        break;
      }
      default:
        acc = -1;
    }
    wr(k, Y, acc);
  }
  return acc;
}
