/**
 * A scenario thread in the compiled function* subset (the data-world form of world.ts's
 * runStep loop): each step's text, the exporter or importer op it names called through
 * the op's function id, then the step's outcome; at the end the checks of a thread that
 * returns to user space (P7). `npm run frames` compiles this file to frame-steps.frames.ts.
 */
import { invoke, type FrameCtx, type FrameProc } from '../sim/frame-ops.ts';
import type { Tid } from '../sim/struct.ts';
import { threadExit } from '../sim/frame-sim.ts';
import { errnoText } from '../kernel/errno.ts';
import { fenceThreadExit } from '../kernel/frame-fence.ts';
import type { DriverFrameEnv } from '../drivers/frame-env.ts';

/** One scenario step as numbers (the text stays in the table for events). */
export interface FrameStep {
  readonly text: string;
  readonly exporter: boolean;
  /** EXP_OPS or IMP_OPS index */
  readonly op: number;
  /** exporter steps: the trigger index; importer steps: the importer index */
  readonly arg: number;
  readonly count: number;
  readonly write: boolean;
}

export interface StepsEnv extends DriverFrameEnv {
  readonly scenario: {
    readonly steps: readonly (readonly FrameStep[])[];
    /** function ids: the exporter's op (op, trigger) and each importer's (imp, op, count, write) */
    readonly exporterOp: number;
    readonly importerOps: readonly number[];
  };
}

export type StepsCtx = FrameCtx<StepsEnv>;

export function stepCount(k: StepsCtx, t: number): number {
  return k.env.scenario.steps[t]!.length;
}

export function stepOf(k: StepsCtx, t: number, i: number): FrameStep {
  return k.env.scenario.steps[t]![i]!;
}

/** The step's text as its first event; `done`: its outcome after it (failed with the errno). */
export function stepEvent(k: StepsCtx, t: number, i: number, done: boolean, r: number): void {
  if (!k.out.records) return;
  const text = stepOf(k, t, i).text;
  if (!done) k.out.event(k.tid, text, undefined);
  else if (r < 0) k.out.event(k.tid, `${text} failed`, errnoText(r));
  else k.out.event(k.tid, `${text} done`, undefined);
}

export function isExporterStep(k: StepsCtx, t: number, i: number): boolean {
  return stepOf(k, t, i).exporter;
}

export function stepOp(k: StepsCtx, t: number, i: number): number {
  return stepOf(k, t, i).op;
}

export function stepArg(k: StepsCtx, t: number, i: number): number {
  return stepOf(k, t, i).arg;
}

export function stepN(k: StepsCtx, t: number, i: number): number {
  return stepOf(k, t, i).count;
}

export function stepWrite(k: StepsCtx, t: number, i: number): boolean {
  return stepOf(k, t, i).write;
}

export function importerOpOf(k: StepsCtx, t: number, i: number): number {
  return k.env.scenario.importerOps[stepArg(k, t, i)]!;
}

/** Scenario thread `t`: its steps in order, then the checks of a return to user space. */
export function* scenarioThread(k: StepsCtx, t: Tid): FrameProc {
  let i = 0;
  while (i < stepCount(k, t)) {
    stepEvent(k, t, i, false, 0);
    let r = 0;
    if (isExporterStep(k, t, i)) r = yield* invoke(k, k.env.scenario.exporterOp, stepOp(k, t, i), stepArg(k, t, i));
    else r = yield* invoke(k, importerOpOf(k, t, i), stepArg(k, t, i), stepOp(k, t, i), stepN(k, t, i), stepWrite(k, t, i));
    stepEvent(k, t, i, true, r);
    i++;
  }
  threadExit(k);
  fenceThreadExit(k);
}
