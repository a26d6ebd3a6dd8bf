// The compiled function* subset (scripts/compile-frames.ts) against the generators it
// was compiled from: the same schedules give the same events, enabled threads, final
// states and return values; the committed output is what the compiler emits now; the
// frames are the whole control state (the stateful search over them finds the terminal
// states a replaying enumeration of the generators finds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { compileFrames, FRAME_SOURCES } from '../scripts/compile-frames.ts';
import { FrameOpKind } from '../src/sim/frame-ops.ts';
import { frameFinished, framePend, frameStart, frameStep, frameThread, fnId, linkFrames, type FrameModule, type FrameRunCtx } from '../src/sim/frames.ts';
import { Store as DataStore, StoreLayout } from '../src/sim/store.ts';
import { FN as INVOKE_FN, frames as invokeFrames } from './frames/invoke-progs.frames.ts';
import { statefulSearch, type StatefulModel } from '../src/check/stateful.ts';
import type { Store } from '../src/sim/store.ts';
import { SHARED } from './frames/progs.ts';
import { FN, frames } from './frames/progs.frames.ts';
import { frames as syncFrames } from './frames/sync-progs.frames.ts';
import { frames as mutexFrames } from '../src/sim/frame-mutex.frames.ts';
import { frames as completionFrames } from '../src/sim/frame-completion.frames.ts';
import { drive, frameWorld, genWorld, STARTS, type Start, type World } from './frames/worlds.ts';

test('the committed compiler output is what the compiler emits now', () => {
  for (const f of FRAME_SOURCES) {
    const r = compileFrames(f);
    assert.deepEqual(r.errors, []);
    assert.equal(readFileSync(f.replace(/\.ts$/, '.frames.ts'), 'utf8'), r.code, `${f}: run npm run frames`);
  }
});

/** Runs both forms in lock step; returns the first difference, or undefined. */
function differ(starts: readonly Start[], choices: readonly number[], mod?: FrameModule): string | undefined {
  const g = genWorld(starts);
  const c = frameWorld(starts, mod);
  const n = starts.length;
  const enabled = (w: World) => Array.from({ length: n }, (_, t) => w.enabled(t));
  let diff: string | undefined;
  const compare = () => {
    if (diff === undefined && enabled(g).join() !== enabled(c).join()) diff = `enabled ${enabled(g)} vs ${enabled(c)} after ${g.events.length} events`;
  };
  try {
    drive({ ...g, step: (t) => { g.step(t); c.step(t); } }, n, choices, compare);
  } catch (e) {
    return `threw: ${(e as Error).message}`;
  }
  if (diff) return diff;
  if (g.events.join('\n') !== c.events.join('\n')) return `events\n${g.events.join('\n')}\nvs\n${c.events.join('\n')}`;
  const shared = (w: World) => [...w.s.slots.slice(0, SHARED)].join();
  if (shared(g) !== shared(c)) return `shared state ${shared(g)} vs ${shared(c)}`;
  for (let t = 0; t < n; t++) {
    if (g.finished(t) !== c.finished(t)) return `t${t} finished ${g.finished(t)} vs ${c.finished(t)}`;
    if (g.finished(t) && g.result(t) !== c.result(t)) return `t${t} returned ${g.result(t)} vs ${c.result(t)}`;
  }
  if (!c.s.rehash()) return 'a compiled step wrote the store around the write barrier';
  // a finished thread leaves only its return value: frames and the pending op are zeroed
  for (let t = 0; t < n; t++) {
    const th = c.threads[t]!;
    if (!c.finished(t)) continue;
    const rest = [...c.s.slots.slice(th.frames, th.frames + th.depth * th.width), c.s.get(th.op), c.s.get(th.sp)];
    if (rest.some((v) => v !== 0)) return `t${t} finished with control state left: ${rest}`;
  }
  return undefined;
}

const startsArb = fc.array(fc.constantFrom(...STARTS), { minLength: 1, maxLength: 3 });
const choicesArb = fc.array(fc.nat(5), { maxLength: 60 });

test('differential: generator and compiled forms give the same events, enabled threads, states and results', () => {
  fc.assert(fc.property(startsArb, choicesArb, (starts, choices) => {
    const d = differ(starts, choices);
    assert.equal(d, undefined, d);
  }), { numRuns: 400 });
});

test('differential: the schedules reach contention, waits, deadlocks and misuse (the comparison is not vacuous)', () => {
  const seen = new Set<string>();
  fc.assert(fc.property(startsArb, choicesArb, (starts, choices) => {
    const w = frameWorld(starts);
    let blocked = false;
    drive(w, starts.length, choices, () => { if (starts.some((_, t) => !w.finished(t) && !w.enabled(t))) blocked = true; });
    if (blocked) seen.add('blocked');
    if (starts.some((_, t) => !w.finished(t))) seen.add('deadlock');
    if (w.events.some((e) => e.includes('api-misuse'))) seen.add('misuse');
    if (w.events.some((e) => e.includes('wait flag'))) seen.add('wait');
  }), { numRuns: 400, seed: 18 });
  assert.deepEqual([...seen].sort(), ['blocked', 'deadlock', 'misuse', 'wait']);
});

test('differential: a compiled function that lost its lock guard is caught', () => {
  // the mutant a compiler bug would make: incLocked's `yield lock(L0)` pends a plain scheduling point
  const real = frames.fns[FN.incLocked]!;
  const mutant: FrameModule = {
    ...frames,
    fns: frames.fns.map((f, i) => (i !== FN.incLocked ? f : (k, fr) => {
      const r = real(k, fr);
      if (k.s.get(k.th.op) === FrameOpKind.Lock) framePend(k, { kind: FrameOpKind.Sched, a: 0, b: 0 });
      return r;
    })),
  };
  const starts = STARTS.filter((s) => s.fn === 'incLocked');
  assert.equal(differ(starts, [0, 1, 0, 1, 0, 1]), undefined);
  assert.match(differ(starts, [0, 1, 0, 1, 0, 1], mutant) ?? '', /events/);
});

