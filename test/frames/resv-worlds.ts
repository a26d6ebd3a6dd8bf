// The resv programs of test/frames/resv-progs.ts as worlds: on the generator kernel, and
// compiled over the subset's dma_resv and fences (also a model of the stateful search).
// test/frames-resv.test.ts drives both under the same schedules; frames-search.test.ts
// compares the stateful search over the compiled world with every schedule of the other.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Runtime } from '../../src/sim/runtime.ts';
import type { Proc } from '../../src/sim/op.ts';
import { newKernel, type KernelVersion } from '../../src/kernel/kernel.ts';
import * as GF from '../../src/kernel/fence.ts';
import * as GR from '../../src/kernel/resv.ts';
import { Store, StoreLayout } from '../../src/sim/store.ts';
import { storeList } from '../../src/sim/store-list.ts';
import type { FrameCtx, FrameSink } from '../../src/sim/frame-ops.ts';
import { FrameSimBuilder } from '../../src/sim/frame-sim.ts';
import { frameEnabled, frameFinished, frameStart, frameStep, frameThread, linkFrames, type FrameRunCtx } from '../../src/sim/frames.ts';
import { structAt, structPool } from '../../src/sim/struct.ts';
import { frameKernelSlots } from '../../src/kernel/frame-kernel.ts';
import { dmaFenceInit, STRUCTS as FENCE } from '../../src/kernel/frame-fence.frames.ts';
import { MAX_SCHEDULE_TIMEOUT } from '../../src/kernel/frame-fence.ts';
import { STRUCTS as RESV } from '../../src/kernel/frame-resv.frames.ts';
import { STRUCTS as WW, wwAcquireInit, wwGuardCheck } from '../../src/kernel/frame-ww.frames.ts';
import { USAGE_NAMES } from '../../src/kernel/frame-resv.ts';
import type { StatefulModel, ViolationSink } from '../../src/check/stateful.ts';
import * as P from './resv-progs.ts';
import { FN, frames } from './resv-progs.frames.ts';
import { NO_BUFFERS, recordingSink, runtimeRecord } from './differential.ts';

export type Code = readonly (readonly number[])[];

/** One execution, stepped from outside. */
export interface ResvWorld {
  readonly n: number;
  enabled(t: number): boolean;
  /** the enabled threads as a bit string */
  mask(): string;
  step(t: number): void;
  finished(t: number): boolean;
  record(): { events: string[]; violations: string[]; results: number[][] };
  /** the reservation objects' fence lists and the fences */
  end(): string[];
}

/** Two reservation objects; f0 and f1 of one context (f1 later), f2 of another. */
export const RESVS = 2;
export const FENCES = [{ context: 1, seqno: 1 }, { context: 1, seqno: 2 }, { context: 2, seqno: 1 }];
const CAP = 4;

/** The programs on the generator kernel (kernel/resv.ts, fence.ts). */
export function resvGeneratorWorld(version: KernelVersion, code: Code): ResvWorld {
  const rt = new Runtime();
  const k = newKernel(rt, version);
  const rs = Array.from({ length: RESVS }, (_, i) => GR.dmaResvInit(k, `r${i}`));
  const fs = FENCES.map((f, i) => GF.dmaFenceInit(k, `f${i}`, f.context, f.seqno, 'test'));
  const results = code.map(() => [] as number[]);
  const ctxs = code.map((_, t) => GR.wwAcquireInit(k, `c${t}`));
  code.forEach((instrs, t) => rt.spawn(`t${t}`, function* (): Proc {
    for (const w of instrs) {
      const obj = rs[(w >> 8) & 15]!;
      const f = fs[(w >> 4) & 15]!;
      const n = w & 15;
      const note = (r: number | boolean) => results[t]!.push(r === GF.MAX_SCHEDULE_TIMEOUT ? MAX_SCHEDULE_TIMEOUT : Number(r));
      switch (w >> 12) {
        case P.LOCK: note(yield* GR.dmaResvLock(k, obj)); break;
        case P.TRYLOCK: note(yield* GR.dmaResvTrylock(k, obj)); break;
        case P.UNLOCK: yield* GR.dmaResvUnlock(k, obj); break;
        case P.RESERVE: note(GR.dmaResvReserveFences(k, obj, n)); break;
        case P.ADD: yield* GR.dmaResvAddFence(k, obj, f, n); break;
        case P.REPLACE: yield* GR.dmaResvReplaceFences(k, obj, f.context, f, n); break;
        case P.TEST: note(yield* GR.dmaResvTestSignaled(k, obj, n)); break;
        case P.WAIT: note(yield* GR.dmaResvWaitTimeout(k, obj, n, GF.MAX_SCHEDULE_TIMEOUT)); break;
        case P.WAIT_TIMEOUT: note(yield* GR.dmaResvWaitTimeout(k, obj, n, 3)); break;
        case P.WAIT_POLL: note(yield* GR.dmaResvWaitTimeout(k, obj, n, 0)); break;
        case P.SIGNAL: note(yield* GF.dmaFenceSignal(k, f)); break;
        case P.LOCK_CTX: note(yield* GR.dmaResvLock(k, obj, ctxs[t]!, (n & 1) === 1 ? 'dma_resv_lock_interruptible' : 'dma_resv_lock')); break;
        case P.LOCK_SLOW: note(yield* GR.dmaResvLockSlow(k, obj, ctxs[t]!, (n & 1) === 1 ? 'dma_resv_lock_slow_interruptible' : 'dma_resv_lock_slow')); break;
        case P.FINI: GR.wwAcquireFini(k, ctxs[t]!); break;
        default: note(GR.dmaResvAssertHeld(k, obj, 'test'));
      }
    }
  }));
  rt.start();
  return {
    n: code.length,
    enabled: (t) => rt.isEnabled(t),
    mask: () => rt.enabledMask().toString(2),
    step: (t) => rt.step(t),
    finished: (t) => rt.threads[t]!.done,
    record: () => ({ ...runtimeRecord(rt), results }),
    end: () => [
      ...rs.map((r) => `${r.name} max ${r.maxFences} [${r.fences.map((e) => `${e.fence.name} ${USAGE_NAMES[e.usage]}`)}]`),
      ...fs.map((f) => `${f.name} ${f.signaled} ${f.refcount} ${f.published}`),
    ],
  };
}

