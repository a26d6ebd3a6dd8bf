// The checker on scenarios: dpor against exhaustive, the audit, shrinking, sampling, bounds, JUnit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HashSet53, HbAudit } from '../src/check/audit.ts';
import { checkScenario } from '../src/check/check.ts';
import { explore } from '../src/check/explore.ts';
import { runSchedule } from '../src/check/replay.ts';
import { parseToken } from '../src/check/token.ts';
import { junitXml } from '../src/report/junit.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { progArb, progWorld } from './programs.ts';

const tiny = (variant: string, extra = '', dma = true) => parseScenario(`name: tiny-${variant}
exporter: { driver: vfio-pci, variant: ${variant} }
importers:
  - { id: gpu0, driver: gpu-dynamic, speculative-reads: false }
threads:
  - name: reset
    steps: [revoke]
  - name: gpu0-user
    steps:
      - import: gpu0
${dma ? '      - dma: { importer: gpu0, count: 1 }\n' : ''}${extra}`, `tiny-${variant}.yaml`);


// Exhaustive enumeration is only feasible on the smallest worlds: even one import racing
// one revoke has more than 10^5 schedules. Outcome equality is checked on generated
// programs (test/sim.test.ts); here both searches must find the same bug.
test('dpor and exhaustive find the same violation (vfio-pci v2-no-wait, import and one transfer)', () => {
  const sc = tiny('v2-no-wait', 'expect: { verdict: violation, property: dma-after-revoke }');
  const ex = checkScenario(sc, { strategy: 'exhaustive', shrink: false, prepass: 0 });
  const dp = checkScenario(sc, { strategy: 'dpor', shrink: false, prepass: 0 });
  assert.equal(ex.ok, true);
  assert.equal(dp.ok, true);
  assert.equal(dp.violation!.rule, ex.violation!.rule);
  assert.ok(dp.stats.executions < ex.stats.executions, `${dp.stats.executions} vs ${ex.stats.executions}`);
});

test('dpor explores no execution twice (audit) on the tiny scenarios', () => {
  for (const v of ['v2-no-wait', 'correct']) {
    const r = checkScenario(tiny(v, 'expect: { verdict: safe }'), { shrink: false });
    assert.equal(r.stats.redundant, 0);
  }
});

test('the audit counts the repeats of exhaustive search; its classes are the dpor executions', () => {
  let repeats = 0;
  fc.assert(
    fc.property(progArb, (prog) => {
      const count = (strategy: 'dpor' | 'exhaustive') => {
        const audit = new HbAudit();
        let runs = 0, redundant = 0;
        explore(progWorld(prog), { strategy }, (rt) => { runs++; if (!audit.add(rt)) redundant++; return false; });
        return { runs, redundant };
      };
      const ex = count('exhaustive');
      const dp = count('dpor');
      assert.equal(dp.redundant, 0);
      assert.equal(ex.runs - ex.redundant, dp.runs, 'distinct classes of exhaustive = executions of dpor');
      repeats += ex.redundant;
    }),
    { numRuns: 40, seed: 7 },
  );
  assert.ok(repeats > 0, 'exhaustive meets classes more than once');
});

test("the audit's hash set answers as a Set does, through its growth", () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant(0), fc.nat(50), fc.maxSafeNat()), { minLength: 5000, maxLength: 12000 }), (xs) => {
      const mine = new HashSet53();
      const ref = new Set<number>();
      for (const x of xs) {
        // 0 and 1 share a slot key (0 marks empty): the audit's hashes make that a collision like any other
        const k = x === 0 ? 1 : x;
        assert.equal(mine.add(x), !ref.has(k), `add(${x})`);
        ref.add(k);
      }
    }),
    { numRuns: 10, seed: 11 },
  );
});

/** A distinct 53-bit value for each 32-bit `x`, spread like the audit's hashes (a bijection on the upper part). */
const spread = (x: number) => (Math.imul(x ^ 0x5bd1e995, 2654435761) >>> 0) * 2097152 + (Math.imul(x, 40503) >>> 11);

