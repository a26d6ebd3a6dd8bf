// Calls through function ids held in the state (`yield* invoke(k, fn, ...)`), as the
// kernel calls an exporter's ops. `npm run frames` compiles this file to
// invoke-progs.frames.ts; test/frames.test.ts runs it.
import { invoke, sched, type FrameCtx, type FrameProc } from '../../src/sim/frame-ops.ts';

export interface InvokeEnv {
  /** the slot holding the function id the caller invokes */
  readonly op: number;
}

export type InvokeCtx = FrameCtx<InvokeEnv>;

export function* double(k: InvokeCtx, x: number): FrameProc<number> {
  yield sched();
  return x * 2;
}

export function* addIf(k: InvokeCtx, x: number, add: boolean): FrameProc<number> {
  return add ? x + 1 : x;
}

/** Invokes the op in the slot with `x`; returns its value plus 100. */
export function* caller(k: InvokeCtx, x: number): FrameProc<number> {
  const r = yield* invoke(k, k.s.get(k.env.op), x);
  return r + 100;
}
