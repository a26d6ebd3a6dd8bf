// The compatibility matrix: the cells the review thread settled, n/a handling, and
// failing cells whose tokens replay from the written scenario files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runSchedule } from '../src/check/replay.ts';
import { parseToken } from '../src/check/token.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { EXPORTERS, IMPORTERS } from '../src/drivers/catalogue.ts';
import { RULES } from '../src/kernel/rules.ts';
import { matrixHtml, matrixJson, matrixMarkdown, matrixText, TEXT_WIDTH } from '../src/report/matrix-format.ts';
import { MATRIX_DEFAULTS, MATRIX_SCENARIOS, runMatrix, type MatrixRow } from '../src/report/matrix.ts';

const cell = (rows: readonly MatrixRow[], exp: string, imp: string, scenario: string) => {
  const [e, ev] = exp.split('/'), [i, iv] = imp.split('/');
  const row = rows.find((r) => r.exporter === e && r.exporterVariant === ev && r.importer === i && r.importerVariant === iv);
  assert.ok(row, `row ${exp} x ${imp}`);
  const c = row.cells.find((x) => x.scenario === scenario);
  assert.ok(c, `cell ${scenario}`);
  return c;
};

const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-matrix-'));
const importers = ['gpu-dynamic/correct', 'rdma-pinned/correct'];
const rows = runMatrix({ exporters: ['vfio-pci/correct', 'vfio-pci/v2-no-wait'], importers, writeDir: dir, bounds: MATRIX_DEFAULTS });

test('v2-no-wait x gpu-dynamic fails with dma-after-revoke when DMA is in flight', () => {
  const c = cell(rows, 'vfio-pci/v2-no-wait', 'gpu-dynamic/correct', 'dma-in-flight');
  assert.equal(c.verdict, 'violation');
  assert.equal(c.property, 'dma-after-revoke');
  assert.equal(c.rule, 'P1');
  assert.ok(c.token);
});

test('correct x gpu-dynamic is safe in every revoke scenario', () => {
  for (const ms of MATRIX_SCENARIOS) {
    const c = cell(rows, 'vfio-pci/correct', 'gpu-dynamic/correct', ms.id);
    assert.equal(c.verdict, 'safe', `${ms.id}: ${c.property} ${c.message}`);
    assert.ok(c.executions >= 1);
  }
});

test('vfio-pci correct x rdma-pinned is refused at attach (and so with DMA in flight), and remap is n/a for it', () => {
  const c = cell(rows, 'vfio-pci/correct', 'rdma-pinned/correct', 'attach');
  assert.equal(c.verdict, 'refused');
  assert.match(c.note ?? '', /^-E[A-Z]+$/);
  assert.equal(cell(rows, 'vfio-pci/correct', 'rdma-pinned/correct', 'dma-in-flight').verdict, 'refused');
  assert.equal(cell(rows, 'vfio-pci/correct', 'rdma-pinned/correct', 'unrevoke-remap').verdict, 'n/a');
});

test('a failing cell\'s token replays the violation from the written scenario file', () => {
  const c = cell(rows, 'vfio-pci/v2-no-wait', 'gpu-dynamic/correct', 'dma-in-flight');
  const t = parseToken(c.token!)!;
  assert.ok(t.file.startsWith(dir), t.file);
  const sc = parseScenario(readFileSync(t.file, 'utf8'), t.file);
  assert.equal(sc.hash, t.hash);
  const { rt } = runSchedule(sc, t.schedule);
  assert.ok(rt.violations.some((v) => v.property === 'dma-after-revoke'));
});