test('the audit keeps bounded memory past its limit and still catches every repeat in its sample', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.nat(), { minLength: 300, maxLength: 3000 }).map((xs) => xs.map(spread)), fc.integer({ min: 16, max: 200 }), (distinct, limit) => {
      const audit = new HbAudit(limit);
      const firstSeen = new Set<number>();
      // every value twice: once new, once a repeat, interleaved
      const stream = distinct.flatMap((h, i) => (i > 0 ? [h, distinct[i - 1]!] : [h]));
      let missed = 0;
      let added = 0;
      for (const h of stream) {
        const fresh = audit.addHash(h);
        const repeat = firstSeen.has(h);
        firstSeen.add(h);
        if (!repeat) assert.equal(fresh, true, 'a first execution is never called redundant');
        else if (fresh) missed++;
        assert.ok(audit.size <= limit, `holds ${audit.size} > ${limit}`);
        added++;
        if (audit.sampledFrom === added) assert.equal(audit.sample, 0.5, 'the first time it fills, it halves the sample once');
      }
      if (distinct.length < limit) {
        assert.equal(audit.sampledFrom, -1);
        assert.equal(missed, 0, 'exact below the limit');
        assert.equal(audit.sample, 1);
      } else {
        assert.ok(audit.sampledFrom >= limit, 'sampling begins only once the limit is reached');
        assert.ok(audit.sample < 1);
      }
      // a repeat of anything in the final sample is caught, now and later
      for (const h of distinct) {
        if (Math.floor(h / 4294967296) >>> (21 - Math.log2(1 / audit.sample)) === 0) assert.equal(audit.addHash(h), false, `repeat of ${h} in the sample`);
      }
    }),
    { numRuns: 60, seed: 5 },
  );
});

test('a sampling audit still checks about its rate of the repeats', () => {
  const audit = new HbAudit(1000);
  const xs = Array.from({ length: 40_000 }, (_, i) => spread(i));
  for (const x of xs) audit.addHash(x);
  let caught = 0;
  for (const x of xs) if (!audit.addHash(x)) caught++;
  const rate = caught / xs.length;
  assert.ok(audit.sample < 0.1, `sample ${audit.sample}`);
  assert.ok(rate > audit.sample / 2 && rate < audit.sample * 2, `caught ${rate} of the repeats at sample ${audit.sample}`);
});

const b1 = tiny('v2-no-wait', 'expect: { verdict: violation, property: dma-after-revoke }');

test('a shrunk counterexample keeps its property, has no more switches, and replays', () => {
  for (const strategy of ['random', 'pct', 'dpor'] as const) {
    const r = checkScenario(b1, { strategy, seed: 2, runs: 3000 });
    assert.equal(r.ok, true, strategy);
    const v = r.violation!;
    assert.ok(v.shrunk!.after.switches <= v.shrunk!.before.switches);
    const { rt } = runSchedule(b1, parseToken(v.schedule)!.schedule);
    assert.ok(rt.violations.some((x) => x.property === 'dma-after-revoke' && x.message === v.message), strategy);
    if (strategy !== 'dpor') assert.equal(r.complete, false, 'sampling never proves safety');
  }
});

test('shrinking reduces a random counterexample', () => {
  const raw = checkScenario(b1, { strategy: 'random', seed: 2, runs: 3000, shrink: false });
  const shrunk = checkScenario(b1, { strategy: 'random', seed: 2, runs: 3000 });
  assert.equal(raw.violation!.shrunk!.before.switches, shrunk.violation!.shrunk!.before.switches);
  assert.ok(shrunk.violation!.shrunk!.after.switches < raw.violation!.shrunk!.before.switches);
});

test('a preemption bound that cuts the search reports it incomplete', () => {
  const safe = tiny('correct', 'expect: { verdict: safe }');
  assert.equal(checkScenario(safe, { preemptions: 0 }).complete, false);
  assert.equal(checkScenario(safe).complete, true);
  assert.equal(checkScenario(safe, { maxExecutions: 1 }).complete, false);
});

