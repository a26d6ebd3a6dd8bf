/**
 * `dmabuf-lab check` and `dmabuf-lab merge`: verdict lines, counterexample timelines, the
 * summary, --json/--junit/--html, and the exit code (0 all met their expectation, 1 not,
 * 2 bad input). With --workers N each scenario's search is split into N shards that run on
 * worker_threads (pool.ts); with --shard i/n this process explores one shard and `merge`
 * combines the shard result files into the verdict of the whole search.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { checkScenario } from '../check/check.ts';
import { groupShards, mergeShards } from '../check/merge.ts';
import { CHECK_DEFAULTS, optionsProblem, strategyFor, type JobOptions } from '../check/options.ts';
import { checkOnPool, shardsPerScenario, statefulHelpers } from '../check/parallel.ts';
import { strategyNamed, type StrategyName } from '../check/strategy.ts';
import type { CheckOutput, ScenarioResult, ViolationResult } from '../check/result.ts';
import { VERSION } from '../check/result.ts';
import { junitXml } from '../report/junit.ts';
import { formatTimeline } from '../report/timeline.ts';
import { formatIssue, InputError } from '../scenario/errors.ts';
import type { Scenario } from '../scenario/types.ts';
import { displayPath, loadScenario, scenarioFiles, bundledDir } from './files.ts';
import { CheckPool, workerUrl } from './pool.ts';
import { progressBar } from './progress.ts';
import { writeHtmlReports } from './report-cmds.ts';

export class UsageError extends Error {}

export const color = () => process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.CI !== 'true';

export interface CheckFlags {
  strategy?: StrategyName;
  seed?: number;
  runs?: number;
  depth?: number;
  timeLimit?: number;
  shrink?: boolean;
  /** show the audit on each line and fail a dpor search with a redundant execution */
  audit?: boolean;
  /** count and show the races that add backtrack choices */
  races?: boolean;
  /** explore past violations; a complete dpor search counts the classes */
  count?: boolean;
  /** dpor: one execution of each orbit under renaming identical importers */
  symmetry?: boolean;
  /** stateful: whole states in the visited set */
  exact?: boolean;
  maxStates?: number;
  reduce?: boolean;
  /** every event of a counterexample, not its story */
  full?: boolean;
  junit?: string;
  html?: string;
  preemptions?: number;
  maxExecutions?: number;
  json?: boolean;
  quiet?: boolean;
  requireComplete?: boolean;
  workers?: number;
  shard?: { index: number; count: number };
}

/** `i/n` with 1 <= i <= n, as --shard takes it; the result is 0-based. */
export function parseShard(v: string): { index: number; count: number } | null {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index >= 1 && count >= 1 && index <= count && count <= 4096 ? { index: index - 1, count } : null;
}

/**
 * `ERR  file  line:col: path: message` for a file that could not be checked: a CI log
 * that keeps stdout alone still names the file and its first problem (all of them, each
 * with its position, are on stderr).
 */
function errorLine(r: ScenarioResult): string {
  const errors = r.errors ?? [];
  const first = errors[0] ?? 'not checked';
  const msg = first.startsWith(`${r.file}:`) ? first.slice(r.file.length + 1).trimStart() : first;
  return `ERR  ${r.file}  ${msg}${errors.length > 1 ? ` (and ${errors.length - 1} more problem(s), on stderr)` : ''}`;
}

