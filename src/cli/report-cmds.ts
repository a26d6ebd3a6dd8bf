/**
 * The `report` and `matrix` commands and `check --html` (spec/scenario-format.md §5).
 * The writers are imported statically: the CLI is one esbuild CJS bundle, where import()
 * would be inlined anyway, and their module set-up is a few string constants (start-up
 * measured in the helper note of issue 7).
 */
import { EXPORTERS, IMPORTERS } from '../drivers/catalogue.ts';
import type { ScenarioResult } from '../check/result.ts';
import { matrixCounts, matrixHtml, matrixJson, matrixMarkdown, matrixText, type MatrixMeta } from '../report/matrix-format.ts';
import { MATRIX_DEFAULTS, runMatrix } from '../report/matrix.ts';
import { reportExecution, writeCheckReports, writeHtml, writeTrace } from '../report/report.ts';
import type { Scenario } from '../scenario/types.ts';
import { writeFileSync } from 'node:fs';

export interface ReportFlags {
  schedule?: string;
  html?: string;
  trace?: string;
}

function usage(msg: string): number {
  process.stderr.write(`dmabuf-lab: ${msg}\n`);
  return 2;
}

/** `report <file>`: the execution of `schedule`, else the counterexample a check finds, else the default run. */
export function cmdReport(sc: Scenario, schedule: number[] | undefined, flags: ReportFlags): number {
  if (!flags.html && !flags.trace) return usage('report: give --html FILE and/or --trace FILE');
  const x = reportExecution(sc, schedule);
  const shown = x.violations.find((v) => v.shown);
  const what = shown ? `${shown.property} (${shown.rule}) at ${shown.event < 0 ? 'the end' : `event #${shown.event + 1}`}` : 'no violation';
  if (flags.html) {
    writeHtml(x, flags.html);
    process.stdout.write(`wrote ${flags.html}: sequence diagram of ${x.events.length} events, ${what}\n`);
  }
  if (flags.trace) {
    writeTrace(x, flags.trace);
    process.stdout.write(`wrote ${flags.trace}: Chrome/Perfetto trace (open in ui.perfetto.dev or chrome://tracing), ${what}\n`);
  }
  process.stdout.write(`schedule ${x.token}\n`);
  return 0;
}

/** `check --html DIR`: one diagram per counterexample. */
export function writeHtmlReports(dir: string, checked: readonly { sc: Scenario; result: ScenarioResult }[], print: boolean): void {
  const files = writeCheckReports(dir, checked);
  if (print) process.stdout.write(`wrote ${files.length} HTML report(s)${files.length ? `: ${files.join(', ')}` : ` (no counterexample) in ${dir}`}\n`);
}

export interface MatrixFlags {
  md?: boolean;
  html?: string;
  exporter?: string[];
  importer?: string[];
  json?: boolean;
  complete?: boolean;
  preemptions?: number;
  maxExecutions?: number;
  timeLimit?: number;
  failOnViolation?: boolean;
  writeScenarios?: string;
}

function checkNames(names: readonly string[] | undefined, drivers: readonly { name: string; variants: readonly { name: string }[] }[], role: string): string | null {
  for (const n of names ?? []) {
    const [d, v] = n.split('/');
    const drv = drivers.find((x) => x.name === d);
    if (!drv) return `matrix: unknown ${role} "${d}" (${drivers.map((x) => x.name).join(', ')})`;
    if (v !== undefined && !drv.variants.some((x) => x.name === v)) return `matrix: ${d} has no variant "${v}" (${drv.variants.map((x) => x.name).join(', ')})`;
  }
  return null;
}

/**
 * `matrix`: bounded searches unless --complete (a complete matrix takes tens of minutes:
 * README, "matrix"). Exit 0 whatever the cells say, 1 with --fail-on-violation when a
 * cell is a violation or could not be built, 2 for bad usage.
 */
export function cmdMatrix(flags: MatrixFlags): number {
  const bad = checkNames(flags.exporter, EXPORTERS, 'exporter') ?? checkNames(flags.importer, IMPORTERS, 'importer');
  if (bad) return usage(bad);
  if (flags.complete && (flags.preemptions !== undefined || flags.maxExecutions !== undefined)) {
    return usage('matrix: --complete runs every search to its end; --preemptions and --max-executions bound them (give one or the other)');
  }
  const meta: MatrixMeta = {
    bounds: flags.complete ? null : { ...(flags.preemptions !== undefined ? { preemptions: flags.preemptions } : {}), maxExecutions: flags.maxExecutions ?? MATRIX_DEFAULTS.maxExecutions },
    ...(flags.timeLimit !== undefined ? { timeLimit: flags.timeLimit } : {}),
    ...(flags.writeScenarios ? { writeDir: flags.writeScenarios } : {}),
  };
  const tty = process.stderr.isTTY === true;
  const rows = runMatrix({
    exporters: flags.exporter, importers: flags.importer, writeDir: flags.writeScenarios,
    ...(meta.bounds ? { bounds: meta.bounds } : {}),
    ...(meta.timeLimit !== undefined ? { timeLimit: meta.timeLimit } : {}),
    progress: tty ? (done, total, label) => process.stderr.write(`\r\x1b[K${done + 1}/${total} ${label}`) : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (flags.html) writeFileSync(flags.html, matrixHtml(rows, meta));
  if (flags.json) process.stdout.write(JSON.stringify(matrixJson(rows, meta), null, 2) + '\n');
  else {
    process.stdout.write(flags.md ? matrixMarkdown(rows, meta) : matrixText(rows, meta));
    if (flags.html) process.stdout.write(`wrote ${flags.html}\n`);
  }
  const c = matrixCounts(rows);
  return flags.failOnViolation && c.failing + c.errors > 0 ? 1 : 0;
}
