// The data world of a whole scenario (src/scenario/frame-world.ts: vfio-pci, gpu-dynamic
// and the scenario threads in the compiled subset) against the generator world
// (world.ts) on the bundled scenarios it models and the Spin twins: the same schedules,
// the same events, enabled threads after every step, violations and end-of-run checks.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseScenario } from '../src/scenario/load.ts';
import { buildWorld } from '../src/scenario/world.ts';
import { buildFrameWorld, frameThreadDone, framePorted } from '../src/scenario/frame-world.ts';
import { Store } from '../src/sim/store.ts';
import { frameEnabled, frameStep } from '../src/sim/frames.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { drive, recordingSink, runtimeRecord } from './frames/differential.ts';

const DIRS = ['scenarios', '../shared/bench/spin/scenarios'];

function ported(): Scenario[] {
  const out: Scenario[] = [];
  for (const d of DIRS) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).filter((x) => x.endsWith('.yaml')).sort()) {
      const sc = parseScenario(readFileSync(`${d}/${f}`, 'utf8'), `${d}/${f}`);
      if (framePorted(sc)) out.push(sc);
    }
  }
  return out;
}

interface Outcome {
  readonly events: string[];
  readonly enabled: string[];
  readonly violations: string[];
}

function generatorRun(sc: Scenario, choices: readonly number[]): Outcome {
  const { rt } = buildWorld(sc);
  const enabled: string[] = [];
  drive(rt.threads.length, (t) => rt.isEnabled(t), (t) => rt.step(t), choices, () => enabled.push(rt.enabledMask().toString(2)));
  rt.finish();
  const { events, violations } = runtimeRecord(rt);
  // the end-of-run reports (P6, a hang) carry event -1: the data world's at the last event
  return { events, enabled, violations: violations.map((v) => v.replace(/^@-1 \S+/, `@${events.length - 1}`)) };
}

function frameRun(sc: Scenario, choices: readonly number[]): Outcome {
  const w = buildFrameWorld(sc);
  const events: string[] = [];
  const violations: string[] = [];
  w.sink = recordingSink(events, violations, w.threads);
  const s = new Store(w.layout);
  w.init(s);
  const n = w.threads.length;
  const mask = () => Array.from({ length: n }, (_, t) => t).reduce((m, t) => m | (frameEnabled(w.ctx(s, t)) ? 1 << t : 0), 0).toString(2);
  const enabled: string[] = [];
  drive(n, (t) => frameEnabled(w.ctx(s, t)), (t) => { assert.ok(frameStep(w.ctx(s, t))); }, choices, () => enabled.push(mask()));
  assert.ok(s.rehash(), 'every write went through the write barrier');
  const hung = w.threads.filter((_, t) => !frameThreadDone(w, s, t));
  if (hung.length === 0) {
    const before = violations.length;
    w.atEnd(s);
    // an end check has no thread: the generator names none
    for (let i = before; i < violations.length; i++) violations[i] = violations[i]!.replace(/^(@-?\d+) \S+/, '$1 ');
  } else violations.push(`@${events.length - 1} hang`);
  return { events, enabled, violations };
}

/** The generator's hang reports are compared by kind only (the data world names no pending op). */
function comparable(o: Outcome): Outcome {
  return { ...o, violations: o.violations.map((v) => (/ (wait-timeout|deadlock) P[89]: (no thread can run|threads block)/.test(v) ? v.replace(/^(@-?\d+) .*$/, '$1 hang') : v)) };
}

const scenarios = ported();

test('data world: the scenarios it models include the vfio-pci and gpu-dynamic families', () => {
  assert.ok(scenarios.length >= 15, `only ${scenarios.length} ported scenarios`);
  assert.ok(scenarios.some((s) => s.name === 'b1-vfio-revoke-no-wait'));
});

for (const sc of scenarios) {
  test(`data world: ${sc.name} gives the generator world's events, enabled threads and violations`, () => {
    fc.assert(fc.property(fc.array(fc.nat(31), { maxLength: 120 }), (choices) => {
      assert.deepEqual(frameRun(sc, choices), comparable(generatorRun(sc, choices)));
    }), { numRuns: 40, seed: 18 });
  });
}
