// dmabuf-lab fuzz: a seeded bug is found and written as a scenario that check reproduces,
// a correct combination stays clean, a seed gives the same run (on any number of
// workers under --max-scenarios), bad input is exit 2 with a "did you mean".
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fuzz, releasesAll } from '../src/check/fuzz.ts';
import { resolveTargets } from '../src/check/fuzz-target.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { fuzzAllMarkdown, fuzzAllHtml, type FuzzAllRow } from '../src/report/fuzz-table.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/dmabuf-lab.cjs', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const targets = (req: Parameters<typeof resolveTargets>[0]) => {
  const t = resolveTargets(req);
  assert.ok(t.ok, t.ok ? '' : t.error);
  return t.value;
};

test('a buggy exporter variant is found, reduced, and written with an expect block that loads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-fuzz-'));
  const s = fuzz({ seed: 1, targets: targets({ exporter: 'vfio-pci/v2-no-wait' }), outDir: dir }, { maxScenarios: 3, first: true });
  const f = s.found[0];
  assert.ok(f, 'a finding');
  assert.equal(f.property, 'dma-after-revoke');
  assert.equal(f.variant, 'vfio-pci/v2-no-wait');
  assert.ok(f.reproduced);
  assert.match(f.scenario, /vfio-pci-v2-no-wait-dma-after-revoke-1\.yaml$/);
  const sc = parseScenario(f.text, f.scenario);
  assert.deepEqual(sc.expect, { verdict: 'violation', properties: ['dma-after-revoke'] });
  assert.match(sc.description, /found by dmabuf-lab fuzz --seed 1: generated scenario #\d+/);
  assert.ok(f.schedule.startsWith(`${f.scenario}@${sc.hash}:`), 'the token names the written file and its hash');
  assert.ok(releasesAll(sc), 'reduction kept every release');
  for (const t of sc.threads) {
    const m = /^(.+)-user$/.exec(t.name);
    if (m) assert.ok(t.steps.some((x) => x.kind === 'importer' && x.importer === m[1]), `${t.name} acts on its importer`);
  }
  assert.ok(f.size.threads <= 3 && f.size.importers <= 2, JSON.stringify(f.size));
});

test('a buggy importer variant is found with the exporter left correct', () => {
  const s = fuzz({ seed: 1, targets: targets({ importers: ['gpu-dynamic/no-fence'] }), outDir: 'x' }, { maxScenarios: 20, first: true });
  assert.equal(s.found[0]?.variant, 'gpu-dynamic/no-fence');
  assert.equal(s.found[0]?.property, 'dma-after-revoke');
});

test('a correct combination stays clean within a small budget', () => {
  const s = fuzz({ seed: 1, targets: targets({ exporter: 'vfio-pci', importers: ['gpu-dynamic'] }), outDir: 'x', budget: 100 }, { maxScenarios: 8 });
  assert.equal(s.scenarios, 8);
  assert.ok(s.executions > 8);
  assert.deepEqual(s.found.map((f) => `${f.property} ${f.message}`), []);
});

test('a seed gives the same run: the same scenarios and the same findings', () => {
  const run = () => fuzz({ seed: 5, targets: targets({ exporter: 'vfio-pci/unrevoke-race' }), outDir: 'x' }, { maxScenarios: 6 });
  const a = run();
  const b = run();
  assert.equal(a.executions, b.executions);
  assert.deepEqual(b.found.map((f) => [f.property, f.rule, f.text, f.schedule]), a.found.map((f) => [f.property, f.rule, f.text, f.schedule]));
});

test('cli: a finding is written with its token; check reproduces it and replay re-runs it; exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-fuzz-'));
  const r = cli('fuzz', '--exporter', 'vfio-pci/v2-no-wait', '--max-scenarios', '2', '--out', dir, '--json');
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.scenarios, 2);
  assert.equal(typeof out.executions, 'number');
  const f = out.found[0];
  for (const k of ['property', 'rule', 'scenario', 'schedule']) assert.ok(k in f, k);
  assert.equal(readFileSync(f.scenario.replace(/\.yaml$/, '.token'), 'utf8').trim(), f.schedule);
  const c = cli('check', '--json', '--workers', '1', f.scenario);
  assert.equal(c.status, 0, c.stdout);
  assert.equal(JSON.parse(c.stdout).results[0].violation.property, f.property);
  const p = cli('replay', f.schedule);
  assert.equal(p.status, 1);
  assert.match(p.stdout, new RegExp(`${f.property} \\(${f.rule}\\)`));
});

