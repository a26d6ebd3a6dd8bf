/**
 * The `dmabuf-lab` command (spec/scenario-format.md §5). Exit codes: 0 every scenario met
 * its expectation, 1 at least one did not, 2 bad input or usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { checkScenario, violationResult, type StrategyName } from '../check/check.ts';
import { junitXml } from '../report/junit.ts';
import { progressBar } from './progress.ts';
import type { CheckOutput, ScenarioResult } from '../check/result.ts';
import { VERSION } from '../check/result.ts';
import { runSchedule, ScheduleMismatch } from '../check/replay.ts';
import { parseToken } from '../check/token.ts';
import { EXPORTERS, IMPORTERS } from '../drivers/catalogue.ts';
import { RULES } from '../kernel/rules.ts';
import { formatTimeline } from '../report/timeline.ts';
import { cmdMatrix, cmdReport, writeHtmlReports, type MatrixFlags, type ReportFlags } from './report-cmds.ts';
import { formatIssue, InputError } from '../scenario/errors.ts';
import type { Scenario } from '../scenario/types.ts';
import { PROPERTY_DOCS } from './properties.ts';
import { bundledDir, displayPath, loadScenario, scenarioFiles } from './files.ts';

class UsageError extends Error {}

const color = () => process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.CI !== 'true';

function intArg(min: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

function resultLine(r: ScenarioResult): string {
  const mark = r.verdict === 'error' ? 'ERROR' : r.ok ? 'ok  ' : 'FAIL';
  if (r.verdict === 'error') return `${mark} ${r.file}`;
  const what = r.verdict === 'violation' ? `violation ${r.violation?.property}` : `safe${r.complete ? '' : ' within bounds'}`;
  const exp = r.expected ? ` (expected ${r.expected.verdict}${r.expected.property ? ` ${r.expected.property}` : ''})` : '';
  return `${mark} ${r.scenario.padEnd(36)} ${what}${exp}  ${r.stats.executions} executions, ${r.stats.elapsedMs} ms`;
}

function printViolation(r: ScenarioResult): void {
  const v = r.violation;
  if (!v) return;
  process.stdout.write(`     ${v.property} (${v.rule}): ${v.message}\n     schedule ${v.schedule}\n`);
  process.stdout.write(`     diagram: dmabuf-lab report ${r.file} --schedule '${v.schedule}' --html ${r.scenario}.html\n`);
  process.stdout.write(formatTimeline(v, { color: color(), width: 95 }).replace(/^/gm, '     ') + '\n');
  if (v.reduced) {
    process.stdout.write(`     a smaller scenario shows it too (${v.reduced.threads} thread(s), ${v.reduced.transfers} transfer(s)): ${v.reduced.changes.join('; ')}\n`);
  }
}

interface CheckFlags {
  strategy?: StrategyName;
  seed?: number;
  runs?: number;
  depth?: number;
  timeLimit?: number;
  shrink?: boolean;
  reduce?: boolean;
  junit?: string;
  html?: string;
  preemptions?: number;
  maxExecutions?: number;
  json?: boolean;
  quiet?: boolean;
  requireComplete?: boolean;
}

function cmdCheck(paths: string[], flags: CheckFlags): number {
  const t0 = performance.now();
  const files = scenarioFiles(paths.length ? paths : [bundledDir()]);
  const results: ScenarioResult[] = [];
  const checked: { sc: Scenario; result: ScenarioResult }[] = [];
  let exit = 0;
  for (const file of files) {
    let sc: Scenario;
    try {
      sc = loadScenario(file);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const errors = e.issues.map(formatIssue);
      results.push({ scenario: '', file: displayPath(file), verdict: 'error', complete: false, expected: null, ok: false, violations: [], errors, stats: { executions: 0, redundant: 0, maxDepth: 0, elapsedMs: 0, strategy: flags.strategy ?? 'dpor', sleepBlocked: 0 } });
      if (!flags.json) process.stderr.write(errors.join('\n') + '\n');
      exit = 2;
      continue;
    }
    const bar = progressBar(flags, sc.name);
    const r = checkScenario(sc, {
      strategy: flags.strategy, preemptions: flags.preemptions, maxExecutions: flags.maxExecutions, timeLimit: flags.timeLimit,
      seed: flags.seed, runs: flags.runs, depth: flags.depth, shrink: flags.shrink, reduce: flags.reduce, progress: bar?.update,
    });
    bar?.stop();
    const ok = r.ok && !(flags.requireComplete && !r.complete);
    results.push(ok === r.ok ? r : { ...r, ok });
    if (flags.html) checked.push({ sc, result: r });
    if (!ok && exit === 0) exit = 1;
    if (!flags.json && !flags.quiet) {
      process.stdout.write(resultLine(results[results.length - 1]!) + '\n');
      printViolation(r);
    }
  }
  const okCount = results.filter((r) => r.ok).length;
  const out: CheckOutput = { version: VERSION, results, summary: { scenarios: results.length, ok: okCount, failed: results.length - okCount, elapsedMs: Math.round(performance.now() - t0) } };
  if (flags.junit) writeFileSync(flags.junit, junitXml(out));
  if (flags.html) writeHtmlReports(flags.html, checked, !flags.json);
  if (flags.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else process.stdout.write(`${out.summary.scenarios} scenario(s): ${out.summary.ok} ok, ${out.summary.failed} failed (${out.summary.elapsedMs} ms)\n`);
  return exit;
}

/** One execution, printed as a timeline; exit 1 when it broke a rule. */
function runAndPrint(sc: Scenario, schedule: number[], json: boolean): number {
  let run;
  try {
    run = runSchedule(sc, schedule);
  } catch (e) {
    if (e instanceof ScheduleMismatch) throw new UsageError(e.message);
    throw e;
  }
  const { rt } = run;
  const first = rt.violations[0];
  const shown = violationResult(sc, rt, first ?? { property: 'leak', rule: '', message: '', event: -2, thread: '' }, run.schedule);
  if (json) {
    process.stdout.write(JSON.stringify({ version: VERSION, scenario: sc.name, file: sc.file, violations: rt.violations, schedule: shown.schedule, trace: shown.trace }, null, 2) + '\n');
  } else {
    process.stdout.write(formatTimeline(shown, { color: color(), full: true }) + '\n');
    for (const v of rt.violations) process.stdout.write(`${v.property} (${v.rule}) at ${v.event + 1 || 'end'}: ${v.message}\n`);
    process.stdout.write(`schedule ${shown.schedule}\n${first ? `${rt.violations.length} violation(s)` : 'no violation'}\n`);
  }
  return first ? 1 : 0;
}

