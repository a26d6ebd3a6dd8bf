/**
 * Ops of the data world's threads: what a `function*` model in the compiled subset
 * yields (docs/design.md "Authoring models"). An op is three ints so that a compiled
 * thread can keep its pending op in store slots; the generator form yields the same
 * record. The op is the guard and the first effect of the thread's *next* step: the step
 * is disabled while the guard is false, and then runs the effect and the code up to the
 * next yield as one atomic step (rule book §0 "Atomicity").
 */
import type { Store } from './store.ts';
import type { PropertyId } from './violation.ts';

export const enum FrameOpKind {
  /** no pending op (a thread not yet started, or finished) */
  None = 0,
  /** a scheduling point with no guard and no effect */
  Sched = 1,
  /** mutex_lock on the owner slot `a` (0 free, else owner tid + 1): blocks while held */
  Lock = 2,
  /** mutex_unlock of the owner slot `a`: a misuse when the thread does not hold it */
  Unlock = 3,
  /** waits until slot `a` holds `b` (a fence signalled, a completion done) */
  WaitEq = 4,
  /** waits until the model's guard `a` holds for argument `b` (a condition over several slots) */
  Guard = 5,
  /** waits until slot `a` holds more than `b` (a completion's count, a seqno passed) */
  WaitGt = 6,
}

/**
 * A wait condition a model registers on its context: reads the store, writes nothing. It
 * gets the waiting thread's context too, so that it may call compiled helpers (views).
 */
export type FrameGuard = (s: Store, arg: number, k: FrameCtx) => boolean;

export interface FrameOp {
  readonly kind: FrameOpKind;
  readonly a: number;
  readonly b: number;
}

/**
 * Where a step's visible events and violations go (both runtimes report the same ones).
 * An op reports nothing itself: the model code after its `yield` names the step, in
 * kernel vocabulary (`mutex_lock` of `gpu0 resv`), as the generator runtime's op labels do.
 */
export interface FrameSink {
  /**
   * Whether `event` keeps what it is given: false in a search, which needs states and
   * violations, not the timeline, so that models build no detail strings on the hot path.
   */
  readonly records: boolean;
  event(tid: number, label: string, detail?: string): void;
  /** a violation at the latest event of `tid`'s step */
  report(tid: number, property: PropertyId, rule: string, message: string): void;
}

/**
 * A thread's view of the world while it runs a step. `env` is the model's own data (slot
 * indices, helpers), which subset code reaches as `k.env`; `guards` are the conditions
 * `waitUntil` names by index.
 */
export interface FrameCtx<E = unknown> {
  readonly s: Store;
  readonly tid: number;
  readonly out: FrameSink;
  readonly env: E;
  readonly guards?: readonly FrameGuard[];
}

export function sched(): FrameOp {
  return { kind: FrameOpKind.Sched, a: 0, b: 0 };
}

export function lock(slot: number): FrameOp {
  return { kind: FrameOpKind.Lock, a: slot, b: 0 };
}

export function unlock(slot: number): FrameOp {
  return { kind: FrameOpKind.Unlock, a: slot, b: 0 };
}

export function waitEq(slot: number, v: number): FrameOp {
  return { kind: FrameOpKind.WaitEq, a: slot, b: v };
}

export function waitGt(slot: number, v: number): FrameOp {
  return { kind: FrameOpKind.WaitGt, a: slot, b: v };
}

/** Waits until `guards[guard](s, arg)` holds (the guard table is the context's). */
export function waitUntil(guard: number, arg: number): FrameOp {
  return { kind: FrameOpKind.Guard, a: guard, b: arg };
}

/** Whether a thread whose pending op is (kind, a, b) may take its next step. Reads only. */
export function frameOpEnabled(k: FrameCtx, kind: FrameOpKind, a: number, b: number): boolean {
  if (kind === FrameOpKind.Lock) return k.s.get(a) === 0;
  if (kind === FrameOpKind.WaitEq) return k.s.get(a) === b;
  if (kind === FrameOpKind.WaitGt) return k.s.get(a) > b;
  if (kind === FrameOpKind.Guard) {
    const g = k.guards?.[a];
    if (!g) throw new Error(`model bug: thread ${k.tid} waits on guard ${a}, which its context does not have`);
    return g(k.s, b, k);
  }
  return true;
}

/**
 * Runs the effect of the pending op at the start of the step it guards: a lock is taken,
 * an unlock clears the owner slot when the thread holds it (a misuse is the model's to
 * report, before it yields). Waits and scheduling points have no effect.
 */
export function frameOpRun(k: FrameCtx, kind: FrameOpKind, a: number): void {
  if (kind === FrameOpKind.Lock) k.s.set(a, k.tid + 1);
  else if (kind === FrameOpKind.Unlock && k.s.get(a) === k.tid + 1) k.s.set(a, 0);
}

/** What a subset `function*` returns: it yields ops and returns a number, a boolean or nothing. */
export type FrameProc<R = void> = Generator<FrameOp, R, void>;

/**
 * `yield* invoke(k, fn, ...args)`: calls the subset function whose linked program id is
 * `fn`, a callback kept as data (an exporter's map op, an importer's invalidate), as
 * `yield*` calls a named one. Compiled code only (the compiler emits `frameInvoke`); the
 * id comes from the world, `fnId` of frames.ts, and its arity is checked when it runs.
 */
export function* invoke(k: FrameCtx, fn: number, ...args: (number | boolean)[]): FrameProc<number> {
  throw new Error(`invoke(${k.tid}, ${fn}, ${args.length} arguments) ran uncompiled: only a frames source compiled by npm run frames may invoke a function id`);
}
