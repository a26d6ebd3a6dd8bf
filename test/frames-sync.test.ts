// The subset's sync primitives (src/sim/frame-mutex.ts, frame-completion.ts, frame-sim.ts)
// against the generator runtime's (sim/mutex.ts, sim/completion.ts, sim/runtime.ts) on
// generated programs, driven by the same schedules: the same events (thread, label,
// detail), the same enabled threads after every step, the same violations at the same
// events, the same results of timed waits. The compiled programs call the primitives
// across files (test/frames/sync-progs.ts), so this also runs linked frame programs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Runtime } from '../src/sim/runtime.ts';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../src/sim/mutex.ts';
import { complete, newCompletion, reinitCompletion, waitForCompletion, waitForCompletionTimeout, type Completion } from '../src/sim/completion.ts';
import type { Proc } from '../src/sim/op.ts';
import { Store, StoreLayout } from '../src/sim/store.ts';
import { driveFrames, driveRuntime, recordingSink, runtimeRecord } from './frames/differential.ts';
import { FrameSimBuilder } from '../src/sim/frame-sim.ts';
import { FRAME_LOCALS, FRAME_PC, frameReturn, frameStart, frameStep, frameThread, linkFrames, type FrameFn, type FrameRunCtx } from '../src/sim/frames.ts';
import { listPushBack } from '../src/sim/store-list.ts';
import { COMPLETE, LOCK, REINIT, UNLOCK, WAIT, WAIT_TIMEOUT, type SyncEnv } from './frames/sync-progs.ts';
import { FN, frames } from './frames/sync-progs.frames.ts';
import { FN as FN_MUTEX, frames as mutexFrames } from '../src/sim/frame-mutex.frames.ts';

/** Three mutexes (m0 and m2 of one lockdep class) and two completions. */
const MUTEXES = [{ name: 'm0', cls: 'A' }, { name: 'm1', cls: 'B' }, { name: 'm2', cls: 'A' }, { name: 'm3', cls: 'C' }];
const COMPLETIONS = ['c0', 'c1'];

interface Outcome {
  readonly events: string[];
  readonly enabled: string[];
  readonly violations: string[];
  readonly results: number[][];
}

type Code = readonly (readonly number[])[];

function generatorRun(code: Code, choices: readonly number[]): Outcome {
  const rt = new Runtime();
  const ms: Mutex[] = MUTEXES.map((m) => newMutex(rt, m.name, m.cls));
  const cs: Completion[] = COMPLETIONS.map((c) => newCompletion(rt, c));
  const results = code.map(() => [] as number[]);
  code.forEach((instrs, t) => rt.spawn(`t${t}`, function* (): Proc {
    for (const w of instrs) {
      const a = w & 15;
      switch (w >> 4) {
        case LOCK: yield* mutexLock(rt, ms[a]!); break;
        case UNLOCK: yield* mutexUnlock(rt, ms[a]!); break;
        case COMPLETE: yield* complete(cs[a]!); break;
        case REINIT: yield* reinitCompletion(cs[a]!); break;
        case WAIT: yield* waitForCompletion(cs[a]!); break;
        default: results[t]!.push(yield* waitForCompletionTimeout(cs[a]!, 5));
      }
    }
  }));
  const enabled = driveRuntime(rt, choices);
  return {
    ...runtimeRecord(rt),
    enabled,
    results,
  };
}

function frameRun(code: Code, choices: readonly number[]): Outcome {
  const layout = new StoreLayout();
  const names = code.map((_, t) => `t${t}`);
  const b = new FrameSimBuilder(layout, names);
  const mutexes = MUTEXES.map((m) => b.mutex(m.name, m.cls));
  const completions = COMPLETIONS.map((c) => b.completion(c));
  const sim = b.done();
  const prog = linkFrames(frames);
  const ths = names.map((n, t) => frameThread(layout, n, 3, prog.width, { local: t }));
  const s = new Store(layout);
  const events: string[] = [];
  const violations: string[] = [];
  const out = recordingSink(events, violations);
  const env: SyncEnv = { sim, code, mutexes, completions, results: code.map(() => []) };
  const ctx = ths.map((th, tid): FrameRunCtx => ({ s, tid, out, env, th, prog }));
  // the generator runtime's start(): every thread runs to its first yield, in thread order
  ctx.forEach((k) => { frameStart(k, frames, FN.syncThread, []); frameStep(k); });
  const enabled = driveFrames(ctx, choices);
  return { events, enabled, violations, results: env.results };
}

