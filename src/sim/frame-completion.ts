/**
 * Completions in the compiled function* subset, the data-world form of sim/completion.ts
 * (linux: kernel/sched/completion.c): `complete()` releases one waiter and each wait
 * consumes it. A completion is one slot (FrameSimBuilder.completion), its count of
 * completions not yet consumed. Each function is one step, as in the generator form.
 * `npm run frames` compiles this file to frame-completion.frames.ts.
 */
import { sched, waitGt, type FrameProc } from './frame-ops.ts';
import { simEvent, type SimCtx } from './frame-sim.ts';
import type { AnyRef } from './struct.ts';

export function* complete(k: SimCtx, c: AnyRef): FrameProc {
  yield sched();
  simEvent(k, 'complete', c);
  k.s.set(c, k.s.get(c) + 1);
}

/** reinit_completion: re-arms the completion. */
export function* reinitCompletion(k: SimCtx, c: AnyRef): FrameProc {
  yield sched();
  simEvent(k, 'reinit_completion', c);
  k.s.set(c, 0);
}

/** wait_for_completion: blocks until completed, consumes it. */
export function* waitForCompletion(k: SimCtx, c: AnyRef): FrameProc {
  yield waitGt(c, 0);
  simEvent(k, 'wait_for_completion', c);
  k.s.set(c, k.s.get(c) - 1);
}

/**
 * wait_for_completion_timeout with a finite timeout: always runnable; if it runs while
 * the completion is not done, it times out (the explorer's choice, rule book §0 "Time").
 * Returns the remaining time (>= 1) or 0 on timeout.
 */
export function* waitForCompletionTimeout(k: SimCtx, c: AnyRef, timeout: number): FrameProc<number> {
  yield sched();
  simEvent(k, 'wait_for_completion_timeout', c);
  if (k.s.get(c) > 0) {
    k.s.set(c, k.s.get(c) - 1);
    return Math.max(1, timeout);
  }
  return 0;
}
