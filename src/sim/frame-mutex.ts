/**
 * A sleeping mutex in the compiled function* subset (docs/design.md "Authoring models"),
 * the data-world form of sim/mutex.ts: the same steps, events and violations. A mutex is
 * its owner slot (FrameSimBuilder.mutex): 0 when free, else the owner's thread id + 1.
 * `npm run frames` compiles this file to frame-mutex.frames.ts.
 */
import { lock, unlock, type FrameProc } from './frame-ops.ts';
import { noteAcquired, noteReleased, simReport, threadName, type SimCtx } from './frame-sim.ts';
import type { AnyRef } from './struct.ts';

/**
 * mutex_lock: blocks until `m` is free, then takes it (one step). Taking a lock the caller
 * already holds is a self-deadlock (P8): reported, and the thread then blocks for ever.
 */
export function* mutexLock(k: SimCtx, m: AnyRef): FrameProc {
  if (k.s.get(m) === k.tid + 1) simReport(k, 'deadlock', 'P8', `${threadName(k)} takes ${k.s.layout.slotName(m)} which it already holds`);
  yield lock(m);
  noteAcquired(k, m);
}

/** mutex_unlock (one step); releasing a lock the caller does not hold is api-misuse (P7). */
export function* mutexUnlock(k: SimCtx, m: AnyRef): FrameProc {
  if (k.s.get(m) !== k.tid + 1) simReport(k, 'api-misuse', 'P7', `${threadName(k)} unlocks ${k.s.layout.slotName(m)} which it does not hold`);
  yield unlock(m);
  noteReleased(k, m);
}