test('text and Markdown tables list every pair, every scenario column and each failing token', () => {
  const meta = { bounds: MATRIX_DEFAULTS, writeDir: dir };
  const text = matrixText(rows, meta), md = matrixMarkdown(rows, meta);
  for (const ms of MATRIX_SCENARIOS) { assert.ok(text.includes(ms.id)); assert.ok(md.includes(ms.id)); }
  const failing = rows.flatMap((r) => r.cells).filter((c) => c.verdict === 'violation');
  assert.ok(failing.length >= 1);
  for (const c of failing) { assert.ok(text.includes(c.token!)); assert.ok(md.includes(c.token!)); }
  assert.match(text, /^vfio-pci\/v2-no-wait:\n(  .*\n)*  gpu-dynamic\/correct .*FAIL P1 \[\d+\]/m);
  assert.match(text, /^\[\d+\] vfio-pci\/v2-no-wait x gpu-dynamic\/correct dma-in-flight: dma-after-revoke \(P1\): /m);
  assert.equal(md.split('\n').filter((l) => l.startsWith('| vfio-pci/')).length, rows.length);
});

test('the matrix command: --md, a driver filter, and an unknown driver is a usage error', () => {
  const cli = (...a: string[]) => spawnSync(process.execPath, ['bin/dmabuf-lab.cjs', 'matrix', ...a], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const r = cli('--md', '--exporter', 'vfio-pci/v2-no-wait', '--importer', 'gpu-dynamic/correct');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\| exporter\/variant \| importer\/variant \|/m);
  assert.match(r.stdout, /\*\*FAIL dma-after-revoke \(P1\) \[1\]\*\*/);
  const bad = cli('--exporter', 'vfio');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown exporter "vfio"/);
});

test('every safe cell cut by the bounds is marked bounded in text, Markdown, HTML and JSON', () => {
  const meta = { bounds: MATRIX_DEFAULTS, writeDir: dir };
  const cut = rows.flatMap((r) => r.cells.map((c) => ({ r, c }))).filter(({ c }) => c.verdict === 'safe' && !c.complete);
  assert.ok(cut.length >= 1, 'the default bounds cut some safe search here');
  const text = matrixText(rows, meta), md = matrixMarkdown(rows, meta), html = matrixHtml(rows, meta), json = matrixJson(rows, meta);
  const col = (id: string) => MATRIX_SCENARIOS.findIndex((m) => m.id === id);
  for (const { r, c } of cut) {
    const line = text.split('\n').find((l) => l.startsWith(`  ${r.importer}/${r.importerVariant}`) && text.indexOf(l) > text.indexOf(`${r.exporter}/${r.exporterVariant}:`))!;
    assert.equal(line.trim().split(/ {2,}/)[1 + col(c.scenario)], 'safe*', line);
    const mdRow = md.split('\n').find((l) => l.startsWith(`| ${r.exporter}/${r.exporterVariant} | ${r.importer}/${r.importerVariant} |`))!;
    assert.equal(mdRow.slice(2, -2).split(' | ')[3 + col(c.scenario)], 'safe (bounded)', mdRow);
    const jr = json.rows.find((x) => x.exporter === r.exporter && x.exporterVariant === r.exporterVariant && x.importer === r.importer && x.importerVariant === r.importerVariant)!;
    assert.equal(jr.cells[col(c.scenario)]!.bounded, true);
  }
  assert.equal((html.match(/<td class="safe bounded"/g) ?? []).length, cut.length);
  assert.equal(json.rows.flatMap((r) => r.cells).filter((c) => c.bounded).length, cut.length);
  assert.equal(json.summary.bounded, cut.length);
  assert.deepEqual(json.bounds, MATRIX_DEFAULTS);
  assert.match(text, /safe\* = no violation within the search bounds only/);
  assert.match(text, new RegExp(`\\(${cut.length} only within the bounds\\)`));
});

test('complete searches: no cell is bounded, and the text says every search ran to its end', () => {
  const full = runMatrix({ exporters: ['vfio-pci/v2-no-wait'], importers: ['gpu-dynamic/correct'] });
  const all = full.flatMap((r) => r.cells);
  assert.ok(all.every((c) => c.complete), JSON.stringify(all.map((c) => [c.scenario, c.verdict, c.complete])));
  const text = matrixText(full, { bounds: null });
  assert.doesNotMatch(text, /safe\*/);
  assert.match(text, /Complete searches: an unmarked safe cell is safe in every interleaving/);
  assert.equal(matrixJson(full, { bounds: null }).bounds, null);
});

