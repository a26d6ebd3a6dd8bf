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
  /** the subset source it was compiled from, relative to the project root */
  readonly source: string;
  readonly names: readonly string[];
  /** parameters of each function after the context `k` */
  readonly params: readonly number[];
  /** frame width the module needs: 2 + the most locals of any of its functions */
  readonly width: number;
  /**
   * what each function's locals name, one character a local (scripts/frames-view.ts
   * ValueKind: `r` a slot, `i` an importer index, `t` a thread index, both stored + 1,
   * `c` an importer context, `.` plain), for the renaming of identical importers
   */
  readonly values: readonly string[];
  readonly fns: readonly FrameFn[];
  /**
   * The modules whose functions this one's `yield*` calls reach. A thunk, so that two
   * modules may call each other (an import cycle leaves the other's binding unset until
   * both have been evaluated).
   */
  readonly deps: () => readonly FrameModule[];
}

/**
 * The modules a world runs, linked: one function id space across files, so that a frame's
 * function id slot names a function of any module. Ids are assigned by `linkFrames` from
 * the roots in order, each module before the modules it calls, so they depend only on
 * the roots and the import structure, never on evaluation order (parallel workers
 * sharing one fingerprint table must agree on them).
 */
export interface FrameProgram {
  readonly modules: readonly FrameModule[];
  /** by function id: its name, its parameter count, its code */
  readonly names: readonly string[];
  readonly params: readonly number[];
  /** what each function's locals name (FrameModule `values`) */
  readonly values: readonly string[];
  readonly fns: readonly FrameFn[];
  /** the widest module's frame width: a thread's frames must be at least this wide */
  readonly width: number;
  /** id of function 0 of `mod`; throws (a model bug) when `mod` is not linked */
  base(mod: FrameModule): number;
}

/** Links `roots` and every module their calls reach into one program. */
export function linkFrames(...roots: FrameModule[]): FrameProgram {
  const bases = new Map<FrameModule, number>();
  const modules: FrameModule[] = [];
  const names: string[] = [];
  const params: number[] = [];
  const values: string[] = [];
  const fns: FrameFn[] = [];
  const visit = (m: FrameModule) => {
    if (bases.has(m)) return;
    bases.set(m, fns.length);
    modules.push(m);
    names.push(...m.names);
    params.push(...m.params);
    values.push(...m.values);
    fns.push(...m.fns);
    for (const d of m.deps()) {
      if (!d) throw new Error(`model bug: ${m.source} calls a module that is not yet evaluated`);
      visit(d);
    }
  };
  roots.forEach(visit);
  return {
    modules, names, params, values, fns, width: Math.max(2, ...modules.map((m) => m.width)),
    base(mod) {
      const b = bases.get(mod);
      if (b === undefined) throw new Error(`model bug: ${mod.source} is not linked into this program (${modules.map((m) => m.source).join(', ')})`);
      return b;
    },
  };
}

/** The context a compiled function runs in: the thread's context and its slots. */
export interface FrameRunCtx<E = unknown> extends FrameCtx<E> {
  readonly th: FrameThread;
  /** the linked program whose function ids the thread's frames hold */
  readonly prog: FrameProgram;
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
  // an importer or thread index is stored + 1 (frames-function.ts Local)
  const values = k.prog.values[fn]!;
  for (let i = 0; i < args.length; i++) {
    const v = values.charCodeAt(i);
    s.set(fr + FRAME_LOCALS + i, v === 105 /* i */ || v === 116 /* t */ ? args[i]! + 1 : args[i]!);
  }
  s.set(th.sp, sp + 1);
  return FRAME_CALL;
}

/**
 * A call through a function id held as data (`yield* invoke(k, fn, ...)`): a model bug
 * when `fn` is no function of the program or takes another number of arguments.
 */
export function frameInvoke(k: FrameRunCtx, fn: number, ...args: number[]): number {
  if (!(fn >= 0 && fn < k.prog.fns.length)) throw new Error(`model bug: ${k.th.name} invokes function id ${fn}, which the program does not have`);
  if (k.prog.params[fn] !== args.length) throw new Error(`model bug: ${k.th.name} invokes ${k.prog.names[fn]} with ${args.length} arguments, it takes ${k.prog.params[fn]}`);
  return frameCall(k, fn, ...args);
}

/** The program id of function `fn` of `mod`: what a world stores for a callback that subset code invokes. */
export function fnId(prog: FrameProgram, mod: FrameModule, fn: number): number {
  return prog.base(mod) + fn;
}

/** Pops the top frame (zeroing it) and leaves `v` in `ret` for the caller. Returns `FRAME_RET`. */
export function frameReturn(k: FrameRunCtx, v: number): number {
  const { s, th } = k;
  const sp = s.get(th.sp) - 1;
  const fr = th.frames + sp * th.width;
  // the frame is the thread's own (no barrier needs to see a read of it): only slots in use
  // are written, the locals before the function id, whose change would make a symmetry's
  // lanes take every local out and back in under another function's kinds
  const slots = s.slots;
  for (let i = th.width - 1; i >= 0; i--) if (slots[fr + i] !== 0) s.set(fr + i, 0);
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
  const id = k.prog.base(mod) + fn;
  if (args.length !== k.prog.params[id]) throw new Error(`model bug: ${k.prog.names[id]} takes ${k.prog.params[id]} arguments, not ${args.length}`);
  if (k.prog.width > k.th.width) throw new Error(`model bug: ${k.th.name} frames are ${k.th.width} slots, the program needs ${k.prog.width}`);
  frameCall(k, id, ...args);
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
export function frameStep(k: FrameRunCtx): boolean {
  if (!frameEnabled(k)) return false;
  const { s, th } = k;
  const kind = s.get(th.op) as FrameOpKind;
  const a = s.get(th.op + 1);
  s.set(th.op, FrameOpKind.None);
  s.set(th.op + 1, 0);
  s.set(th.op + 2, 0);
  frameOpRun(k, kind, a);
  try {
    for (;;) {
      const sp = s.get(th.sp);
      if (sp === 0) return true;
      const fr = th.frames + (sp - 1) * th.width;
      if (k.prog.fns[s.get(fr + FRAME_FN)]!(k as FrameRunCtx<never>, fr) === FRAME_YIELD) return true;
    }
  } catch (e) {
    if (!(e instanceof FrameStopped)) throw e;
    // the thread ends where it stopped: no frame, no pending op, no exit checks
    for (let i = 0; i < th.depth * th.width; i++) s.set(th.frames + i, 0);
    s.set(th.sp, 0);
    s.set(th.ret, 0);
    return true;
  }
}

/**
 * Thrown by a helper inside a step to stop the running thread, as a kernel BUG stops the
 * offending task (frame-sim.ts simBug): frameStep ends the thread there.
 */
export class FrameStopped extends Error {}

const NO_EVENTS: FrameSink = { records: false, event(): void {}, report(): void {} };

/**
 * The contexts of thread `tid` for a search: one a store, made on first use, so that a
 * step allocates nothing (the search keeps one store a depth). Events go to `out`, by
 * default nowhere (a search needs states and violations, not the timeline).
 */
export function frameContexts<E>(prog: FrameProgram, th: FrameThread, tid: number, env: E, guards: readonly FrameGuard[] = [], out: FrameSink = NO_EVENTS): (s: Store) => FrameRunCtx<E> {
  const made = new WeakMap<Store, FrameRunCtx<E>>();
  return (s) => {
    let c = made.get(s);
    if (!c) made.set(s, (c = { s, tid, out, env, guards, th, prog }));
    return c;
  };
}
