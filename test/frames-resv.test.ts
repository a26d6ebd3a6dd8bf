// dma_resv in the subset (src/kernel/frame-resv.ts) against the generator kernel's
// (kernel/resv.ts) on generated programs of lock sections, reservations, fence adds and
// replacements, waits and signals, under the same schedules: the same events, enabled
// threads, violations at the same events (a BUG stopping its thread included), results,
// and fence lists and fences at the end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Runtime } from '../src/sim/runtime.ts';
import type { Proc } from '../src/sim/op.ts';
import { newKernel, type KernelVersion } from '../src/kernel/kernel.ts';
import * as GF from '../src/kernel/fence.ts';
import * as GR from '../src/kernel/resv.ts';
import { Store, StoreLayout } from '../src/sim/store.ts';
import { storeList } from '../src/sim/store-list.ts';
import { FrameSimBuilder } from '../src/sim/frame-sim.ts';
import { frameEnabled, frameStart, frameStep, frameThread, linkFrames, type FrameRunCtx } from '../src/sim/frames.ts';
import { structAt, structPool } from '../src/sim/struct.ts';
import { frameKernelSlots } from '../src/kernel/frame-kernel.ts';
import { dmaFenceInit, STRUCTS as FENCE } from '../src/kernel/frame-fence.frames.ts';
import { MAX_SCHEDULE_TIMEOUT } from '../src/kernel/frame-fence.ts';
import { STRUCTS as RESV } from '../src/kernel/frame-resv.frames.ts';
import { USAGE_NAMES } from '../src/kernel/frame-resv.ts';
import * as P from './frames/resv-progs.ts';
import { FN, frames } from './frames/resv-progs.frames.ts';
import { drive, NO_BUFFERS, recordingSink, runtimeRecord } from './frames/differential.ts';

type Code = readonly (readonly number[])[];

interface Outcome {
  readonly events: string[];
  readonly enabled: string[];
  readonly violations: string[];
  readonly results: number[][];
  readonly end: string[];
}

/** Two reservation objects; f0 and f1 of one context (f1 later), f2 of another. */
const RESVS = 2;
const FENCES = [{ context: 1, seqno: 1 }, { context: 1, seqno: 2 }, { context: 2, seqno: 1 }];
const CAP = 4;

function generatorRun(version: KernelVersion, code: Code, choices: readonly number[]): Outcome {
  const rt = new Runtime();
  const k = newKernel(rt, version);
  const rs = Array.from({ length: RESVS }, (_, i) => GR.dmaResvInit(k, `r${i}`));
  const fs = FENCES.map((f, i) => GF.dmaFenceInit(k, `f${i}`, f.context, f.seqno, 'test'));
  const results = code.map(() => [] as number[]);
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
        default: note(GR.dmaResvAssertHeld(k, obj, 'test'));
      }
    }
  }));
  rt.start();
  const enabled: string[] = [];
  drive(code.length, (t) => rt.isEnabled(t), (t) => rt.step(t), choices, () => enabled.push(rt.enabledMask().toString(2)));
  return {
    ...runtimeRecord(rt), enabled, results,
    end: [
      ...rs.map((r) => `${r.name} max ${r.maxFences} [${r.fences.map((e) => `${e.fence.name} ${USAGE_NAMES[e.usage]}`)}]`),
      ...fs.map((f) => `${f.name} ${f.signaled} ${f.refcount} ${f.published}`),
    ],
  };
}

