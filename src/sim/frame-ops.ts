/**
 * Ops of the data world's threads: what a `function*` model in the compiled subset
 * yields (docs/design.md "Authoring models"). An op is three ints so that a compiled
 * thread can keep its pending op in store slots; the generator form yields the same
 * record. The op is the guard and the first effect of the thread's *next* step: the step
 * is disabled while the guard is false, and then runs the effect and the code up to the
 * next yield as one atomic step (rule book §0 "Atomicity").
 */
import type { Store } from './store.ts';

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
}

/** A wait condition a model registers on its context: reads the store, writes nothing. */
export type FrameGuard = (s: Store, arg: number) => boolean;

export interface FrameOp {
  readonly kind: FrameOpKind;
  readonly a: number;
  readonly b: number;
}

/** Where a step's visible events and violations go (both runtimes report the same ones). */
export interface FrameSink {
  event(tid: number, label: string): void;
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

/** Waits until `guards[guard](s, arg)` holds (the guard table is the context's). */
export function waitUntil(guard: number, arg: number): FrameOp {
  return { kind: FrameOpKind.Guard, a: guard, b: arg };
}

/** Whether a thread whose pending op is (kind, a, b) may take its next step. Reads only. */
export function frameOpEnabled(k: FrameCtx, kind: FrameOpKind, a: number, b: number): boolean {
  if (kind === FrameOpKind.Lock) return k.s.get(a) === 0;
  if (kind === FrameOpKind.WaitEq) return k.s.get(a) === b;
  if (kind === FrameOpKind.Guard) {
    const g = k.guards?.[a];
    if (!g) throw new Error(`model bug: thread ${k.tid} waits on guard ${a}, which its context does not have`);
    return g(k.s, b);
  }
  return true;
}

function opObject(k: FrameCtx, kind: FrameOpKind, a: number): string {
  return kind === FrameOpKind.Guard ? `guard ${a}` : k.s.layout.slotName(a);
}

/** Runs the effect of the pending op at the start of the step it guards; reports it as an event. */
export function frameOpRun(k: FrameCtx, kind: FrameOpKind, a: number, b: number): void {
  // names are built only for the ops that report an event: a search runs millions of steps
    switch (kind) {
    case FrameOpKind.Lock:
      k.s.set(a, k.tid + 1);
      k.out.event(k.tid, `lock ${opObject(k, kind, a)}`);
      break;
    case FrameOpKind.Unlock:
      if (k.s.get(a) !== k.tid + 1) k.out.event(k.tid, `api-misuse: unlock ${opObject(k, kind, a)} not held`);
      else k.s.set(a, 0);
      k.out.event(k.tid, `unlock ${opObject(k, kind, a)}`);
      break;
    case FrameOpKind.WaitEq:
    case FrameOpKind.Guard:
      k.out.event(k.tid, `wait ${opObject(k, kind, a)} == ${b}`);
      break;
    default:
      break;
  }
}

/** What a subset `function*` returns: it yields ops and returns a number, a boolean or nothing. */
export type FrameProc<R = void> = Generator<FrameOp, R, void>;