/** The programs compiled, over the subset's resv and fences: also a model of the stateful search. */
export function resvFrameWorld(version: KernelVersion, code: Code): ResvWorld & { readonly model: StatefulModel } {
  const layout = new StoreLayout();
  const names = code.map((_, t) => `t${t}`);
  const b = new FrameSimBuilder(layout, names);
  const resvs = Array.from({ length: RESVS }, (_, i) => structAt(layout, `r${i}`, RESV.DmaResv, ['lock']));
  const lists = resvs.map((_, i) => storeList(layout, `r${i}.fence_slots`, CAP));
  const waiters = resvs.map((_, i) => storeList(layout, `r${i}.waiters`, 3));
  const ctxs = code.map((_, t) => structAt(layout, `c${t}`, WW.WwAcquireCtx));
  const ctxLocks = ctxs.map((_, t) => storeList(layout, `c${t}.locks`, RESVS));
  for (const r of resvs) b.lockClass(r, 'reservation_ww_class');
  const sim = b.done();
  const slots = frameKernelSlots(layout, sim);
  const fencePool = structPool(layout, 'fences', FENCES.length, FENCE.DmaFence);
  const prog = linkFrames(frames);
  const ths = names.map((n, t) => frameThread(layout, n, 5, prog.width, { local: t }));
  const s = new Store(layout);
  const F = (field: string) => FENCE.DmaFence.fields.indexOf(field as never);
  const R = (field: string) => RESV.DmaResv.fields.indexOf(field as never);
  const fenceName = (st: Store, f: number) => `f${st.get(f + F('owner'))}`;
  const C = (field: string) => WW.WwAcquireCtx.fields.indexOf(field as never);
  const kernel = {
    version, ...slots, callbacks: [], fenceName, callbackName: () => '', ...NO_BUFFERS,
    contexts: ctxs, ctxName: (st: Store, c: number) => `c${st.get(c + C('name'))}`, wwGuard: 0,
  };
  const guards = [(_: Store, arg: number, k: FrameCtx) => wwGuardCheck(k as FrameRunCtx<never>, arg)];
  const events: string[] = [];
  const violations: string[] = [];
  const out = recordingSink(events, violations);
  const fences: number[] = [];
  const env: P.ResvProgEnv = { sim, kernel, code, resvs, ctxs, fences, forever: MAX_SCHEDULE_TIMEOUT, results: code.map(() => []) };
  const ctx = ths.map((th, tid): FrameRunCtx => ({ s, tid, out, env, th, prog, guards }));
  resvs.forEach((r, i) => {
    s.set(r + R('fences'), lists[i]!.len);
    s.set(r + R('cap'), CAP);
    s.set(r + R('waiters'), waiters[i]!.len);
    s.set(r + R('waiterCap'), 3);
  });
  ctxs.forEach((c, t) => {
    s.set(c + C('locks'), ctxLocks[t]!.len);
    s.set(c + C('lockCap'), RESVS);
    s.set(c + C('name'), t);
    wwAcquireInit(ctx[0]! as FrameRunCtx<never>, c as never);
  });
  FENCES.forEach((f, i) => fences.push(dmaFenceInit(ctx[0]! as FrameRunCtx<never>, fencePool, f.context, f.seqno, false, i, 0)));
  ctx.forEach((k) => frameStart(k, frames, FN.resvThread, []));
  // the search starts here: each thread's code up to its first yield is its first transaction
  const init = new Int32Array(s.slots);
  // the differential's driver starts as the generator runtime does: those first steps in thread order
  ctx.forEach((k) => frameStep(k));
  const entries = (st: Store, i: number) => Array.from({ length: st.get(lists[i]!.len) }, (_, j) => st.get(lists[i]!.len + 1 + j)).map((e) => `${fenceName(st, e >> 2)} ${USAGE_NAMES[e & 3]}`);
  // the search's contexts: one a store, reporting to the sink of the step that runs
  let sink: ViolationSink = { report: () => {} };
  const searchOut: FrameSink = { records: false, event: () => {}, report: (_t, p, r, m) => sink.report(p, r, m) };
  const searchEnv: P.ResvProgEnv = { ...env, results: code.map(() => []) };
  const made = new WeakMap<Store, FrameRunCtx[]>();
  const at = (st: Store, t: number): FrameRunCtx => {
    let c = made.get(st);
    if (!c) made.set(st, (c = ths.map((th, tid): FrameRunCtx => ({ s: st, tid, out: searchOut, env: searchEnv, th, prog, guards }))));
    return c[t]!;
  };
  return {
    n: code.length,
    enabled: (t) => frameEnabled(ctx[t]!),
    mask: () => ctx.reduce((m, k, t) => m | (frameEnabled(k) ? 1 << t : 0), 0).toString(2),
    step: (t) => { assert.ok(frameStep(ctx[t]!)); },
    finished: (t) => frameFinished(ctx[t]!),
    record: () => {
      assert.ok(s.rehash(), 'every write went through the write barrier');
      return { events, violations, results: env.results };
    },
    end: () => [
      ...resvs.map((r, i) => `r${i} max ${s.get(r + R('maxFences'))} [${entries(s, i)}]`),
      ...fences.map((f, i) => `f${i} ${s.get(f + F('signaled')) !== 0} ${s.get(f + F('refcount'))} ${s.get(f + F('published')) !== 0}`),
    ],
    model: {
      layout, threads: names,
      init: (st) => { for (let i = 0; i < init.length; i++) st.set(i, init[i]!); },
      step: (st, t, out) => { sink = out; return frameStep(at(st, t)); },
      finished: (st, t) => frameFinished(at(st, t)),
    },
  };
}