function frameRun(version: KernelVersion, code: Code, choices: readonly number[]): Outcome {
  const layout = new StoreLayout();
  const names = code.map((_, t) => `t${t}`);
  const b = new FrameSimBuilder(layout, names);
  const resvs = Array.from({ length: RESVS }, (_, i) => structAt(layout, `r${i}`, RESV.DmaResv, ['lock']));
  const lists = resvs.map((_, i) => storeList(layout, `r${i}.fence_slots`, CAP));
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
  const kernel = { version, ...slots, callbacks: [], fenceName, callbackName: () => '', ...NO_BUFFERS };
  const events: string[] = [];
  const violations: string[] = [];
  const out = recordingSink(events, violations);
  const fences: number[] = [];
  const env: P.ResvProgEnv = { sim, kernel, code, resvs, fences, forever: MAX_SCHEDULE_TIMEOUT, results: code.map(() => []) };
  const ctx = ths.map((th, tid): FrameRunCtx => ({ s, tid, out, env, th, prog }));
  resvs.forEach((r, i) => { s.set(r + R('fences'), lists[i]!.len); s.set(r + R('cap'), CAP); });
  FENCES.forEach((f, i) => fences.push(dmaFenceInit(ctx[0]! as FrameRunCtx<never>, fencePool, f.context, f.seqno, false, i, 0)));
  ctx.forEach((k) => { frameStart(k, frames, FN.resvThread, []); frameStep(k); });
  const enabled: string[] = [];
  const mask = () => ctx.reduce((m, k, t) => m | (frameEnabled(k) ? 1 << t : 0), 0);
  drive(code.length, (t) => frameEnabled(ctx[t]!), (t) => { assert.ok(frameStep(ctx[t]!)); }, choices, () => enabled.push(mask().toString(2)));
  assert.ok(s.rehash(), 'every write went through the write barrier');
  const entries = (i: number) => Array.from({ length: s.get(lists[i]!.len) }, (_, j) => s.get(lists[i]!.len + 1 + j)).map((e) => `${fenceName(s, e >> 2)} ${USAGE_NAMES[e & 3]}`);
  return {
    events, enabled, violations, results: env.results,
    end: [
      ...resvs.map((r, i) => `r${i} max ${s.get(r + R('maxFences'))} [${entries(i)}]`),
      ...fences.map((f, i) => `f${i} ${s.get(f + F('signaled')) !== 0} ${s.get(f + F('refcount'))} ${s.get(f + F('published')) !== 0}`),
    ],
  };
}

const at = (op: number, r: number, f: number, n: number) => op * 4096 + r * 256 + f * 16 + n;
const resv = fc.nat(RESVS - 1);
const fence = fc.nat(FENCES.length - 1);
const usage = fc.nat(3);
const stray = fc.oneof(
  fc.tuple(fc.constantFrom(P.LOCK, P.TRYLOCK, P.UNLOCK, P.ASSERT_HELD), resv).map(([op, r]) => at(op, r, 0, 0)),
  fc.tuple(fc.constantFrom(P.TEST, P.WAIT, P.WAIT_TIMEOUT, P.WAIT_POLL), resv, usage).map(([op, r, u]) => at(op, r, 0, u)),
  fence.map((f) => at(P.SIGNAL, 0, f, 0)),
  fc.tuple(fc.constantFrom(P.ADD, P.REPLACE), resv, fence, usage).map(([op, r, f, u]) => at(op, r, f, u)),
);
/** A locked section as drivers write it: reserve, add (or replace), unlock; sometimes without the reserve. */
const section = fc.tuple(resv, fence, usage, fc.boolean(), fc.boolean()).map(([r, f, u, reserve, replace]) => [
  at(P.LOCK, r, 0, 0), ...(reserve ? [at(P.RESERVE, r, 0, 1)] : []), at(replace ? P.REPLACE : P.ADD, r, f, u), at(P.UNLOCK, r, 0, 0),
]);
const thread = fc.array(fc.oneof(section, stray.map((w) => [w])), { maxLength: 3 }).map((p) => p.flat());
const codeArb = fc.array(thread, { minLength: 1, maxLength: 3 });
const versionArb = fc.constantFrom<KernelVersion>('v3', 'landed');
const choicesArb = fc.array(fc.nat(5), { maxLength: 30 });

test('dma_resv: the subset and the generator kernel give the same events, enabled threads, violations, results and end state', () => {
  fc.assert(fc.property(versionArb, codeArb, choicesArb, (v, code, choices) => {
    assert.deepEqual(frameRun(v, code, choices), generatorRun(v, code, choices));
  }), { numRuns: 600 });
});

test('dma_resv: the generated programs reach the rules the model checks (the comparison is not vacuous)', () => {
  const seen = new Set<string>();
  fc.assert(fc.property(versionArb, codeArb, choicesArb, (v, code, choices) => {
    const r = frameRun(v, code, choices);
    for (const x of r.violations) seen.add(x.replace(/^@-?\d+ t\d /, '').replace(/:.*/, ''));
    if (r.end.some((e) => /^f\d true 1 true/.test(e))) seen.add('replaced when signalled');
    if (r.events.some((e) => / dma_fence_wait(_timeout)? f/.test(e))) seen.add('waited on a fence');
    if (r.end.some((e) => /\[f\d \w+,f\d/.test(e))) seen.add('two slots');
  }), { numRuns: 600, seed: 18 });
  assert.deepEqual([...seen].sort(), ['api-misuse P7', 'api-misuse R19', 'api-misuse R21', 'api-misuse R23', 'deadlock R18', 'replaced when signalled', 'two slots', 'waited on a fence']);
});
