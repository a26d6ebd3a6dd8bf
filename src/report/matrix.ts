/**
 * The compatibility matrix (`dmabuf-lab matrix`): every exporter variant x importer
 * variant of the driver catalogue (read when it runs, so new drivers appear by
 * themselves) checked against a standard set of revoke scenarios built here:
 *
 *   attach          import, one DMA, release, no revoke: does the pair work at all?
 *   dma-in-flight   revoke while the importer has two DMA jobs queued
 *   revoke-import   revoke racing the importer's import (attach + map)
 *   revoke-release  revoke racing the importer's teardown (then the exporter closes, if it can)
 *   unrevoke-remap  revoke, unrevoke, the importer remaps and DMAs again
 *
 * A scenario that needs an operation one of the drivers lacks is n/a for that pair. When
 * `attach` fails (the exporter refuses the importer), the cell says so and the revoke
 * scenarios are not run. Each scenario is YAML text parsed by the ordinary loader, so
 * its schedule tokens name a file `<dir>/<name>.yaml` with that text's hash: with
 * `writeDir` the texts are written there and the tokens replay (`dmabuf-lab replay`,
 * `report`); without it they name `matrix/<name>.yaml`, which exists only if written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkScenario } from '../check/check.ts';
import { runSchedule } from '../check/replay.ts';
import { EXPORTERS, IMPORTERS } from '../drivers/catalogue.ts';
import type { DriverInfo, ExporterOp, ImporterOp, VariantInfo } from '../drivers/types.ts';
import { parseScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';

export interface MatrixScenario {
  readonly id: string;
  /** the column head of the plain table, at most 10 characters */
  readonly short: string;
  readonly title: string;
  readonly exporterOps: readonly ExporterOp[];
  readonly importerOps: readonly ImporterOp[];
  /** thread name -> YAML step lines; the importer's id is `dev`; `op?` only if the exporter has op */
  readonly threads: readonly (readonly [string, readonly string[]])[];
}

export const MATRIX_SCENARIOS: readonly MatrixScenario[] = [
  { id: 'attach', short: 'attach', title: 'import, DMA, release (no revoke)', exporterOps: [], importerOps: ['import', 'dma', 'release'],
    threads: [['user', ['import: dev', 'dma: {importer: dev, count: 1}', 'release: dev']]] },
  { id: 'dma-in-flight', short: 'in-flight', title: 'revoke with DMA in flight', exporterOps: ['revoke'], importerOps: ['import', 'dma', 'release'],
    threads: [['reset', ['revoke']], ['user', ['import: dev', 'dma: {importer: dev, count: 2}', 'release: dev']]] },
  { id: 'revoke-import', short: 'rv-import', title: 'revoke racing import', exporterOps: ['revoke'], importerOps: ['import', 'release'],
    threads: [['reset', ['revoke']], ['user', ['import: dev', 'release: dev']]] },
  { id: 'revoke-release', short: 'rv-release', title: 'revoke racing release, then close', exporterOps: ['revoke'], importerOps: ['import', 'dma', 'release'],
    threads: [['reset', ['revoke']], ['user', ['import: dev', 'dma: {importer: dev, count: 1}', 'release: dev', 'close?']]] },
  { id: 'unrevoke-remap', short: 'unrevoke', title: 'unrevoke, then remap and DMA again', exporterOps: ['revoke', 'unrevoke'], importerOps: ['import', 'dma', 'remap', 'release'],
    threads: [['reset', ['revoke', 'unrevoke']], ['user', ['import: dev', 'dma: {importer: dev, count: 1}', 'remap: dev', 'dma: {importer: dev, count: 1}', 'release: dev']]] },
];

export type CellVerdict = 'safe' | 'violation' | 'refused' | 'n/a' | 'error';

export interface MatrixCell {
  readonly scenario: string;
  readonly verdict: CellVerdict;
  /** safe: whether the search was complete (false = safe within bounds) */
  readonly complete: boolean;
  readonly property?: string;
  readonly rule?: string;
  readonly message?: string;
  /** replay token of a violation */
  readonly token?: string;
  /** refused: the errno the import failed with; error: why the scenario was not built */
  readonly note?: string;
  readonly executions: number;
  /** the cell's check, search and shrinking, in ms (0 for n/a and refused cells) */
  readonly elapsedMs: number;
}

export interface MatrixRow {
  readonly exporter: string;
  readonly exporterVariant: string;
  readonly importer: string;
  readonly importerVariant: string;
  readonly kernel: string;
  readonly cells: readonly MatrixCell[];
}

export interface MatrixOptions {
  /** only these exporters / importers: `driver` (every variant) or `driver/variant`; all when absent */
  readonly exporters?: readonly string[];
  readonly importers?: readonly string[];
  /** cut each search at these bounds; absent: every search runs to its end */
  readonly bounds?: MatrixBounds;
  /** stop each cell's search after this many seconds (a cut cell is incomplete) */
  readonly timeLimit?: number;
  /** write the scenario files here so that tokens replay */
  readonly writeDir?: string;
  /** called before each pair is checked */
  readonly progress?: (done: number, total: number, label: string) => void;
}

/** A cut of each cell's search (the scenario's `check:` block). */
export interface MatrixBounds {
  /** absent: no preemption bound */
  readonly preemptions?: number;
  readonly maxExecutions: number;
}

/**
 * The default cut: 2,000 executions a scenario and no preemption bound. Measured on the
 * whole catalogue, it takes as long as the old 2-preemption bound (48 s against 41-54 s)
 * and leaves 37 safe cells bounded instead of 242; the preemption bound also hid three
 * failing cells (README, "The compatibility matrix").
 */
