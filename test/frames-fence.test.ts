// dma_fence in the subset (src/kernel/frame-fence.ts, over typed store views) against the
// generator kernel's (kernel/fence.ts) on generated programs, driven by the same
// schedules: the same events (thread, label, detail), enabled threads after every step,
// violations at the same events, results, and the same fences and callbacks at the end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Runtime } from '../src/sim/runtime.ts';
import type { Proc } from '../src/sim/op.ts';
import { newKernel, type KernelVersion } from '../src/kernel/kernel.ts';
import * as G from '../src/kernel/fence.ts';
import { Store, StoreLayout } from '../src/sim/store.ts';
import { driveFrames, driveRuntime, NO_BUFFERS, recordingSink, runtimeRecord } from './frames/differential.ts';
import { FrameSimBuilder } from '../src/sim/frame-sim.ts';
import { frameStart, frameStep, frameThread, linkFrames, type FrameRunCtx } from '../src/sim/frames.ts';
import { structAlloc, structPool, type Ref } from '../src/sim/struct.ts';
import type { DmaFence } from '../src/kernel/frame-fence.ts';
import { frameKernelSlots, type FenceCallbackFn } from '../src/kernel/frame-kernel.ts';
import { dmaFenceGet, dmaFenceInit, STRUCTS } from '../src/kernel/frame-fence.frames.ts';
import * as P from './frames/fence-progs.ts';
import { FN, frames } from './frames/fence-progs.frames.ts';

type Code = readonly (readonly number[])[];

interface Outcome {
  readonly events: string[];
  readonly enabled: string[];
  readonly violations: string[];
  readonly results: number[][];
  /** each fence: signalled, error, refcount, queued callbacks; each callback: ran, its fence */
  readonly end: string[];
}

/** Three fences (f0 and f1 of one context, f2 64-bit in another) and two callbacks; cb1's func takes a reference to f2. */
const FENCES = [{ context: 1, seqno: 1, use64: false }, { context: 1, seqno: 2, use64: false }, { context: 2, seqno: 1, use64: true }];
const CBS = 2;

function generatorRun(version: KernelVersion, code: Code, choices: readonly number[]): Outcome {
  const rt = new Runtime();
  const k = newKernel(rt, version);
  const fs = FENCES.map((f, i) => G.dmaFenceInit(k, `f${i}`, f.context, f.seqno, 'test', f.use64));
  const cbs: G.FenceCallback[] = Array.from({ length: CBS }, (_, i) => ({ name: `cb${i}`, ran: false, fence: null, ...(i === 1 ? { func: () => G.dmaFenceGet(k, fs[2]!) } : {}) }));
  const results = code.map(() => [] as number[]);
  code.forEach((instrs, t) => rt.spawn(`t${t}`, function* (): Proc {
    for (const w of instrs) {
      const f = fs[(w >> 4) & 15]!;
      const other = w & 15;
      const note = (r: number | boolean) => results[t]!.push(Number(r));
      switch (w >> 8) {
        case P.SIGNAL: note(yield* G.dmaFenceSignal(k, f)); break;
        case P.CHECK_SIGNAL: note(yield* G.dmaFenceCheckAndSignal(k, f)); break;
        case P.WAIT: note(yield* G.dmaFenceWait(k, f)); break;
        case P.WAIT_TIMEOUT: note(yield* G.dmaFenceWaitTimeout(k, f, 3)); break;
        case P.WAIT_NEGATIVE: note(yield* G.dmaFenceWaitTimeout(k, f, -1)); break;
        case P.ADD_CB: note(yield* G.dmaFenceAddCallback(k, f, cbs[other]!)); break;
        case P.REMOVE_CB: note(yield* G.dmaFenceRemoveCallback(k, f, cbs[other]!)); break;
        case P.PUT_OP: yield* G.dmaFencePutOp(k, f); break;
        case P.GET: G.dmaFenceGet(k, f); break;
        case P.PUT: G.dmaFencePut(k, f); break;
        case P.SET_ERROR: G.dmaFenceSetError(k, f, other === 0 ? -5 : 3); break;
        case P.STATUS: note(G.dmaFenceGetStatus(f)); break;
        case P.IS_LATER: note(G.dmaFenceIsLaterOrSame(k, f, fs[other]!)); break;
        case P.BEGIN_SIGNALLING: note(G.dmaFenceBeginSignalling(k)); break;
        default: G.dmaFenceEndSignalling(k, false);
      }
    }
  }));
  const enabled = driveRuntime(rt, choices);
  return {
    ...runtimeRecord(rt),
    enabled,
    results,
    end: [...fs.map((f) => `${f.name} ${f.signaled} ${f.error} ${f.refcount} [${f.callbacks.map((c) => c.name)}]`), ...cbs.map((c) => `${c.name} ${c.ran} ${c.fence?.name ?? '-'}`)],
  };
}