function resultLine(r: ScenarioResult, audit: boolean): string {
  // a shard without the expected violation proves nothing either way: `merge` decides
  const partial = r.shard !== undefined && r.expected?.verdict === 'violation' && !r.ok;
  if (r.verdict === 'error') return errorLine(r);
  const mark = r.ok ? 'ok  ' : partial ? '--  ' : 'FAIL';
  const what = partial ? 'not in this shard' : r.verdict === 'violation' ? `violation ${r.violation?.property}` : `safe${r.complete ? '' : ' within bounds'}`;
  const exp = r.expected ? ` (expected ${r.expected.verdict}${r.expected.property ? ` ${r.expected.property}` : ''})` : '';
  const part = r.shard ? `  [shard ${r.shard.index}/${r.shard.count}]` : r.stats.shards && r.stats.shards > 1 ? `  [${r.stats.shards} shards]` : '';
  const sampled = r.stats.auditSample ? ` (audit sampled 1 in ${Math.round(1 / r.stats.auditSample.rate)} after ${r.stats.auditSample.from} executions)` : '';
  const audited = audit ? `, ${r.stats.redundant} redundant${sampled}, ${r.stats.sleepBlocked} sleep-blocked` : '';
  const covers = strategyNamed(r.stats.strategy)?.covers;
  const st = r.stats.stateful;
  const space = covers === 'classes' ? `all ${r.stats.executions} classes${r.stats.symmetry?.importers.length ? ' up to symmetry' : ''}` : covers === 'states' ? `all ${st?.states} states` : 'every schedule';
  const work = st ? `${st.states} states, ${st.transitions} transitions` : `${r.stats.executions} executions`;
  const counted = r.stats.counted && r.complete ? ` (${space}; ${r.violations.length ? r.violations.join(', ') : 'no violation'})` : '';
  const sym = r.stats.symmetry ? `, symmetry: ${r.stats.symmetry.importers.length ? r.stats.symmetry.importers.map((c) => c.join(' = ')).join(', ') : 'no identical importers'}` : '';
  return `${mark} ${r.scenario.padEnd(36)} ${what}${exp}  ${work}${counted}${audited}${sym}, ${r.stats.elapsedMs} ms${part}`;
}

/** The violation's message and replay token: all that `--quiet` shows of it. */
function printViolationHead(r: ScenarioResult): void {
  const v = r.violation;
  if (v) process.stdout.write(`     ${v.property} (${v.rule}): ${v.message}\n     schedule ${v.schedule}\n`);
}

/**
 * The counterexample under a result line: its story (every event with `full`), then every
 * other property the search saw with the token that replays the execution showing it.
 */
function printViolation(r: ScenarioResult, full: boolean): void {
  const v = r.violation;
  if (!v) return;
  printViolationHead(r);
  const sh = v.shrunk;
  if (sh && (sh.before.steps !== sh.after.steps || sh.before.switches !== sh.after.switches)) {
    process.stdout.write(`     shrunk: ${sh.before.steps} -> ${sh.after.steps} steps, ${sh.before.switches} -> ${sh.after.switches} context switches\n`);
  }
  process.stdout.write(`     diagram: dmabuf-lab report ${r.file} --schedule '${v.schedule}' --html ${r.scenario}.html\n`);
  process.stdout.write(formatTimeline(v, { color: color(), width: 95, full }).replace(/^/gm, '     ') + '\n');
  for (const s of r.seen ?? []) {
    if (s.property === v.property) continue;
    process.stdout.write(`     also seen: ${s.property} (${s.rule}): ${s.message}\n          dmabuf-lab replay '${s.schedule}'\n`);
  }
  if (v.reduced) printReduced(v.reduced, v.property);
}

/** The smaller scenario that shows the same property: how much was removed, and its YAML. */
function printReduced(red: NonNullable<ViolationResult['reduced']>, property: string): void {
  const { before, after } = red;
  const sizes = before && after
    ? (['threads', 'importers', 'steps', 'transfers'] as const).filter((k) => before[k] !== after[k]).map((k) => `${k} ${before[k]} -> ${after[k]}`).join(', ')
    : `${red.threads} thread(s), ${red.transfers} transfer(s)`;
  process.stdout.write(`     reduced: a smaller scenario shows ${property} too (${sizes}; ${red.executions} executions): ${red.changes.join('; ')}\n`);
  if (red.yaml) process.stdout.write(red.yaml.trimEnd().replace(/^/gm, '       | ') + '\n');
}

/** Races shown under a result line (`--races`). */
const RACES_SHOWN = 8;

/**
 * The races that added the most backtrack choices: what to look at when a search is too
 * large (a dependence the model declares that the kernel does not have, or a lock whose
 * critical sections must be tried in every order).
 */