/** Generated programs: locked sections as drivers write them, with stray instructions between. */
const at = (op: number, r: number, f: number, n: number) => op * 4096 + r * 256 + f * 16 + n;
const resv = fc.nat(RESVS - 1);
const fence = fc.nat(FENCES.length - 1);
const usage = fc.nat(3);
const stray = fc.oneof(
  fc.tuple(fc.constantFrom(P.LOCK, P.TRYLOCK, P.UNLOCK, P.ASSERT_HELD), resv).map(([op, r]) => at(op, r, 0, 0)),
  fc.tuple(fc.constantFrom(P.TEST, P.WAIT, P.WAIT_TIMEOUT, P.WAIT_POLL), resv, usage).map(([op, r, u]) => at(op, r, 0, u)),
  fence.map((f) => at(P.SIGNAL, 0, f, 0)),
  fc.tuple(fc.constantFrom(P.ADD, P.REPLACE), resv, fence, usage).map(([op, r, f, u]) => at(op, r, f, u)),
  fc.tuple(fc.constantFrom(P.LOCK_CTX, P.LOCK_SLOW), resv, fc.nat(1)).map(([op, r, i]) => at(op, r, 0, i)),
  fc.constant(at(P.FINI, 0, 0, 0)),
);
/** Two objects taken with the thread's acquire context, in either order, released in reverse (Wait-Die's case). */
const wwSection = fc.tuple(resv, fc.nat(1)).map(([r, i]) => [at(P.LOCK_CTX, r, 0, i), at(P.LOCK_CTX, 1 - r, 0, i), at(P.UNLOCK, 1 - r, 0, 0), at(P.UNLOCK, r, 0, 0)]);
/** A locked section as drivers write it: reserve, add (or replace), unlock; sometimes without the reserve. */
const section = fc.tuple(resv, fence, usage, fc.boolean(), fc.boolean()).map(([r, f, u, reserve, replace]) => [
  at(P.LOCK, r, 0, 0), ...(reserve ? [at(P.RESERVE, r, 0, 1)] : []), at(replace ? P.REPLACE : P.ADD, r, f, u), at(P.UNLOCK, r, 0, 0),
]);
const thread = fc.array(fc.oneof(section, wwSection, stray.map((w) => [w])), { maxLength: 3 }).map((p) => p.flat());
export const codeArb = fc.array(thread, { minLength: 1, maxLength: 3 });