const instr = fc.oneof(
  fc.tuple(fc.constantFrom(LOCK, UNLOCK), fc.nat(MUTEXES.length - 1)),
  fc.tuple(fc.constantFrom(COMPLETE, REINIT, WAIT, WAIT_TIMEOUT), fc.nat(COMPLETIONS.length - 1)),
).map(([op, a]) => op * 16 + a);
/** Mostly balanced lock sections (so that lockdep sees orders), with stray instructions between. */
const section = fc.tuple(fc.nat(MUTEXES.length - 1), fc.nat(MUTEXES.length - 1), fc.boolean()).map(([a, b2, nest]) => (nest ? [LOCK * 16 + a, LOCK * 16 + b2, UNLOCK * 16 + b2, UNLOCK * 16 + a] : [LOCK * 16 + a, UNLOCK * 16 + a]));
const thread = fc.array(fc.oneof(section, instr.map((w) => [w])), { maxLength: 4 }).map((parts) => parts.flat());
const codeArb = fc.array(thread, { minLength: 1, maxLength: 3 });
const choicesArb = fc.array(fc.nat(5), { maxLength: 40 });

test('sync primitives: the subset and the generator runtime give the same events, enabled threads, violations and results', () => {
  fc.assert(fc.property(codeArb, choicesArb, (code, choices) => {
    assert.deepEqual(frameRun(code, choices), generatorRun(code, choices));
  }), { numRuns: 500 });
});

test('sync primitives: the generated schedules reach every violation and blocking the primitives have (not vacuous)', () => {
  const seen = new Set<string>();
  fc.assert(fc.property(codeArb, choicesArb, (code, choices) => {
    const r = frameRun(code, choices);
    for (const v of r.violations) seen.add(v.replace(/^@-?\d+ t\d /, '').replace(/:.*/, ''));
    if (r.results.flat().includes(0)) seen.add('timed out');
    if (r.results.flat().includes(5)) seen.add('completed in time');
    if (r.events.some((e) => e.includes('wait_for_completion c'))) seen.add('waited');
  }), { numRuns: 500, seed: 7 });
  assert.deepEqual([...seen].sort(), ['api-misuse P7', 'completed in time', 'deadlock P8', 'timed out', 'waited']);
});

test('sync primitives: lockdep reports the cycle over the same path in both runtimes when several paths close it', () => {
  // t0 orders A -> C, A -> B and C -> B (C added before B); t1 then takes B, then A: both
  // report the cycle B -> A -> B, walking A's successors in name order
  const code = [[LOCK * 16 + 0, LOCK * 16 + 3, UNLOCK * 16 + 3, LOCK * 16 + 1, UNLOCK * 16 + 1, UNLOCK * 16 + 0, LOCK * 16 + 3, LOCK * 16 + 1, UNLOCK * 16 + 1, UNLOCK * 16 + 3],
    [LOCK * 16 + 1, LOCK * 16 + 0, UNLOCK * 16 + 0, UNLOCK * 16 + 1]];
  const g = generatorRun(code, []);
  assert.deepEqual(frameRun(code, []), g);
  assert.deepEqual(g.violations.map((v) => v.replace(/^@\d+ /, '')), ['t1 deadlock P8: lock-order inversion: B -> A -> B']);
});

test('sync primitives: a mutant mutex that skips lockdep is caught by the comparison', () => {
  // the mutex module as a port that forgot the order check would be: mutexLock's last
  // program point books the acquisition without noteAcquired's lockdep walk
  const fns = mutexFrames.fns as FrameFn[];
  const real = fns[FN_MUTEX.mutexLock]!;
  const code = [[LOCK * 16 + 0, LOCK * 16 + 1, UNLOCK * 16 + 1, UNLOCK * 16 + 0], [LOCK * 16 + 1, LOCK * 16 + 0, UNLOCK * 16 + 0, UNLOCK * 16 + 1]];
  assert.deepEqual(frameRun(code, []), generatorRun(code, []));
  fns[FN_MUTEX.mutexLock] = (ctx, fr) => {
    const k = ctx as unknown as FrameRunCtx<SyncEnv>;
    if (k.s.get(fr + FRAME_PC) !== 3) return real(ctx, fr);
    const m = k.s.get(fr + FRAME_LOCALS);
    k.out.event(k.tid, 'mutex_lock', k.s.layout.slotName(m));
    listPushBack(k.s, k.env.sim.held[k.tid]!, m);
    return frameReturn(k, 0);
  };
  try {
    assert.notDeepEqual(frameRun(code, []), generatorRun(code, []));
  } finally {
    fns[FN_MUTEX.mutexLock] = real;
  }
});
