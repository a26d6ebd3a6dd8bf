// Generated programs over the subset's dma_resv (src/kernel/frame-resv.ts) and the fences
// in it: one thread interprets its instruction list. `npm run frames` compiles this file
// to resv-progs.frames.ts; test/frames-resv.test.ts runs the same programs on the
// generator kernel (kernel/resv.ts).
import type { FrameCtx, FrameProc } from '../../src/sim/frame-ops.ts';
import { threadExit } from '../../src/sim/frame-sim.ts';
import type { Ref } from '../../src/sim/struct.ts';
import type { FrameKernelEnv } from '../../src/kernel/frame-kernel.ts';
import { dmaFenceSignal, fenceThreadExit, type DmaFence } from '../../src/kernel/frame-fence.ts';
import {
  dmaResvAddFence, dmaResvAssertHeld, dmaResvLock, dmaResvReplaceFences, dmaResvReserveFences, dmaResvTestSignaled, dmaResvTrylock, dmaResvUnlock,
  dmaResvWaitTimeout, type DmaResv,
} from '../../src/kernel/frame-resv.ts';
import { dmaResvLockCtx, dmaResvLockSlow, wwAcquireFini, type WwAcquireCtx } from '../../src/kernel/frame-ww.ts';
import { length, note, word, type ProgResults } from './prog-code.ts';

/** Instruction codes: an instruction is code * 4096 + resv * 256 + fence * 16 + n (a usage, a count). */
export const LOCK = 0;
export const TRYLOCK = 1;
export const UNLOCK = 2;
export const RESERVE = 3;
export const ADD = 4;
export const REPLACE = 5;
export const TEST = 6;
export const WAIT = 7;
export const WAIT_TIMEOUT = 8;
export const WAIT_POLL = 9;
export const SIGNAL = 10;
export const ASSERT_HELD = 11;
/** with the thread's own acquire context (n bit 0: the interruptible form) */
export const LOCK_CTX = 12;
export const LOCK_SLOW = 13;
export const FINI = 14;

export interface ResvProgEnv extends FrameKernelEnv, ProgResults {
  readonly resvs: readonly number[];
  /** by thread: its acquire context */
  readonly ctxs: readonly number[];
  readonly fences: readonly number[];
  /** the wait without a timeout, as this world writes it */
  readonly forever: number;
}

export type ResvProgCtx = FrameCtx<ResvProgEnv>;

export function resvOf(k: ResvProgCtx, w: number): Ref<DmaResv> {
  return k.env.resvs[(w >> 8) & 15]! as Ref<DmaResv>;
}

export function fenceOf(k: ResvProgCtx, w: number): Ref<DmaFence> {
  return k.env.fences[(w >> 4) & 15]! as Ref<DmaFence>;
}

export function ownCtx(k: ResvProgCtx): Ref<WwAcquireCtx> {
  return k.env.ctxs[k.tid]! as Ref<WwAcquireCtx>;
}

export function* resvThread(k: ResvProgCtx): FrameProc {
  for (let i = 0; i < length(k); i++) {
    const w = word(k, i);
    const obj = resvOf(k, w);
    const f = fenceOf(k, w);
    const n = w & 15;
    switch (w >> 12) {
      case LOCK: {
        const r = yield* dmaResvLock(k, obj);
        note(k, r);
        break;
      }
      case TRYLOCK: {
        const r = yield* dmaResvTrylock(k, obj);
        note(k, r);
        break;
      }
      case UNLOCK:
        yield* dmaResvUnlock(k, obj);
        break;
      case RESERVE:
        note(k, dmaResvReserveFences(k, obj, n));
        break;
      case ADD:
        yield* dmaResvAddFence(k, obj, f, n);
        break;
      case REPLACE:
        yield* dmaResvReplaceFences(k, obj, f.context, f, n);
        break;
      case TEST: {
        const ok = yield* dmaResvTestSignaled(k, obj, n);
        note(k, ok ? 1 : 0);
        break;
      }
      case WAIT: {
        const r = yield* dmaResvWaitTimeout(k, obj, n, k.env.forever);
        note(k, r);
        break;
      }
      case WAIT_TIMEOUT: {
        const r = yield* dmaResvWaitTimeout(k, obj, n, 3);
        note(k, r);
        break;
      }
      case WAIT_POLL: {
        const r = yield* dmaResvWaitTimeout(k, obj, n, 0);
        note(k, r);
        break;
      }
      case SIGNAL: {
        const r = yield* dmaFenceSignal(k, f);
        note(k, r);
        break;
      }
      case LOCK_CTX: {
        const r = yield* dmaResvLockCtx(k, obj, ownCtx(k), (n & 1) === 1);
        note(k, r);
        break;
      }
      case LOCK_SLOW: {
        const r = yield* dmaResvLockSlow(k, obj, ownCtx(k), (n & 1) === 1);
        note(k, r);
        break;
      }
      case FINI:
        wwAcquireFini(k, ownCtx(k));
        break;
      default:
        note(k, dmaResvAssertHeld(k, obj, 'test') ? 1 : 0);
    }
  }
  threadExit(k);
  fenceThreadExit(k);
}
