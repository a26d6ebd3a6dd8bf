// dma_resv in the subset (src/kernel/frame-resv.ts) against the generator kernel's
// (kernel/resv.ts) on generated programs of lock sections, reservations, fence adds and
// replacements, waits and signals, under the same schedules: the same events, enabled
// threads, violations at the same events (a BUG stopping its thread included), results,
// and fence lists and fences at the end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { KernelVersion } from '../src/kernel/kernel.ts';
import { drive } from './frames/differential.ts';
import { codeArb, resvFrameWorld, resvGeneratorWorld, type Code, type ResvWorld } from './frames/resv-worlds.ts';

/** Runs `choices` on `w`, then its first enabled thread until none is: what happened. */
function run(w: ResvWorld, choices: readonly number[]) {
  const enabled: string[] = [];
  drive(w.n, (t) => w.enabled(t), (t) => w.step(t), choices, () => enabled.push(w.mask()));
  return { ...w.record(), enabled, end: w.end() };
}

const generatorRun = (v: KernelVersion, code: Code, choices: readonly number[]) => run(resvGeneratorWorld(v, code), choices);
const frameRun = (v: KernelVersion, code: Code, choices: readonly number[]) => run(resvFrameWorld(v, code), choices);

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
    if (r.results.flat().includes(-35)) seen.add('a context died (-EDEADLK)');
    if (r.events.some((e) => e.includes('(woken)'))) seen.add('a queued context woke');
  }), { numRuns: 1500, seed: 6 });
  assert.deepEqual([...seen].sort(), ['a context died (-EDEADLK)', 'a queued context woke', 'api-misuse P7', 'api-misuse R18', 'api-misuse R18b', 'api-misuse R19', 'api-misuse R21', 'api-misuse R23', 'deadlock R18', 'replaced when signalled', 'two slots', 'waited on a fence']);
});
