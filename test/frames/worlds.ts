// The two forms of the programs in progs.ts as worlds a schedule drives: the generators,
// run by a reference runner that keeps each thread's locals and stack in JS, and the
// compiled frames (progs.frames.ts), whose control state is all in the store.
import { Store, StoreLayout } from '../../src/sim/store.ts';
import { FrameOpKind, frameOpEnabled, frameOpRun, type FrameCtx, type FrameOp, type FrameProc, type FrameSink } from '../../src/sim/frame-ops.ts';
import { frameEnabled, frameFinished, frameStart, frameStep, frameThread, linkFrames, type FrameModule, type FrameRunCtx, type FrameThread } from '../../src/sim/frames.ts';
import * as progs from './progs.ts';
import { FN, frames } from './progs.frames.ts';

export type Entry = keyof typeof FN;
export interface Start {
  readonly fn: Entry;
  readonly args: readonly (number | boolean)[];
}

/** Entry points with arguments, the threads a test world is made of. */
export const STARTS: readonly Start[] = [
  { fn: 'incLocked', args: [1] }, { fn: 'incLocked', args: [2] }, { fn: 'racyInc', args: [2] }, { fn: 'waiter', args: [] },
  { fn: 'setter', args: [3] }, { fn: 'setter', args: [1] }, { fn: 'nested', args: [2] }, { fn: 'twoLocks', args: [true] },
  { fn: 'twoLocks', args: [false] }, { fn: 'countdown', args: [2] }, { fn: 'misuse', args: [true, 3] }, { fn: 'misuse', args: [false, 2] },
  { fn: 'switcher', args: [3] },
];

export const DEPTH = 5;

export interface World {
  readonly s: Store;
  readonly events: string[];
  readonly threads: readonly FrameThread[];
  enabled(t: number): boolean;
  step(t: number): void;
  finished(t: number): boolean;
  /** the entry function's return value as stored (booleans 0/1, nothing 0); after it finished */
  result(t: number): number;
}

function layoutFor(n: number): { layout: StoreLayout; threads: FrameThread[] } {
  const layout = new StoreLayout();
  progs.sharedFields(layout);
  const threads = Array.from({ length: n }, (_, t) => frameThread(layout, `t${t}`, DEPTH, frames.width));
  return { layout, threads };
}

function sinkOf(events: string[]): FrameSink {
  return { records: true, event: (tid, label) => { events.push(`t${tid} ${label}`); }, report: (tid, p, r, m) => { events.push(`t${tid} ${p} ${r}: ${m}`); } };
}

/**
 * The event of an op as it runs, recorded by both worlds before its effect (ops report
 * nothing themselves): the lock, unlock or wait, and an unlock of a lock the thread does
 * not hold.
 */
function opEvent(k: FrameCtx, op: FrameOp, events: string[]): void {
  const name = k.s.layout.slotName(op.a);
  if (op.kind === FrameOpKind.Lock) events.push(`t${k.tid} lock ${name}`);
  else if (op.kind === FrameOpKind.Unlock) {
    if (k.s.get(op.a) !== k.tid + 1) events.push(`t${k.tid} api-misuse: unlock ${name} not held`);
    events.push(`t${k.tid} unlock ${name}`);
  } else if (op.kind === FrameOpKind.WaitEq) events.push(`t${k.tid} wait ${name} == ${op.b}`);
}

/** The op a compiled thread has pending, as a record. */
function pendingOp(s: Store, th: FrameThread): FrameOp {
  return { kind: s.get(th.op) as FrameOpKind, a: s.get(th.op + 1), b: s.get(th.op + 2) };
}

type GenFn = (k: FrameCtx, ...args: (number | boolean)[]) => FrameProc<number | boolean | void>;

/** The generator form: locals, call stacks and the pending op live in JS. */
export function genWorld(starts: readonly Start[]): World {
  const { layout, threads } = layoutFor(starts.length);
  const s = new Store(layout);
  const events: string[] = [];
  const out = sinkOf(events);
  const ctx = starts.map((_, tid): FrameCtx => ({ s, tid, out, env: undefined }));
  const gens = starts.map((st, t) => (progs[st.fn] as unknown as GenFn)(ctx[t]!, ...st.args));
  const pending: (FrameOp | undefined)[] = starts.map(() => undefined);
  const done = starts.map(() => false);
  const results = starts.map(() => 0);
  return {
    s, events, threads,
    enabled: (t) => !done[t] && (!pending[t] || frameOpEnabled(ctx[t]!, pending[t]!.kind, pending[t]!.a, pending[t]!.b)),
    step(t) {
      const op = pending[t];
      if (op) { opEvent(ctx[t]!, op, events); frameOpRun(ctx[t]!, op.kind, op.a); }
      const r = gens[t]!.next();
      pending[t] = r.done ? undefined : r.value;
      if (r.done) { done[t] = true; results[t] = Number(r.value ?? 0); }
    },
    finished: (t) => done[t]!,
    result: (t) => results[t]!,
  };
}

/** The compiled form, optionally with another module (a mutant) in place of progs.frames.ts. */
export function frameWorld(starts: readonly Start[], mod: FrameModule = frames): World {
  const { layout, threads } = layoutFor(starts.length);
  const s = new Store(layout);
  const events: string[] = [];
  const out = sinkOf(events);
  const prog = linkFrames(mod);
  const ctx = threads.map((th, tid): FrameRunCtx => ({ s, tid, out, th, env: undefined, prog }));
  starts.forEach((st, t) => frameStart(ctx[t]!, mod, FN[st.fn], st.args.map(Number)));
  return {
    s, events, threads,
    enabled: (t) => frameEnabled(ctx[t]!),
    step(t) { opEvent(ctx[t]!, pendingOp(s, threads[t]!), events); if (!frameStep(ctx[t]!)) throw new Error(`t${t} stepped while disabled`); },
    finished: (t) => frameFinished(ctx[t]!),
    result: (t) => s.get(threads[t]!.ret),
  };
}

/** Runs `choices` (thread indices modulo the thread count; a disabled choice is skipped), then the first enabled thread until none is. */
export function drive(w: World, n: number, choices: readonly number[], onStep?: () => void): void {
  for (const c of choices) {
    if (w.enabled(c % n)) w.step(c % n);
    onStep?.();
  }
  for (let i = 0; i < 10_000; i++) {
    let t = 0;
    while (t < n && !w.enabled(t)) t++;
    if (t === n) return;
    w.step(t);
    onStep?.();
  }
  throw new Error('drive: no end after 10,000 steps');
}
