// Generated programs over the subset's dma_fence (src/kernel/frame-fence.ts): one thread
// interprets its instruction list, calling across files into the fence module. `npm run
// frames` compiles this file to fence-progs.frames.ts; test/frames-fence.test.ts runs the
// same programs on the generator kernel (kernel/fence.ts).
import type { FrameCtx, FrameProc } from '../../src/sim/frame-ops.ts';
import { threadExit } from '../../src/sim/frame-sim.ts';
import type { Ref } from '../../src/sim/struct.ts';
import type { FrameKernelEnv } from '../../src/kernel/frame-kernel.ts';
import {
  dmaFenceAddCallback, dmaFenceBeginSignalling, dmaFenceCheckAndSignal, dmaFenceEndSignalling, dmaFenceGet, dmaFenceGetStatus, dmaFenceIsLaterOrSame,
  dmaFencePut, dmaFencePutOp, dmaFenceRemoveCallback, dmaFenceSetError, dmaFenceSignal, dmaFenceWait, dmaFenceWaitTimeout, fenceThreadExit,
  type DmaFence, type DmaFenceCb,
} from '../../src/kernel/frame-fence.ts';
import { length, note, type ProgResults } from './prog-code.ts';

/** Instruction codes: an instruction is code * 256 + a * 16 + b (fence, callback or second fence indices). */
export const SIGNAL = 0;
export const CHECK_SIGNAL = 1;
export const WAIT = 2;
export const WAIT_TIMEOUT = 3;
export const WAIT_NEGATIVE = 4;
export const ADD_CB = 5;
export const REMOVE_CB = 6;
export const PUT_OP = 7;
export const GET = 8;
export const PUT = 9;
export const SET_ERROR = 10;
export const STATUS = 11;
export const IS_LATER = 12;
export const BEGIN_SIGNALLING = 13;
export const END_SIGNALLING = 14;

export interface FenceProgEnv extends FrameKernelEnv, ProgResults {
  readonly fences: readonly number[];
  readonly cbs: readonly number[];
}

export type FenceProgCtx = FrameCtx<FenceProgEnv>;

export function opAt(k: FenceProgCtx, i: number): number {
  return k.env.code[k.tid]![i]! >> 8;
}

export function fenceAt(k: FenceProgCtx, i: number): Ref<DmaFence> {
  return k.env.fences[(k.env.code[k.tid]![i]! >> 4) & 15]! as Ref<DmaFence>;
}

/** The second operand as a fence (IS_LATER) or a callback (ADD_CB, REMOVE_CB). */
export function otherFence(k: FenceProgCtx, i: number): Ref<DmaFence> {
  return k.env.fences[k.env.code[k.tid]![i]! & 15]! as Ref<DmaFence>;
}

export function cbAt(k: FenceProgCtx, i: number): Ref<DmaFenceCb> {
  return k.env.cbs[k.env.code[k.tid]![i]! & 15]! as Ref<DmaFenceCb>;
}

/** The error SET_ERROR sets: a valid errno, or a positive value the rule book refuses. */
export function errorAt(k: FenceProgCtx, i: number): number {
  return (k.env.code[k.tid]![i]! & 15) === 0 ? -5 : 3;
}

/** A scenario thread: its instructions in order, then the exit checks (locks, signalling). */
export function* fenceThread(k: FenceProgCtx): FrameProc {
  for (let i = 0; i < length(k); i++) {
    const f = fenceAt(k, i);
    switch (opAt(k, i)) {
      case SIGNAL: {
        const r = yield* dmaFenceSignal(k, f);
        note(k, r);
        break;
      }
      case CHECK_SIGNAL: {
        const was = yield* dmaFenceCheckAndSignal(k, f);
        note(k, was ? 1 : 0);
        break;
      }
      case WAIT: {
        const r = yield* dmaFenceWait(k, f);
        note(k, r);
        break;
      }
      case WAIT_TIMEOUT: {
        const r = yield* dmaFenceWaitTimeout(k, f, 3);
        note(k, r);
        break;
      }
      case WAIT_NEGATIVE: {
        const r = yield* dmaFenceWaitTimeout(k, f, -1);
        note(k, r);
        break;
      }
      case ADD_CB: {
        const r = yield* dmaFenceAddCallback(k, f, cbAt(k, i));
        note(k, r);
        break;
      }
      case REMOVE_CB: {
        const removed = yield* dmaFenceRemoveCallback(k, f, cbAt(k, i));
        note(k, removed ? 1 : 0);
        break;
      }
      case PUT_OP:
        yield* dmaFencePutOp(k, f);
        break;
      case GET:
        dmaFenceGet(k, f);
        break;
      case PUT:
        dmaFencePut(k, f);
        break;
      case SET_ERROR:
        dmaFenceSetError(k, f, errorAt(k, i));
        break;
      case STATUS:
        note(k, dmaFenceGetStatus(k, f));
        break;
      case IS_LATER:
        note(k, dmaFenceIsLaterOrSame(k, f, otherFence(k, i)) ? 1 : 0);
        break;
      case BEGIN_SIGNALLING:
        note(k, dmaFenceBeginSignalling(k) ? 1 : 0);
        break;
      default:
        dmaFenceEndSignalling(k);
    }
  }
  threadExit(k);
  fenceThreadExit(k);
}
