/**
 * Run time of compiled `function*` models (docs/design.md "Authoring models"): a thread's
 * control state lives in store slots, so that the stateful search copies and hashes it
 * with the rest of the world.
 *
 * A thread owns a run of slots: `sp` (frames in use), the pending op (kind, a, b), `ret`
 * (the value the last returning frame left for its caller), then `depth` frames of
 * `width` slots: function id, program point, locals. A popped frame is zeroed, so a
 * finished call leaves no trace in the state key. `scripts/compile-frames.ts` emits, for
 * every subset function, a `FrameFn` that runs from the frame's program point to its next
 * yield (`FRAME_YIELD`), call (`FRAME_CALL`, a frame pushed) or return (`FRAME_RET`).
 */
import type { Store, StoreLayout } from './store.ts';
import type { Protection } from './txn.ts';
import { FrameOpKind, frameOpEnabled, frameOpRun, type FrameCtx, type FrameGuard, type FrameOp, type FrameSink } from './frame-ops.ts';

export const FRAME_YIELD = 0;
export const FRAME_CALL = 1;
export const FRAME_RET = 2;

/** Frame slot offsets: function id, program point, then the locals. */
export const FRAME_FN = 0;
export const FRAME_PC = 1;
export const FRAME_LOCALS = 2;

/** The slots of one thread's control state. */
export interface FrameThread {
  readonly name: string;
  readonly sp: number;
  /** pending op kind; a and b follow */
  readonly op: number;
  readonly ret: number;
  /** slot of frame 0 */
  readonly frames: number;
  readonly depth: number;
  readonly width: number;
}

/**
 * A compiled function: runs frame `fr` of the thread in `k` until it yields, calls or
 * returns. Typed over `env: never` so that one module's functions accept any model's
 * context (the subset source types `k.env` precisely; the compiler keeps that typing).
 */
export type FrameFn = (k: FrameRunCtx<never>, fr: number) => number;

/** What the compiler emits for a source file: one `FrameFn` per subset function. */
export interface FrameModule {
  readonly names: readonly string[];
  /** parameters of each function after the context `k` */
  readonly params: readonly number[];
  /** frame width the module needs: 2 + the most locals of any of its functions */
  readonly width: number;
  readonly fns: readonly FrameFn[];
}

/** The context a compiled function runs in: the thread's context and its slots. */
export interface FrameRunCtx<E = unknown> extends FrameCtx<E> {
  readonly th: FrameThread;
}

/** Registers a thread's control state: `depth` frames of `width` slots. */
export function frameThread(layout: StoreLayout, name: string, depth: number, width: number, p?: Protection): FrameThread {
  // `p` (the thread's own: `{ local: tid }`) lets the transaction check (txn.ts) see the
  // control state as the thread's, not as shared objects
  const sp = layout.field(`${name}.sp`, 1, p);
  const op = layout.field(`${name}.op`, 3, p);
  const ret = layout.field(`${name}.ret`, 1, p);
  const frames = layout.field(`${name}.frames`, depth * width, p);
  return { name, sp, op, ret, frames, depth, width };
}

/**
 * Pushes a frame for function `fn` with `args` as its first locals. Returns `FRAME_CALL`
 * so that generated code can `return frameCall(...)`. Throws on stack overflow: the
 * thread's `depth` is too small for the model, a model bug, not a state.
 */
export function frameCall(k: FrameRunCtx, fn: number, ...args: number[]): number {
  const { s, th } = k;
  const sp = s.get(th.sp);
  if (sp >= th.depth) throw new Error(`model bug: ${th.name} call stack deeper than ${th.depth} frames`);
  const fr = th.frames + sp * th.width;
  s.set(fr + FRAME_FN, fn);
  s.set(fr + FRAME_PC, 0);
  for (let i = 0; i < args.length; i++) s.set(fr + FRAME_LOCALS + i, args[i]!);
  s.set(th.sp, sp + 1);
  return FRAME_CALL;
}