function printRaces(r: ScenarioResult): void {
  const races = r.stats.races;
  if (!races) return;
  const total = races.reduce((a, x) => a + x.choices, 0);
  process.stdout.write(`     races: ${total} backtrack choice(s)${races.length ? `; most from:` : ''}\n`);
  for (const x of races.slice(0, RACES_SHOWN)) {
    const pct = `${((100 * x.choices) / total).toFixed(1)}%`;
    process.stdout.write(`     ${String(x.choices).padStart(9)} ${pct.padStart(6)}  ${x.object}: ${x.first} (${x.firstThread}) / ${x.second} (${x.secondThread}${x.how ? `, ${x.how}` : ''})\n`);
  }
  if (races.length > RACES_SHOWN) process.stdout.write(`     (${races.length - RACES_SHOWN} more pair(s) in --json)\n`);
}

/**
 * Whether a result fails the run. A shard alone cannot tell that an expected violation is
 * missing (another shard may hold it): it fails only on a violation nobody expected.
 */
function fails(r: ScenarioResult): boolean {
  return r.verdict !== 'error' && !r.ok && !(r.shard && r.expected?.verdict === 'violation');
}

/** Prints and summarises results; returns the exit code. */
function finishOutput(t0: number, results: ScenarioResult[], flags: CheckFlags, checked: { sc: Scenario; result: ScenarioResult }[], inputError: boolean): number {
  const okCount = results.filter((r) => r.ok).length;
  const out: CheckOutput = { version: VERSION, results, summary: { scenarios: results.length, ok: okCount, failed: results.length - okCount, elapsedMs: Math.round(performance.now() - t0) } };
  if (flags.junit) writeFileSync(flags.junit, junitXml(out));
  if (flags.html) writeHtmlReports(flags.html, checked, !flags.json);
  if (flags.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else process.stdout.write(`${out.summary.scenarios} scenario(s): ${out.summary.ok} ok, ${out.summary.failed} failed (${out.summary.elapsedMs} ms)\n`);
  if (inputError) return 2;
  return results.some(fails) ? 1 : 0;
}

/**
 * Under `--audit`, a dpor search that explored an equivalence class twice: the reduction
 * is broken (a model's footprint that misses an object, or a bug of the explorer).
 */
function auditFailure(r: ScenarioResult, flags: CheckFlags): string | null {
  if (!flags.audit || !strategyNamed(r.stats.strategy)?.audited || !r.stats.redundant) return null;
  return `audit: dpor explored ${r.stats.redundant} execution(s) equivalent to earlier ones; the reduction is unsound here (a footprint that misses an object?), please report it`;
}

function report(r: ScenarioResult, flags: CheckFlags): ScenarioResult {
  const audit = auditFailure(r, flags);
  const ok = r.ok && !(flags.requireComplete && !r.complete) && !audit;
  const shown = ok === r.ok && !audit ? r : { ...r, ok, ...(audit ? { errors: [...(r.errors ?? []), audit] } : {}) };
  if (flags.json) return shown;
  // --quiet is for CI logs: the summary, and the line of every scenario that fails it
  if (flags.quiet && !fails(shown) && shown.verdict !== 'error') return shown;
  process.stdout.write(resultLine(shown, flags.audit === true) + '\n');
  if (audit) process.stdout.write(`     ${audit}\n`);
  if (flags.quiet) {
    printViolationHead(shown);
    return shown;
  }
  if (flags.races) printRaces(shown);
  printViolation(shown, flags.full === true);
  return shown;
}

export async function cmdCheck(paths: string[], flags: CheckFlags): Promise<number> {
  const t0 = performance.now();
  const files = scenarioFiles(paths.length ? paths : [bundledDir()]);
  const loaded: ({ sc: Scenario } | { error: ScenarioResult })[] = [];
  let inputError = false;
  for (const file of files) {
    try {
      loaded.push({ sc: loadScenario(file) });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const errors = e.issues.map(formatIssue);
      loaded.push({ error: { scenario: '', file: displayPath(file), verdict: 'error', complete: false, expected: null, ok: false, violations: [], errors, stats: { executions: 0, redundant: 0, maxDepth: 0, elapsedMs: 0, strategy: flags.strategy ?? CHECK_DEFAULTS.strategy, sleepBlocked: 0 } } });
      if (!flags.json) process.stderr.write(errors.join('\n') + '\n');
      inputError = true;
    }
  }
  const opts: JobOptions = {
    // --audit tests dpor's reduction: without a strategy it asks for dpor (options.ts strategyOf)
    strategy: flags.strategy ?? (flags.audit ? 'dpor' : undefined), preemptions: flags.preemptions, maxExecutions: flags.maxExecutions, timeLimit: flags.timeLimit,
    seed: flags.seed, runs: flags.runs, depth: flags.depth, shrink: flags.shrink, races: flags.races,
    // an unexpected counterexample is reduced by default, briefly; --reduce: every one, thoroughly
    reduce: flags.shrink === false ? false : flags.reduce ?? 'unexpected', reduceBudget: flags.reduce ? CHECK_DEFAULTS.reduceBudget : CHECK_DEFAULTS.quickReduceBudget,
    ...(flags.count ? { count: true } : {}),
    ...(flags.symmetry !== undefined ? { symmetry: flags.symmetry } : {}),
    ...(flags.exact ? { exact: true } : {}),
    ...(flags.maxStates !== undefined ? { maxStates: flags.maxStates } : {}),
  };
  const problem = optionsProblem({ ...opts, shard: flags.shard }, flags.workers);
  if (problem) throw new UsageError(problem);
  const workers = flags.shard ? 1 : flags.workers ?? availableParallelism();
  const scenarios = loaded.filter((x): x is { sc: Scenario } => 'sc' in x).length;
  const results: ScenarioResult[] = [];
  const checked: { sc: Scenario; result: ScenarioResult }[] = [];
  // each scenario's own strategy decides whether its search is split (stateful never is)
  const shardsOf = (sc: Scenario) => shardsPerScenario(strategyFor(sc, opts), scenarios, workers);
  // and a stateful search takes the workers no scenario needs as helpers
  const helpersOf = (sc: Scenario): JobOptions => {
    const count = statefulHelpers(strategyFor(sc, opts), scenarios, workers);
    return count > 0 ? { ...opts, helpers: { count, script: workerUrl().href } } : opts;
  };
  const jobs = loaded.reduce((n, x) => n + ('sc' in x ? shardsOf(x.sc) : 0), 0);
  const pool = workers > 1 && scenarios > 0 ? new CheckPool(Math.min(workers, jobs), jobs) : null;
  try {
    // with workers, submit everything first (scenario by scenario); report in file order
    const pending = loaded.map((x) => ('error' in x || !pool ? x : { sc: x.sc, run: checkOnPool(pool, x.sc, helpersOf(x.sc), shardsOf(x.sc)) }));
    for (const x of pending) {
      if ('error' in x) { results.push(report(x.error, flags)); continue; }
      const bar = progressBar(flags, x.sc.name);
      let r: ScenarioResult;
      if ('run' in x) {
        x.run.progress.show = bar?.update;
        r = await x.run.result;
      } else r = checkScenario(x.sc, { ...opts, shard: flags.shard, progress: bar?.update });
      bar?.stop();
      results.push(report(r, flags));
      if (flags.html) checked.push({ sc: x.sc, result: r });
    }
  } finally {
    await pool?.close();
  }
  return finishOutput(t0, results, flags, checked, inputError);
}

/** `dmabuf-lab merge FILES...`: the shard results of `check --shard i/n --json`, combined. */
export function cmdMerge(files: string[], flags: CheckFlags): number {
  const t0 = performance.now();
  const all: ScenarioResult[] = [];
  for (const f of files) {
    let data: CheckOutput;
    try { data = JSON.parse(readFileSync(f, 'utf8')) as CheckOutput; } catch (e) {
      throw new UsageError(`${f}: not a check --json result file (${(e as Error).message})`);
    }
    if (!Array.isArray(data?.results)) throw new UsageError(`${f}: not a check --json result file (no "results" list)`);
    all.push(...data.results.filter((r) => r.verdict !== 'error'));
  }
  const { groups, problems } = groupShards(all);
  if (problems.length) throw new UsageError(`cannot merge:\n  ${problems.join('\n  ')}`);
  const results = groups.map((parts) => report(mergeShards(parts), flags));
  return finishOutput(t0, results, flags, [], false);
}
