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
import { findImporter } from '../src/drivers/catalogue.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { matrixMarkdown, matrixText } from '../src/report/matrix-format.ts';
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
const importers = ['gpu-dynamic/correct', ...(findImporter('rdma-pinned') ? ['rdma-pinned/correct'] : [])];
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

test('vfio-pci correct x rdma-pinned is refused at attach, and remap is n/a for it', { skip: findImporter('rdma-pinned') ? false : 'no rdma-pinned driver yet' }, () => {
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
  const meta = { ...MATRIX_DEFAULTS, writeDir: dir };
  const text = matrixText(rows, meta), md = matrixMarkdown(rows, meta);
  for (const ms of MATRIX_SCENARIOS) { assert.ok(text.includes(ms.id)); assert.ok(md.includes(ms.id)); }
  const failing = rows.flatMap((r) => r.cells).filter((c) => c.verdict === 'violation');
  assert.ok(failing.length >= 1);
  for (const c of failing) { assert.ok(text.includes(c.token!)); assert.ok(md.includes(c.token!)); }
  assert.match(text, /vfio-pci\/v2-no-wait +gpu-dynamic\/correct .*FAIL dma-after-revoke \(P1\) \[\d+\]/);
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