/** Pops the top frame (zeroing it) and leaves `v` in `ret` for the caller. Returns `FRAME_RET`. */
export function frameReturn(k: FrameRunCtx, v: number): number {
  const { s, th } = k;
  const sp = s.get(th.sp) - 1;
  const fr = th.frames + sp * th.width;
  for (let i = 0; i < th.width; i++) s.set(fr + i, 0);
  s.set(th.sp, sp);
  s.set(th.ret, v);
  return FRAME_RET;
}

/** Takes the value the callee left: `ret` is cleared so that it is not state after the read. */
export function frameRetval(k: FrameRunCtx): number {
  const v = k.s.get(k.th.ret);
  k.s.set(k.th.ret, 0);
  return v;
}

/** Records the op a `yield` hands to the scheduler; it guards the thread's next step. */
export function framePend(k: FrameRunCtx, op: FrameOp): number {
  const { s, th } = k;
  s.set(th.op, op.kind);
  s.set(th.op + 1, op.a);
  s.set(th.op + 2, op.b);
  return FRAME_YIELD;
}

/** Starts a thread at function `fn` of `mod` (writes the initial frame; nothing runs). */
export function frameStart(k: FrameRunCtx, mod: FrameModule, fn: number, args: readonly number[]): void {
  if (args.length !== mod.params[fn]) throw new Error(`model bug: ${mod.names[fn]} takes ${mod.params[fn]} arguments, not ${args.length}`);
  if (mod.width > k.th.width) throw new Error(`model bug: ${k.th.name} frames are ${k.th.width} slots, ${mod.names[fn]}'s module needs ${mod.width}`);
  frameCall(k, fn, ...args);
}

/** Whether the thread has returned from its entry function (no frame, no pending op). */
export function frameFinished(k: FrameRunCtx): boolean {
  return k.s.get(k.th.sp) === 0 && k.s.get(k.th.op) === FrameOpKind.None;
}

/** Whether the thread's next step may run: not finished and its pending op's guard holds. Reads only. */
export function frameEnabled(k: FrameRunCtx): boolean {
  const { s, th } = k;
  const kind = s.get(th.op) as FrameOpKind;
  if (kind === FrameOpKind.None) return s.get(th.sp) > 0;
  return frameOpEnabled(k, kind, s.get(th.op + 1), s.get(th.op + 2));
}

/**
 * One step of the thread: the pending op's effect, then its code up to the next yield
 * or its end, as the generator form would run between two `next()` calls. Returns false,
 * having written nothing, when the step is disabled (the stateful search's contract).
 */
export function frameStep(k: FrameRunCtx, mod: FrameModule): boolean {
  if (!frameEnabled(k)) return false;
  const { s, th } = k;
  const kind = s.get(th.op) as FrameOpKind;
  const a = s.get(th.op + 1);
  const b = s.get(th.op + 2);
  s.set(th.op, FrameOpKind.None);
  s.set(th.op + 1, 0);
  s.set(th.op + 2, 0);
  frameOpRun(k, kind, a, b);
  for (;;) {
    const sp = s.get(th.sp);
    if (sp === 0) return true;
    const fr = th.frames + (sp - 1) * th.width;
    if (mod.fns[s.get(fr + FRAME_FN)]!(k as FrameRunCtx<never>, fr) === FRAME_YIELD) return true;
  }
}

const NO_EVENTS: FrameSink = { event(): void {} };

/**
 * The contexts of thread `tid` for a search: one a store, made on first use, so that a
 * step allocates nothing (the search keeps one store a depth). Events go to `out`, by
 * default nowhere (a search needs states and violations, not the timeline).
 */
export function frameContexts<E>(th: FrameThread, tid: number, env: E, guards: readonly FrameGuard[] = [], out: FrameSink = NO_EVENTS): (s: Store) => FrameRunCtx<E> {
  const made = new WeakMap<Store, FrameRunCtx<E>>();
  return (s) => {
    let c = made.get(s);
    if (!c) made.set(s, (c = { s, tid, out, env, guards, th }));
    return c;
  };
}
