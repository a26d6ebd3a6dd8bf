// What the generated test programs of test/frames/*-progs.ts share: each thread
// interprets its own instruction list, and records what its calls returned.
import type { FrameCtx } from '../../src/sim/frame-ops.ts';

/** The part of a test program's env these helpers read: by thread, its instructions. */
export interface ProgCode {
  readonly code: readonly (readonly number[])[];
}

/** By thread, what its calls returned (a test's side channel, not state). */
export interface ProgResults extends ProgCode {
  readonly results: number[][];
}

/** The running thread's instruction count. */
export function length(k: FrameCtx<ProgCode>): number {
  return k.env.code[k.tid]!.length;
}

/** The running thread's instruction `i`. */
export function word(k: FrameCtx<ProgCode>, i: number): number {
  return k.env.code[k.tid]![i]!;
}

/** Records a result of the running thread. */
export function note(k: FrameCtx<ProgResults>, r: number): void {
  k.env.results[k.tid]!.push(r);
}