function scheduleFor(sc: Scenario, token: string): number[] {
  const t = parseToken(token);
  if (!t) throw new UsageError(`not a schedule token: "${token}" (expected FILE@HASH:SCHEDULE)`);
  if (t.hash !== sc.hash) throw new UsageError(`the token was made for ${t.file} with content hash ${t.hash}; ${sc.file} has hash ${sc.hash} (the file changed or is another one)`);
  return t.schedule;
}

function cmdReplay(arg: string, json: boolean): number {
  let token = arg;
  if (!parseToken(arg)) {
    let text: string;
    try { text = readFileSync(arg, 'utf8'); } catch { throw new UsageError(`"${arg}" is neither a schedule token nor a readable result file`); }
    let data: CheckOutput;
    try { data = JSON.parse(text) as CheckOutput; } catch { throw new UsageError(`${arg}: not JSON`); }
    const withViolation = data.results?.find((r) => r.violation);
    if (!withViolation?.violation) throw new UsageError(`${arg}: no result with a counterexample`);
    token = withViolation.violation.schedule;
  }
  const t = parseToken(token)!;
  const sc = loadScenario(t.file);
  return runAndPrint(sc, scheduleFor(sc, token), json);
}

function cmdList(what: string): number {
  const out: string[] = [];
  if (what === 'drivers') {
    for (const d of [...EXPORTERS, ...IMPORTERS]) {
      out.push(`${d.name} (${d.role}): ${d.description}`, `    source: ${d.source}`);
      for (const v of d.variants) out.push(`    ${v.name.padEnd(24)} ${v.description}`);
    }
  } else if (what === 'properties') {
    for (const [id, text] of Object.entries(PROPERTY_DOCS)) out.push(`${id.padEnd(22)} ${text}`);
  } else if (what === 'scenarios') {
    for (const f of scenarioFiles([bundledDir()])) {
      const sc = loadScenario(f);
      out.push(`${sc.name.padEnd(36)} ${sc.expect ? `${sc.expect.verdict}${sc.expect.properties.length ? ` ${sc.expect.properties.join('|')}` : ''}` : 'safe'}  ${sc.description.trim()}`);
    }
  } else if (what === 'rules') {
    for (const r of RULES) {
      const m = r.modelled === true ? 'modelled' : r.modelled === 'driver' ? 'drivers ' : 'not modelled';
      out.push(`${r.id.padEnd(5)} ${m.padEnd(12)} ${r.text}`, `      source: ${r.source}`, `      ${r.modelled === false ? 'why' : 'where'}: ${r.where}`);
    }
  } else throw new UsageError(`unknown list "${what}": expected drivers, properties, scenarios or rules`);
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

function main(argv: string[]): number {
  let code = 0;
  const program = new Command('dmabuf-lab')
    .description('model checker for the Linux dma-buf sharing contract, revoke included')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command('check')
    .description('explore every scenario in the given files or directories (default: the bundled scenarios)')
    .argument('[paths...]')
    .addOption(new Option('--strategy <s>', 'search strategy').choices(['dpor', 'exhaustive', 'pct', 'random']).default('dpor'))
    .option('--seed <n>', 'seed of the random strategies', intArg(0))
    .option('--runs <n>', 'executions of the random strategies (default 1000)', intArg(1))
    .option('--depth <d>', 'pct bug depth (default 3)', intArg(1))
    .option('--time-limit <sec>', 'stop the search after this many seconds (incomplete)', intArg(1))
    .option('--no-shrink', 'report counterexamples as found, not shrunk')
    .option('--reduce', 'also look for a smaller scenario (fewer transfers, threads, importers) with the same violation')
    .option('--junit <file>', 'write a JUnit XML report (one testcase a scenario)')
    .option('--html <dir>', 'write an HTML sequence diagram of each counterexample into this directory')
    .option('--preemptions <n>', 'preemption bound', intArg(0))
    .option('--max-executions <n>', 'stop after this many executions', intArg(1))
    .option('--json', 'print the result object on stdout, nothing else')
    .option('--quiet', 'only the summary line')
    .option('--require-complete', 'a search cut short by a bound fails')
    .action((paths: string[], flags: CheckFlags) => { code = cmdCheck(paths, flags); });
  program
    .command('run')
    .description('one execution (the default schedule or the given one), printed as a timeline')
    .argument('<file>')
    .option('--schedule <token>', 'a schedule token from check or replay')
    .option('--json', 'print the execution as JSON')
    .action((file: string, flags: { schedule?: string; json?: boolean }) => {
      const sc = loadScenario(file);
      code = runAndPrint(sc, flags.schedule ? scheduleFor(sc, flags.schedule) : [], flags.json === true);
    });
  program
    .command('replay')
    .description('re-run a counterexample exactly, from its token or a --json result file')
    .argument('<token-or-result>')
    .option('--json', 'print the execution as JSON')
    .action((arg: string, flags: { json?: boolean }) => { code = cmdReplay(arg, flags.json === true); });
  program
    .command('report')
    .description('write the HTML sequence diagram and/or Chrome/Perfetto trace of a counterexample (or of one run)')
    .argument('<file>')
    .option('--schedule <token>', 'this schedule instead of the counterexample a check finds')
    .option('--html <file>', 'write the HTML sequence diagram here')
    .option('--trace <file>', 'write the Chrome/Perfetto trace (JSON) here')
    .action((file: string, flags: ReportFlags) => {
      const sc = loadScenario(file);
      code = cmdReport(sc, flags.schedule ? scheduleFor(sc, flags.schedule) : undefined, flags);
    });
  program
    .command('matrix')
    .description('check every exporter x importer variant pair against the standard revoke scenarios')
    .option('--md', 'print the table as Markdown')
    .option('--html <file>', 'write the table as HTML')
    .option('--exporter <names...>', 'only these exporters (driver or driver/variant)')
    .option('--importer <names...>', 'only these importers (driver or driver/variant)')
    .option('--preemptions <n>', 'preemption bound of each search (default 2)', intArg(0))
    .option('--max-executions <n>', 'executions per scenario (default 2000)', intArg(1))
    .option('--write-scenarios <dir>', 'write the generated scenarios here so that their tokens replay')
    .action((flags: MatrixFlags) => { code = cmdMatrix(flags); });
  program
    .command('list')
    .description('the catalogue: drivers, properties, scenarios or rules')
    .argument('<what>')
    .action((what: string) => { code = cmdList(what); });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof InputError) {
      process.stderr.write(e.message + '\n');
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`dmabuf-lab: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return code;
}

// A reader that stops early (`| head`) is not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = main(process.argv.slice(2));