function frameRun(version: KernelVersion, code: Code, choices: readonly number[]): Outcome {
  const layout = new StoreLayout();
  const names = code.map((_, t) => `t${t}`);
  const sim = new FrameSimBuilder(layout, names).done();
  const slots = frameKernelSlots(layout, sim);
  const fencePool = structPool(layout, 'fences', FENCES.length, STRUCTS.DmaFence);
  const cbPool = structPool(layout, 'fence_cbs', CBS, STRUCTS.DmaFenceCb);
  const prog = linkFrames(frames);
  const ths = names.map((n, t) => frameThread(layout, n, 4, prog.width, { local: t }));
  const s = new Store(layout);
  const F = (field: string) => STRUCTS.DmaFence.fields.indexOf(field as never);
  const C = (field: string) => STRUCTS.DmaFenceCb.fields.indexOf(field as never);
  const cbIndex = (cb: number) => (cb - cbPool.base) / cbPool.width;
  const fences: number[] = [];
  const callbacks: FenceCallbackFn[] = [() => {}, (kk) => dmaFenceGet(kk, fences[2]! as Ref<DmaFence>)];
  const kernel = {
    version, ...slots, callbacks, ...NO_BUFFERS,
    fenceName: (st: Store, f: number) => `f${st.get(f + F('owner'))}`,
    callbackName: (_: Store, cb: number) => `cb${cbIndex(cb)}`,
  };
  const events: string[] = [];
  const violations: string[] = [];
  const out = recordingSink(events, violations);
  const cbs: number[] = [];
  const env: P.FenceProgEnv = { sim, kernel, code, fences, cbs, results: code.map(() => []) };
  const ctx = ths.map((th, tid): FrameRunCtx => ({ s, tid, out, env, th, prog }));
  s.set(slots.nextContext, 3);
  FENCES.forEach((f, i) => fences.push(dmaFenceInit(ctx[0]! as FrameRunCtx<never>, fencePool, f.context, f.seqno, f.use64, i, 0)));
  for (let i = 0; i < CBS; i++) {
    const cb = structAlloc(s, cbPool);
    s.set(cb + C('func'), i);
    cbs.push(cb);
  }
  ctx.forEach((k) => { frameStart(k, frames, FN.fenceThread, []); frameStep(k); });
  const enabled = driveFrames(ctx, choices);
  const queued = (f: number) => { const out: string[] = []; for (let c = s.get(f + F('cbHead')); c !== 0; c = s.get(c + C('next'))) out.push(`cb${cbIndex(c)}`); return out; };
  const nameOr = (f: number) => (f === 0 ? '-' : `f${s.get(f + F('owner'))}`);
  return {
    events, enabled, violations, results: env.results,
    end: [
      ...fences.map((f, i) => `f${i} ${s.get(f + F('signaled')) !== 0} ${s.get(f + F('error'))} ${s.get(f + F('refcount'))} [${queued(f)}]`),
      ...cbs.map((c, i) => `cb${i} ${s.get(c + C('ran')) !== 0} ${nameOr(s.get(c + C('fence')))}`),
    ],
  };
}

const fence = fc.nat(FENCES.length - 1);
const instr = fc.oneof(
  fc.tuple(fc.constantFrom(P.SIGNAL, P.CHECK_SIGNAL, P.WAIT, P.WAIT_TIMEOUT, P.WAIT_NEGATIVE, P.PUT_OP, P.GET, P.PUT, P.STATUS, P.BEGIN_SIGNALLING, P.END_SIGNALLING), fence, fc.constant(0)),
  fc.tuple(fc.constantFrom(P.ADD_CB, P.REMOVE_CB), fence, fc.nat(CBS - 1)),
  fc.tuple(fc.constant(P.IS_LATER), fence, fence),
  fc.tuple(fc.constant(P.SET_ERROR), fence, fc.nat(1)),
).map(([op, a, b]) => op * 256 + a * 16 + b);
const codeArb = fc.array(fc.array(instr, { maxLength: 6 }), { minLength: 1, maxLength: 3 });
const versionArb = fc.constantFrom<KernelVersion>('v3', 'landed');
const choicesArb = fc.array(fc.nat(5), { maxLength: 30 });

test('dma_fence: the subset and the generator kernel give the same events, enabled threads, violations, results and end state', () => {
  fc.assert(fc.property(versionArb, codeArb, choicesArb, (v, code, choices) => {
    assert.deepEqual(frameRun(v, code, choices), generatorRun(v, code, choices));
  }), { numRuns: 600 });
});

test('dma_fence: the generated programs reach the rules the model checks (the comparison is not vacuous)', () => {
  const seen = new Set<string>();
  fc.assert(fc.property(versionArb, codeArb, choicesArb, (v, code, choices) => {
    const r = frameRun(v, code, choices);
    for (const x of r.violations) seen.add(x.replace(/^@-?\d+ t\d /, '').replace(/:.*/, ''));
    if (r.events.some((e) => e.includes('dma_fence_wait f'))) seen.add('waited');
    if (r.end.some((e) => /^cb1 true/.test(e)) && r.end.some((e) => /^f2 \w+ -?\d+ [2-9]/.test(e))) seen.add('callback func ran');
  }), { numRuns: 600, seed: 18 });
  assert.deepEqual([...seen].sort(), [
    'api-misuse P7', 'api-misuse R10', 'api-misuse R12', 'api-misuse R13', 'api-misuse R15', 'api-misuse R3', 'api-misuse R5', 'api-misuse R8', 'callback func ran', 'waited',
  ]);
});
