// The stateful search over ported kernel code: the compiled resv programs
// (test/frames/resv-worlds.ts) searched state by state must meet exactly the violations
// that every schedule of the same programs on the generator kernel meets (enumerated by
// replay), and end blocked exactly when some schedule does. Fingerprints and exact states
// agree. This is the first search over kernel models in the data world rather than the
// hand-written twin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { statefulSearch } from '../src/check/stateful.ts';
import type { KernelVersion } from '../src/kernel/kernel.ts';
import { codeArb, resvFrameWorld, resvGeneratorWorld, type Code } from './frames/resv-worlds.ts';

/** Every schedule on the generator kernel, replayed from the start: the violations met and whether some execution ends blocked. */
function enumerate(v: KernelVersion, code: Code): { violations: Set<string>; blocked: boolean; executions: number } {
  const violations = new Set<string>();
  let blocked = false;
  let executions = 0;
  const go = (prefix: number[]) => {
    const w = resvGeneratorWorld(v, code);
    for (const t of prefix) w.step(t);
    const en = Array.from({ length: w.n }, (_, t) => t).filter((t) => w.enabled(t));
    if (en.length > 0) { for (const t of en) go([...prefix, t]); return; }
    executions++;
    for (const x of w.record().violations) violations.add(x.replace(/^@-?\d+ t\d+ /, ''));
    if (Array.from({ length: w.n }, (_, t) => t).some((t) => !w.finished(t))) blocked = true;
  };
  go([]);
  return { violations, blocked, executions };
}

function search(v: KernelVersion, code: Code, exact: boolean) {
  const { model } = resvFrameWorld(v, code);
  const r = statefulSearch(model, { exact, stopAtFirst: false, transactions: false });
  const own = r.violations.filter((x) => !(x.property === 'deadlock' && x.rule === 'P8' && x.message.startsWith('no transaction can run')));
  return { r, violations: new Set(own.map((x) => `${x.property} ${x.rule}: ${x.message}`)), blocked: own.length !== r.violations.length };
}

/** Small programs: the replaying enumeration is exponential in their length. */
const smallCode = codeArb.filter((c) => c.reduce((n, t) => n + t.length, 0) <= 12);
const versionArb = fc.constantFrom<KernelVersion>('v3', 'landed');

test('stateful search over the compiled kernel meets the violations and blocked ends of every generator schedule', () => {
  let executions = 0;
  let violating = 0;
  let blocking = 0;
  fc.assert(fc.property(versionArb, smallCode, (v, code) => {
    const ref = enumerate(v, code);
    executions += ref.executions;
    if (ref.violations.size > 0) violating++;
    if (ref.blocked) blocking++;
    const fp = search(v, code, false);
    assert.ok(fp.r.complete);
    assert.deepEqual([...fp.violations].sort(), [...ref.violations].sort());
    assert.equal(fp.blocked, ref.blocked);
    const ex = search(v, code, true);
    assert.equal(ex.r.states, fp.r.states, 'fingerprints merged no two states');
    assert.deepEqual([...ex.violations].sort(), [...fp.violations].sort());
  }), { numRuns: 300, seed: 18 });
  // not vacuous: the programs branch, and many of them violate a rule or can end blocked
  assert.ok(executions > 2_000 && violating > 50 && blocking > 20, `${executions} executions, ${violating} programs violating, ${blocking} blocking`);
});