export const MATRIX_DEFAULTS: MatrixBounds = { maxExecutions: 2000 };

/** Kernel versions where both variants exist: landed when it can, else the newest common one. */
function kernelFor(a: VariantInfo, b: VariantInfo): string | null {
  const all = ['pre', 'v2', 'v3', 'landed'];
  const common = all.filter((k) => (!a.kernels || a.kernels.includes(k)) && (!b.kernels || b.kernels.includes(k)));
  return common.length ? common[common.length - 1]! : null;
}

function wanted(d: DriverInfo, v: VariantInfo, list?: readonly string[]): boolean {
  return !list || list.includes(d.name) || list.includes(`${d.name}/${v.name}`);
}

/** The YAML text of one matrix scenario for a pair. */
export function matrixScenarioText(ms: MatrixScenario, name: string, kernel: string, exp: DriverInfo, ev: string, imp: string, iv: string, o: MatrixBounds | null): string {
  const lines = [
    `# generated by dmabuf-lab matrix: ${ms.title}`,
    `name: ${name}`,
    `description: "${ms.title}: ${exp.name}/${ev} exporting to ${imp}/${iv}"`,
    `kernel: ${kernel}`,
    `exporter: {driver: ${exp.name}, variant: ${ev}}`,
    'importers:',
    `  - {id: dev, driver: ${imp}, variant: ${iv}}`,
    'threads:',
  ];
  for (const [t, steps] of ms.threads) {
    lines.push(`  - name: ${t}`, '    steps:');
    for (const s of steps) {
      if (!s.endsWith('?')) lines.push(`      - ${s}`);
      else if (exp.ops.includes(s.slice(0, -1) as ExporterOp)) lines.push(`      - ${s.slice(0, -1)}`);
    }
  }
  if (o) lines.push(`check: {${o.preemptions !== undefined ? `preemptions: ${o.preemptions}, ` : ''}max-executions: ${o.maxExecutions}}`);
  return lines.join('\n') + '\n';
}

function importFailure(sc: Scenario): string | null {
  const { rt } = runSchedule(sc, []);
  for (const e of rt.events) if (/^import\(.*\) failed$/.test(e.op.label)) return e.op.detail ?? 'failed';
  return null;
}

/** Runs the matrix. Deterministic apart from the search statistics' times. */
export function runMatrix(opts: MatrixOptions = {}): MatrixRow[] {
  const bounds = opts.bounds ?? null;
  const pairs: [DriverInfo, VariantInfo, DriverInfo, VariantInfo][] = [];
  for (const e of EXPORTERS) {
    for (const ev of e.variants) {
      if (!wanted(e, ev, opts.exporters)) continue;
      for (const i of IMPORTERS) {
        for (const iv of i.variants) if (wanted(i, iv, opts.importers)) pairs.push([e, ev, i, iv]);
      }
    }
  }
  if (opts.writeDir) mkdirSync(opts.writeDir, { recursive: true });
  const rows: MatrixRow[] = [];
  for (const [n, [e, ev, i, iv]] of pairs.entries()) {
    opts.progress?.(n, pairs.length, `${e.name}/${ev.name} x ${i.name}/${iv.name}`);
    const kernel = kernelFor(ev, iv);
    const cells: MatrixCell[] = [];
    let refused: string | null = null;
    for (const ms of MATRIX_SCENARIOS) {
      const na = ms.exporterOps.some((op) => !e.ops.includes(op)) || ms.importerOps.some((op) => !i.ops.includes(op)) || kernel === null;
      if (na) { cells.push({ scenario: ms.id, verdict: 'n/a', complete: true, executions: 0, elapsedMs: 0 }); continue; }
      if (refused !== null) { cells.push({ scenario: ms.id, verdict: 'refused', complete: true, note: refused, executions: 0, elapsedMs: 0 }); continue; }
      const name = `m-${e.name}-${ev.name}--${i.name}-${iv.name}--${ms.id}`;
      const text = matrixScenarioText(ms, name, kernel!, e, ev.name, i.name, iv.name, bounds);
      const file = join(opts.writeDir ?? 'matrix', `${name}.yaml`);
      if (opts.writeDir) writeFileSync(file, text);
      let sc: Scenario;
      try {
        sc = parseScenario(text, file);
      } catch (err) {
        cells.push({ scenario: ms.id, verdict: 'error', complete: false, note: (err as Error).message.split('\n')[0], executions: 0, elapsedMs: 0 });
        continue;
      }
      if (ms.id === 'attach') {
        const why = importFailure(sc);
        if (why !== null) {
          refused = why;
          cells.push({ scenario: ms.id, verdict: 'refused', complete: true, note: why, executions: 1, elapsedMs: 0 });
          continue;
        }
      }
      const r = checkScenario(sc, opts.timeLimit !== undefined ? { timeLimit: opts.timeLimit } : {});
      const v = r.violation;
      cells.push(v
        ? { scenario: ms.id, verdict: 'violation', complete: r.complete, property: v.property, rule: v.rule, message: v.message, token: v.schedule, executions: r.stats.executions, elapsedMs: r.stats.elapsedMs }
        : { scenario: ms.id, verdict: 'safe', complete: r.complete, executions: r.stats.executions, elapsedMs: r.stats.elapsedMs });
    }
    rows.push({ exporter: e.name, exporterVariant: ev.name, importer: i.name, importerVariant: iv.name, kernel: kernel ?? '-', cells });
  }
  return rows;
}