/** The compiled world as a model of the stateful search: every bit of control state is in the store. */
function frameModel(starts: readonly Start[]): StatefulModel {
  const w = frameWorld(starts);
  const init = new Int32Array(w.s.slots);
  const prog = linkFrames(frames);
  const ctx = (s: Store, t: number) => ({ s, tid: t, out: { records: false, event: () => {}, report: () => {} }, th: w.threads[t]!, env: undefined, prog });
  return {
    layout: w.s.layout,
    threads: starts.map((_, t) => `t${t}`),
    init: (s) => { for (let i = 0; i < init.length; i++) s.set(i, init[i]!); },
    step: (s, t) => frameStep(ctx(s, t)),
    finished: (s, t) => frameFinished(ctx(s, t)),
  };
}

/** Terminal shared states of the generators by replaying every schedule from scratch (no cloning needed). */
function genTerminals(starts: readonly Start[]): Set<string> {
  const out = new Set<string>();
  const go = (prefix: number[]) => {
    const w = genWorld(starts);
    for (const t of prefix) w.step(t);
    const en = starts.map((_, t) => t).filter((t) => w.enabled(t));
    if (en.length === 0) {
      const stuck = starts.some((_, t) => !w.finished(t));
      out.add(`${stuck ? 'D' : ''}${[...w.s.slots.slice(0, SHARED)].join()}`);
      return;
    }
    for (const t of en) go([...prefix, t]);
  };
  go([]);
  return out;
}

test('the stateful search over compiled frames finds the terminal states of the generators', () => {
  const worlds: Start[][] = [
    [STARTS[0]!, STARTS[2]!], [STARTS[7]!, STARTS[8]!], [STARTS[5]!, STARTS[3]!], [STARTS[9]!, STARTS[5]!], [STARTS[6]!, STARTS[10]!],
  ];
  for (const starts of worlds) {
    const found = new Set<string>();
    // these programs are yield-granular, with no slot protections declared: the transaction
    // check (txn.ts) is not what this compares; frames-twin.test.ts runs compiled frames under it
    const r = statefulSearch(frameModel(starts), {
      exact: true, stopAtFirst: false, transactions: false,
      onTerminal: (s, deadlock) => { found.add(`${deadlock ? 'D' : ''}${[...s.slots.slice(0, SHARED)].join()}`); },
    });
    assert.ok(r.complete);
    assert.deepEqual([...found].sort(), [...genTerminals(starts)].sort(), starts.map((s) => s.fn).join(' + '));
  }
});

test('linking: one function id space across modules, assigned from the roots, each module once; cycles and unlinked modules', () => {
  const p = linkFrames(syncFrames);
  assert.deepEqual(p.modules.map((m) => m.source), ['test/frames/sync-progs.ts', 'src/sim/frame-mutex.ts', 'src/sim/frame-completion.ts']);
  assert.deepEqual([p.base(syncFrames), p.base(mutexFrames), p.base(completionFrames)], [0, 1, 3]);
  assert.deepEqual(p.names, ['syncThread', 'mutexLock', 'mutexUnlock', 'complete', 'reinitCompletion', 'waitForCompletion', 'waitForCompletionTimeout']);
  assert.equal(p.width, Math.max(syncFrames.width, mutexFrames.width, completionFrames.width));
  // the same roots give the same ids; other roots, other ids (they are the program's, not the module's)
  assert.deepEqual(linkFrames(syncFrames).names, p.names);
  assert.equal(linkFrames(completionFrames, syncFrames).base(syncFrames), completionFrames.names.length);
  // two modules that call each other link once each
  const a: FrameModule = { ...frames, source: 'a', deps: () => [b] };
  const b: FrameModule = { ...frames, source: 'b', deps: () => [a] };
  assert.deepEqual(linkFrames(a).modules.map((m) => m.source), ['a', 'b']);
  assert.throws(() => linkFrames(frames).base(mutexFrames), /model bug: src\/sim\/frame-mutex\.ts is not linked into this program \(test\/frames\/progs\.ts\)/);
});

test('invoke: a call through a function id in the state runs the function it names; a wrong id or arity is a model bug', () => {
  const prog = linkFrames(invokeFrames);
  const run = (id: number, x: number) => {
    const layout = new StoreLayout();
    const op = layout.field('op');
    const th = frameThread(layout, 't0', 3, prog.width);
    const s = new DataStore(layout);
    const k: FrameRunCtx = { s, tid: 0, out: { records: false, event: () => {}, report: () => {} }, env: { op }, th, prog };
    s.set(op, id);
    frameStart(k, invokeFrames, INVOKE_FN.caller, [x]);
    let steps = 0;
    while (!frameFinished(k)) { assert.ok(frameStep(k)); steps++; }
    return { ret: s.get(th.ret), steps };
  };
  // double yields once: two steps; addIf does not yield: one
  assert.deepEqual(run(fnId(prog, invokeFrames, INVOKE_FN.double), 21), { ret: 142, steps: 2 });
  assert.throws(() => run(fnId(prog, invokeFrames, INVOKE_FN.addIf), 1), /model bug: t0 invokes addIf with 1 arguments, it takes 2/);
  assert.throws(() => run(99, 1), /model bug: t0 invokes function id 99, which the program does not have/);
});
