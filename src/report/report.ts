/**
 * `report` and `check --html`: rebuild a counterexample's execution from its schedule
 * and write the HTML sequence diagram and/or the Chrome/Perfetto trace. The CLI loads
 * this module with import() only when one of them is asked for.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkScenario } from '../check/check.ts';
import { runSchedule } from '../check/replay.ts';
import type { ScenarioResult, ViolationResult } from '../check/result.ts';
import { parseToken } from '../check/token.ts';
import type { Scenario } from '../scenario/types.ts';
import { buildExecution, type Execution } from './execution.ts';
import { renderHtml } from './html.ts';
import { renderTrace } from './trace.ts';

/** The execution of `sc` under `schedule` (a prefix; the default policy finishes it). */
export function executionOf(sc: Scenario, schedule: readonly number[], shown?: ViolationResult): Execution {
  const run = runSchedule(sc, schedule);
  return buildExecution(sc, run.rt, run.schedule, shown);
}

/**
 * The execution a report of `sc` shows: the given schedule, else the counterexample a
 * check finds, else the default run.
 */
export function reportExecution(sc: Scenario, schedule?: readonly number[]): Execution {
  if (schedule) return executionOf(sc, schedule);
  const r = checkScenario(sc);
  const t = r.violation ? parseToken(r.violation.schedule) : null;
  return executionOf(sc, t ? t.schedule : [], r.violation);
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export function writeHtml(x: Execution, file: string): void {
  write(file, renderHtml(x));
}

export function writeTrace(x: Execution, file: string): void {
  write(file, JSON.stringify(renderTrace(x)) + '\n');
}

/**
 * `check --html DIR`: one `<scenario>.html` per result with a counterexample; returns
 * the files written.
 */
export function writeCheckReports(dir: string, items: readonly { sc: Scenario; result: ScenarioResult }[]): string[] {
  const files: string[] = [];
  for (const { sc, result } of items) {
    const v = result.violation;
    const t = v ? parseToken(v.schedule) : null;
    if (!v || !t) continue;
    const file = join(dir, `${sc.name}.html`);
    writeHtml(executionOf(sc, t.schedule, v), file);
    files.push(file);
  }
  return files;
}
