// Generated programs over the subset's sync primitives (src/sim/frame-mutex.ts,
// frame-completion.ts), called across files: one thread interprets its instruction list.
// `npm run frames` compiles this file to sync-progs.frames.ts; test/frames-sync.test.ts
// runs it against the same programs on the generator runtime with sim/mutex.ts and
// sim/completion.ts.
import type { FrameCtx, FrameProc } from '../../src/sim/frame-ops.ts';
import { threadExit, type FrameSimEnv } from '../../src/sim/frame-sim.ts';
import { mutexLock, mutexUnlock } from '../../src/sim/frame-mutex.ts';
import { complete, reinitCompletion, waitForCompletion, waitForCompletionTimeout } from '../../src/sim/frame-completion.ts';
import { length, note, type ProgResults } from './prog-code.ts';

/** Instruction codes: an instruction is code * 16 + argument (a mutex or completion index). */
export const LOCK = 0;
export const UNLOCK = 1;
export const COMPLETE = 2;
export const REINIT = 3;
export const WAIT = 4;
export const WAIT_TIMEOUT = 5;

export interface SyncEnv extends FrameSimEnv, ProgResults {
  /** owner slots of the mutexes, slots of the completions */
  readonly mutexes: readonly number[];
  readonly completions: readonly number[];
}

export type SyncCtx = FrameCtx<SyncEnv>;

export function opAt(k: SyncCtx, i: number): number {
  return k.env.code[k.tid]![i]! >> 4;
}

export function argAt(k: SyncCtx, i: number): number {
  return k.env.code[k.tid]![i]! & 15;
}

/** A scenario thread: its instructions in order, then the held-locks check at its return. */
export function* syncThread(k: SyncCtx): FrameProc {
  for (let i = 0; i < length(k); i++) {
    const a = argAt(k, i);
    switch (opAt(k, i)) {
      case LOCK:
        yield* mutexLock(k, k.env.mutexes[a]!);
        break;
      case UNLOCK:
        yield* mutexUnlock(k, k.env.mutexes[a]!);
        break;
      case COMPLETE:
        yield* complete(k, k.env.completions[a]!);
        break;
      case REINIT:
        yield* reinitCompletion(k, k.env.completions[a]!);
        break;
      case WAIT:
        yield* waitForCompletion(k, k.env.completions[a]!);
        break;
      default: {
        const r = yield* waitForCompletionTimeout(k, k.env.completions[a]!, 5);
        note(k, r);
      }
    }
  }
  threadExit(k);
}
