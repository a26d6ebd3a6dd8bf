// Scenario synthesis: the generator's scenarios are valid by construction (the real loader
// accepts them), the YAML writer round-trips bundled scenarios, the Prng is seeded.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { resolveTargets } from '../src/check/fuzz-target.ts';
import { EXPORTERS, findImporter, IMPORTERS } from '../src/drivers/catalogue.ts';
import { generateDraft, kernelsFor, MAX_TRANSFERS, type GenTarget } from '../src/scenario/generate.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { Prng } from '../src/scenario/prng.ts';
import { scenarioText } from '../src/scenario/text.ts';
import type { Scenario } from '../src/scenario/types.ts';

const dynamic = (d: string) => findImporter(d)?.dynamic === true;

/** Every variant of the catalogue as a subject, on every kernel it exists in. */
const targets: GenTarget[] = [
  ...EXPORTERS.flatMap((d) => d.variants.map((v) => ({ exporter: `${d.name}/${v.name}` }))),
  ...IMPORTERS.flatMap((d) => d.variants.map((v) => ({ importers: [`${d.name}/${v.name}`] }))),
].flatMap((req) => {
  const t = resolveTargets({ ...req, kernel: 'any' });
  return t.ok ? t.value : [];
});

const shape = (sc: Scenario) => ({
  kernel: sc.kernel, exporter: sc.exporter, importers: sc.importers,
  threads: sc.threads.map((t) => ({ name: t.name, steps: t.steps.map((s) => s.text) })),
});

test('every variant of the catalogue can be fuzzed as the subject (none is refused by every exporter)', () => {
  const subjects = new Set(targets.flatMap((t) => [`${t.exporter.driver}/${t.exporter.variant}`, ...t.required.map((r) => `${r.driver}/${r.variant}`)]));
  for (const d of [...EXPORTERS, ...IMPORTERS]) for (const v of d.variants) assert.ok(subjects.has(`${d.name}/${v.name}`), `${d.name}/${v.name}`);
});

test('generated scenarios load without error and are what the generator drew (property, real loader)', () => {
  fc.assert(
    fc.property(fc.nat(targets.length - 1), fc.integer(), (ti, seed) => {
      const t = targets[ti]!;
      const draft = generateDraft(new Prng(seed), t, 'gen', 'generated');
      const text = scenarioText(draft, dynamic);
      let sc: Scenario;
      try {
        sc = parseScenario(text, 'gen.yaml');
      } catch (e) {
        assert.fail(`${(e as Error).message}\n${text}`);
      }
      assert.deepEqual(shape(sc), shape({ ...draft, file: '', hash: '', check: {} }));
      assert.ok(t.kernels.includes(sc.kernel));
      for (const r of t.required) assert.ok(sc.importers.some((m) => m.driver === r.driver && m.variant === r.variant), 'the subject importer is in');
      const transfers = sc.threads.flatMap((x) => x.steps).reduce((n, s) => n + (s.kind === 'importer' && s.op === 'dma' ? s.count : 0), 0);
      assert.ok(transfers <= MAX_TRANSFERS);
      // every imported importer is released somewhere: a scenario never leaks by its own doing
      for (const m of sc.importers) {
        const ops = sc.threads.flatMap((x) => x.steps).filter((s) => s.kind === 'importer' && s.importer === m.id).map((s) => s.kind === 'importer' && s.op);
        if (ops.includes('import')) assert.ok(ops.includes('release'), `${m.id} is released\n${text}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('generation covers the contract: every exporter op, every trigger, remap, several importers and threads, every kernel', () => {
  const seen = new Set<string>();
  for (let seed = 0; seed < 400; seed++) {
    const t = targets[seed % targets.length]!;
    const sc = parseScenario(scenarioText(generateDraft(new Prng(seed), t, 'gen', ''), dynamic), 'gen.yaml');
    seen.add(`kernel ${sc.kernel}`);
    if (sc.importers.length > 1) seen.add('importers>1');
    if (sc.threads.length > 2) seen.add('threads>2');
    if (sc.importers.some((m) => m.pinned)) seen.add('pinned');
    if (sc.moveNotify) seen.add('move-notify');
    for (const s of sc.threads.flatMap((x) => x.steps)) {
      if (s.kind === 'exporter') seen.add(s.trigger ? `trigger ${s.trigger}` : s.op);
      if (s.kind === 'importer') seen.add(s.op);
    }
  }
  const want = ['revoke', 'unrevoke', 'close', 'evict', 'unplug', 'import', 'dma', 'remap', 'release', 'importers>1', 'threads>2', 'pinned', 'move-notify',
    ...['flr', 'reset', 'hot-reset', 'd3'].map((x) => `trigger ${x}`), ...['pre', 'v2', 'v3', 'landed'].map((k) => `kernel ${k}`)];
  for (const w of want) assert.ok(seen.has(w), w);
});

test('the same seed draws the same scenario, another seed another', () => {
  const t = targets[0]!;
  const a = scenarioText(generateDraft(new Prng(7), t, 'g', ''), dynamic);
  assert.equal(scenarioText(generateDraft(new Prng(7), t, 'g', ''), dynamic), a);
  const others = [8, 9, 10, 11].map((s) => scenarioText(generateDraft(new Prng(s), t, 'g', ''), dynamic));
  assert.ok(others.some((x) => x !== a));
});

test('Prng: int stays in range and reaches every value; weighted never takes a zero weight', () => {
  const r = new Prng(1);
  const hits = new Array<number>(5).fill(0);
  for (let i = 0; i < 2000; i++) hits[r.int(5)]!++;
  assert.ok(hits.every((h) => h > 300), String(hits));
  for (let i = 0; i < 500; i++) assert.notEqual(r.weighted(['a', 'b', 'c'], [1, 0, 1]), 'b');
});

test('scenarioText writes every bundled driver-op scenario back to text that loads as the same scenario', () => {
  let n = 0;
  for (const f of readdirSync('scenarios').filter((x) => x.endsWith('.yaml'))) {
    const sc = parseScenario(readFileSync(join('scenarios', f), 'utf8'), f);
    if (sc.threads.some((t) => t.steps.some((s) => s.kind === 'call'))) continue;
    const again = parseScenario(scenarioText(sc, dynamic), f);
    // the hash and the source text differ by construction (comments, layout); the meaning may not
    assert.deepEqual({ ...again, hash: '', source: '' }, { ...sc, hash: '', source: '', check: again.check }, f);
    n++;
  }
  assert.ok(n > 40, `${n} scenarios`);
});

test('kernelsFor: a variant tagged with kernels restricts the versions', () => {
  assert.deepEqual(kernelsFor([{ driver: 'vfio-pci', variant: 'no-unmap-wait' }]), ['landed']);
  assert.deepEqual(kernelsFor([{ driver: 'vfio-pci', variant: 'no-unmap-wait' }, { driver: 'rdma-pinned', variant: 'correct' }]), ['landed']);
  assert.deepEqual(kernelsFor([{ driver: 'gpu', variant: 'correct' }]), ['pre', 'v2', 'v3', 'landed']);
});