test('cli: --workers 2 finds what --workers 1 finds under --max-scenarios', () => {
  const run = (w: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-fuzz-'));
    const r = cli('fuzz', '--importer', 'iommufd/no-unpin', '--max-scenarios', '4', '--seed', '3', '--workers', w, '--out', dir, '--json');
    assert.equal(r.status, 1, r.stderr);
    const o = JSON.parse(r.stdout);
    return { executions: o.executions, found: o.found.map((f: { property: string; rule: string; index: number; scenario: string }) => [f.property, f.rule, f.index, f.scenario.slice(dir.length)]) };
  };
  assert.deepEqual(run('2'), run('1'));
});

test('cli: a clean run exits 0 and writes nothing', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'dmabuf-lab-fuzz-')), 'out');
  const r = cli('fuzz', '--exporter', 'gpu', '--importer', 'rdma-odp', '--max-scenarios', '2', '--budget', '50', '--out', dir);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^2 scenario\(s\), \d+ executions, 0 finding\(s\) \(seed 1, \d+ ms\)$/m);
  assert.equal(existsSync(dir), false);
});

test('cli: bad input is exit 2 with a did-you-mean and no stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['--exporter', 'vfio-pci/v2-no-wiat'], /no variant "v2-no-wiat" \(did you mean "v2-no-wait"\?\)/],
    [['--exporter', 'vfoi-pci'], /unknown exporter driver "vfoi-pci" \(did you mean "vfio-pci"\?\)/],
    [['--importer', 'gpu-dynamc'], /unknown importer driver "gpu-dynamc" \(did you mean "gpu-dynamic"\?\)/],
    [['--exporter', 'gpu-dynamic'], /"gpu-dynamic" is an importer/],
    [['--kernel', 'lnded'], /unknown kernel "lnded" \(did you mean "landed"\?\)/],
    [['--exporter', 'vfio-pci/as-merged', '--kernel', 'v2'], /do not all exist in kernel v2 \(they do in landed\)/],
    [['--max-scenarios', '0'], /expected an integer >= 1/],
    [['--all', '--exporter', 'gpu'], /--all takes every variant/],
    [['--all', '--kernel', 'v4'], /unknown kernel "v4" \(did you mean "v2"\?\)/],
  ];
  for (const [args, msg] of cases) {
    const r = cli('fuzz', ...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('fuzz --all table: one row a variant with what was found, time and scenarios to the first finding', () => {
  const rows: FuzzAllRow[] = [
    { subject: 'vfio-pci/v2-no-wait', role: 'exporter', kernels: ['landed'], scenarios: 1, executions: 5, elapsedMs: 900, first: { scenarios: 1, ms: 120 },
      found: [{ property: 'dma-after-revoke', rule: 'P1', message: 'm', variant: 'vfio-pci/v2-no-wait', scenario: 'd/x.yaml', schedule: 'd/x.yaml@1:a', reproduced: true, index: 0, size: { importers: 1, threads: 2, steps: 3, transfers: 1 }, reduced: [], text: '' }] },
    { subject: 'gpu/correct', role: 'exporter', kernels: ['landed'], scenarios: 40, executions: 9000, elapsedMs: 60000, found: [] },
  ];
  const meta = { seed: 1, bound: '60 s', first: true, outDir: 'd' };
  const md = fuzzAllMarkdown(rows, meta);
  assert.match(md, /\| vfio-pci\/v2-no-wait \| landed \| dma-after-revoke \(P1\) \| 1 \| 0\.1 s \| 1 imp, 2 thr, 3 steps, 1 xfer \| 1 \| 1\/1 \|/);
  assert.match(md, /\| gpu\/correct \| landed \| nothing \| - \| - \| - \| 40 \| - \|/);
  assert.match(md, /2 variants: 1 with findings \(1 findings\), 1 clean/);
  assert.match(fuzzAllHtml(rows, meta), /<tr class="violation"><th>vfio-pci\/v2-no-wait<\/th>/);
});