test('the plain table fits 120 columns for the whole catalogue, even with every cell failing', () => {
  // worst cases built from the catalogue: the longest rule id, three-digit note numbers
  const rule = RULES.map((r) => r.id).reduce((a, b) => (b.length > a.length ? b : a));
  const worst: MatrixRow[] = [];
  for (const e of EXPORTERS) for (const ev of e.variants) for (const i of IMPORTERS) for (const iv of i.variants) {
    worst.push({ exporter: e.name, exporterVariant: ev.name, importer: i.name, importerVariant: iv.name, kernel: 'v3',
      cells: MATRIX_SCENARIOS.map((m) => ({ scenario: m.id, verdict: 'violation' as const, complete: true, property: 'dma-after-revoke', rule, message: 'm', token: 't', executions: 1, elapsedMs: 0 })) });
  }
  assert.ok(worst.length * MATRIX_SCENARIOS.length >= 100, 'three-digit notes');
  for (const [name, set] of [['worst', worst], ['measured', rows]] as const) {
    const text = matrixText(set, { bounds: MATRIX_DEFAULTS });
    const table = text.slice(0, text.indexOf('\nColumns: '));
    for (const l of table.split('\n')) assert.ok(l.length <= TEXT_WIDTH, `${name}: ${l.length} columns: ${l}`);
    // below the table only a replay token may be longer (it is never broken)
    for (const l of text.split('\n')) assert.ok(l.length <= TEXT_WIDTH || /^\S+@[0-9a-f]+:\S*$/.test(l), `${name}: ${l}`);
  }
});

test('the matrix command: --json, the exit code with --fail-on-violation, --complete against bounds, --help', () => {
  const cli = (...a: string[]) => spawnSync(process.execPath, ['bin/dmabuf-lab.cjs', 'matrix', ...a], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const pair = ['--exporter', 'vfio-pci/v2-no-wait', '--importer', 'gpu-dynamic/correct'];
  const j = cli('--json', ...pair);
  assert.equal(j.status, 0, 'a failing cell alone does not fail the command');
  const out = JSON.parse(j.stdout);
  assert.deepEqual(out.bounds, MATRIX_DEFAULTS);
  assert.equal(out.rows.length, 1);
  assert.ok(out.rows[0].cells.every((c: { bounded: boolean }) => typeof c.bounded === 'boolean'));
  assert.ok(out.summary.failing >= 1);
  const f = cli('--fail-on-violation', ...pair);
  assert.equal(f.status, 1);
  assert.match(f.stdout, /FAIL P1 \[1\]/);
  assert.equal(cli('--fail-on-violation', '--exporter', 'vfio-pci/correct', '--importer', 'static').status, 0, 'no violating cell');
  const both = cli('--complete', '--preemptions', '1', ...pair);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--complete runs every search to its end/);
  const help = cli('--help');
  assert.match(help.stdout, /--complete/);
  assert.match(help.stdout, /Exit codes: 0 the matrix was produced/);
});

test('the default bound has no preemption bound: it finds the revoke-import bug a 2-preemption bound calls safe*', () => {
  const pair = { exporters: ['vfio-pci/no-unmap-wait'], importers: ['gpu-dynamic/correct'] };
  const found = cell(runMatrix({ ...pair, bounds: MATRIX_DEFAULTS }), 'vfio-pci/no-unmap-wait', 'gpu-dynamic/correct', 'revoke-import');
  assert.equal(found.verdict, 'violation');
  assert.equal(found.rule, 'P1');
  const hidden = cell(runMatrix({ ...pair, bounds: { preemptions: 2, maxExecutions: 2000 } }), 'vfio-pci/no-unmap-wait', 'gpu-dynamic/correct', 'revoke-import');
  assert.equal(hidden.verdict, 'safe');
  assert.equal(hidden.complete, false, 'and marked bounded');
});