test('JUnit XML has one testcase a scenario and the timeline in the failure', () => {
  const bad = checkScenario(tiny('v2-no-wait', 'expect: { verdict: safe }'));
  const good = checkScenario(b1);
  const xml = junitXml({ version: '0.1.0', results: [bad, good], summary: { scenarios: 2, ok: 1, failed: 1, elapsedMs: 5 } });
  assert.equal(xml.match(/<testcase /g)?.length, 2);
  assert.equal(xml.match(/<failure /g)?.length, 1);
  assert.match(xml, /<failure message="dma-after-revoke \(P1\): [^"]+" type="dma-after-revoke">/);
  assert.match(xml, /tests="2" failures="1" errors="0"/);
  assert.match(xml, /&lt;-- dma-after-revoke \(P1\)/);
  // a class name without the .yaml suffix (CI viewers split class names at dots)
  const named = junitXml({ version: '0.1.0', results: [{ ...bad, file: `scenarios/${bad.scenario}.yaml` }], summary: { scenarios: 1, ok: 0, failed: 1, elapsedMs: 5 } });
  assert.match(named, new RegExp(`<testcase classname="scenarios/${bad.scenario}" name="${bad.scenario}" time="[\\d.]+" file="scenarios/${bad.scenario}\\.yaml">`));
});

test('--reduce finds the smaller scenario that shows the same violation', () => {
  const two = parseScenario(`name: two-gpus
exporter: { driver: vfio-pci, variant: v2-no-wait }
importers:
  - { id: gpu0, driver: gpu-dynamic }
  - { id: gpu1, driver: gpu-dynamic }
threads:
  - name: reset
    steps: [revoke]
  - name: gpu0-user
    steps: [{ import: gpu0 }, { dma: { importer: gpu0, count: 2 } }, { release: gpu0 }]
  - name: gpu1-user
    steps: [{ import: gpu1 }, { dma: { importer: gpu1, count: 2 } }, { release: gpu1 }]
expect: { verdict: violation, property: dma-after-revoke }
`, 'two-gpus.yaml');
  const r = checkScenario(two, { reduce: true });
  const red = r.violation!.reduced!;
  assert.equal(red.threads, 2, red.changes.join('; '));
  assert.equal(red.transfers, 1);
  assert.ok(red.changes.some((c) => /removed \(and importer gpu[01]\)/.test(c)));
  assert.ok(red.changes.some((c) => /step release\(gpu[01]\) removed/.test(c)), red.changes.join('; '));
  assert.deepEqual(red.before, { threads: 3, importers: 2, steps: 7, transfers: 4 });
  assert.deepEqual(red.after, { threads: 2, importers: 1, steps: 3, transfers: 1 });
  // the smaller scenario is YAML the loader accepts, and it shows the same property by a committed DMA
  const small = parseScenario(red.yaml!, 'small.yaml');
  assert.equal(small.threads.flatMap((t) => t.steps).length, 3);
  const again = checkScenario(small);
  assert.equal(again.violation!.property, 'dma-after-revoke');
  assert.notEqual(again.violation!.trace[again.violation!.seq - 1]!.role, 'speculative');
  assert.equal(checkScenario(two).violation!.reduced, undefined, 'only on request');
  assert.ok(checkScenario(two, { reduce: 'unexpected' }).violation!.reduced === undefined, 'an expected violation is not reduced by default');
  const unexpected = parseScenario(two.source!.replace(/expect: .*/, 'expect: { verdict: safe }'), 'unexpected.yaml');
  assert.ok(checkScenario(unexpected, { reduce: 'unexpected', reduceBudget: 64 }).violation!.reduced, 'an unexpected one is');
});

test('a counterexample reported unshrunk keeps its whole execution (the explorer keeps that world)', () => {
  for (const strategy of ['dpor', 'pct', 'random'] as const) {
    const r = checkScenario(b1, { strategy, shrink: false, seed: 3, runs: 3000 });
    const v = r.violation!;
    assert.ok(v.trace.length > 0, `${strategy}: a trace`);
    assert.ok(v.seq >= 1 && v.seq <= v.trace.length, `${strategy}: the violating event (${v.seq}) is in the trace (${v.trace.length})`);
    const { rt } = runSchedule(b1, parseToken(v.schedule)!.schedule);
    assert.equal(v.trace.length, rt.events.length, `${strategy}: the trace is the execution's`);
  }
});
