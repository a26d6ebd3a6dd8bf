/**
 * The `dmabuf-lab` command (spec/scenario-format.md §5). Exit codes: 0 every scenario met
 * its expectation, 1 at least one did not, 2 bad input or usage.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { violationResult } from '../check/check.ts';
import { CHECK_DEFAULTS } from '../check/options.ts';
import { STRATEGIES, STRATEGY_NAMES } from '../check/strategy.ts';
import type { CheckOutput } from '../check/result.ts';
import { VERSION } from '../check/result.ts';
import { runSchedule, ScheduleMismatch } from '../check/replay.ts';
import { parseToken } from '../check/token.ts';
import { EXPORTERS, IMPORTERS } from '../drivers/catalogue.ts';
import { formatTimeline } from '../report/timeline.ts';
import { cmdMatrix, cmdReport, type MatrixFlags, type ReportFlags } from './report-cmds.ts';
import { InputError } from '../scenario/errors.ts';
import type { Scenario } from '../scenario/types.ts';
import { PROPERTY_DOCS } from './properties.ts';
import { RULE_BOOK } from './rule-book.ts';
import { bundledDir, loadScenario, scenarioFiles } from './files.ts';
import { cmdCheck, cmdMerge, color, parseShard, UsageError, type CheckFlags } from './check-cmd.ts';
import { cmdFuzz, type FuzzFlags } from './fuzz-cmd.ts';
import { cmdFuzzAll } from './fuzz-all.ts';

function shardArg(v: string) {
  const s = parseShard(v);
  if (!s) throw new InvalidArgumentError('expected i/n with 1 <= i <= n, e.g. 2/4');
  return s;
}

function intArg(min: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
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

/** `list drivers|properties|scenarios|rules`: the catalogue, as text or (--json) as data. */
function cmdList(what: string, json: boolean): number {
  const out: string[] = [];
  let data: unknown;
  if (what === 'drivers') {
    data = [...EXPORTERS, ...IMPORTERS].map((d) => ({ name: d.name, role: d.role, description: d.description, source: d.source, variants: d.variants.map(({ name, description, kernels }) => ({ name, description, ...(kernels ? { kernels } : {}) })) }));
    for (const d of [...EXPORTERS, ...IMPORTERS]) {
      out.push(`${d.name} (${d.role}): ${d.description}`, `    source: ${d.source}`);
      for (const v of d.variants) out.push(`    ${v.name.padEnd(24)} ${v.description}`);
    }
  } else if (what === 'properties') {
    data = Object.entries(PROPERTY_DOCS).map(([id, text]) => ({ id, text }));
    for (const [id, text] of Object.entries(PROPERTY_DOCS)) out.push(`${id.padEnd(22)} ${text}`);
  } else if (what === 'scenarios') {
    const list = scenarioFiles([bundledDir()]).map(loadScenario);
    data = list.map((sc) => ({ name: sc.name, file: sc.file, expect: sc.expect, description: sc.description.trim() }));
    for (const sc of list) out.push(`${sc.name.padEnd(36)} ${sc.expect ? `${sc.expect.verdict}${sc.expect.properties.length ? ` ${sc.expect.properties.join('|')}` : ''}` : 'safe'}  ${sc.description.trim()}`);
  } else if (what === 'rules') {
    const width = Math.max(...RULE_BOOK.flatMap((g) => g.rules.map((r) => r.id.length))) + 1;
    data = RULE_BOOK.flatMap((g) => g.rules.map((r) => ({ id: r.id, group: g.title, modelled: r.modelled, text: r.text, source: r.source, [r.modelled === false ? 'why' : 'where']: r.where })));
    for (const g of RULE_BOOK) {
      out.push(`# ${g.title}`);
      for (const r of g.rules) {
        const m = r.modelled === true ? 'modelled' : r.modelled === 'driver' ? 'drivers ' : 'not modelled';
        out.push(`${r.id.padEnd(width)} ${m.padEnd(12)} ${r.text}`, `${' '.repeat(width + 1)}source: ${r.source}`, `${' '.repeat(width + 1)}${r.modelled === false ? 'why' : 'where'}: ${r.where}`);
      }
    }
  } else throw new UsageError(`unknown list "${what}": expected drivers, properties, scenarios or rules`);
  process.stdout.write(json ? JSON.stringify(data, null, 2) + '\n' : out.join('\n') + '\n');
  return 0;
}

async function main(argv: string[]): Promise<number> {
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
    .addOption(new Option('--strategy <s>', 'search strategy (default: stateful for a scenario the data world models, dpor for the others and with --shard, --symmetry, --races, --audit, --count, --preemptions or --max-executions)').choices(STRATEGY_NAMES))
    .option('--seed <n>', `seed of the random strategies (default ${CHECK_DEFAULTS.seed})`, intArg(0))
    .option('--runs <n>', `executions of the random strategies (default ${CHECK_DEFAULTS.runs})`, intArg(1))
    .option('--depth <d>', `pct bug depth (default ${CHECK_DEFAULTS.depth})`, intArg(1))
    .option('--time-limit <sec>', 'stop the search after this many seconds (incomplete)', intArg(1))
    .option('--no-shrink', 'report counterexamples as found: neither shrunk nor reduced')
    .option('--full', 'print every event of a counterexample, not only its story (what the violation depends on)')
    .option('--audit', 'show each search\'s redundant executions and sleep-blocked prefixes; a dpor search that explores a class twice fails')
    .option('--reduce', 'look for a smaller scenario (fewer threads, importers, steps, transfers) with the same violation under every counterexample, with a larger search of each candidate (by default only under an unexpected one)')
    .option('--no-reduce', 'never look for a smaller scenario')
    .option('--count', 'explore the whole space, past every violation: a complete dpor search prints its number of equivalence classes, and every property the space holds')
    .option('--symmetry', 'dpor: explore one execution of each orbit under renaming importers that are identical up to their id (same driver, variant and steps); the stateful search stores one state of each orbit by default')
    .option('--no-symmetry', 'stateful: store every state, not one of each orbit of identical importers')
    .option('--races', 'after each dpor search, the races that added the most backtrack choices (what makes the search large)')
    .option('--exact', 'stateful: store whole states and compare them instead of 64-bit fingerprints (no omission; more memory)')
    .option('--max-states <n>', 'stateful: stop after this many states (incomplete)', intArg(1))
    .option('--junit <file>', 'write a JUnit XML report (one testcase a scenario)')
    .option('--html <dir>', 'write an HTML sequence diagram of each counterexample into this directory')
    .option('--preemptions <n>', 'preemption bound', intArg(0))
    .option('--max-executions <n>', 'stop after this many executions', intArg(1))
    .option('--json', 'print the result object on stdout, nothing else')
    .option('--quiet', 'for CI logs: only the lines of failing and invalid scenarios (with the violation and its token), and the summary')
    .option('--require-complete', 'a search cut short by a bound fails')
    .option('--workers <n>', 'worker threads that share each search (default: the number of cores; 1 = none)', intArg(1))
    .option('--shard <i/n>', 'explore only shard i of n (1-based) of each search; combine with merge', shardArg)
    .addHelpText('after', `\nWhat --shard and --workers give, by strategy:\n${STRATEGY_NAMES.map((n) => `  ${n.padEnd(11)} ${STRATEGIES[n].shards}`).join('\n')}\nWith --workers N, N scenarios run at a time; a search is split only when there\nare fewer scenarios than workers.`)
    .action(async (paths: string[], flags: CheckFlags) => { code = await cmdCheck(paths, flags); });
  program
    .command('merge')
    .description('combine the --json results of check --shard 1/n ... n/n into the verdict of the whole search')
    .argument('<results...>')
    .option('--json', 'print the merged result object on stdout, nothing else')
    .option('--audit', 'show the summed redundant executions and sleep-blocked prefixes; a dpor search with a redundant execution fails')
    .option('--races', 'the summed race counts of shards run with check --races')
    .option('--junit <file>', 'write a JUnit XML report (one testcase a scenario)')
    .option('--quiet', 'for CI logs: only the lines of failing and invalid scenarios (with the violation and its token), and the summary')
    .action((files: string[], flags: CheckFlags) => { code = cmdMerge(files, flags); });
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
    .option('--json', 'print the matrix as JSON (cells with verdict, complete and bounded), nothing else')
    .option('--exporter <names...>', 'only these exporters (driver or driver/variant)')
    .option('--importer <names...>', 'only these importers (driver or driver/variant)')
    .option('--complete', 'run every search to its end (the whole catalogue: over 20 minutes, and a few cells take longer than 2 minutes each: add --time-limit); default: 2000 executions a scenario, a safe cell that holds only within the bound is marked safe* / bounded')
    .option('--preemptions <n>', 'preemption bound of each search (default: none)', intArg(0))
    .option('--max-executions <n>', 'executions per scenario (default 2000)', intArg(1))
    .option('--time-limit <sec>', 'stop each search after this many seconds (a cut safe cell is marked bounded)', intArg(1))
    .option('--fail-on-violation', 'exit 1 when any cell is a violation (or could not be built)')
    .option('--write-scenarios <dir>', 'write the generated scenarios here so that their tokens replay')
    .addHelpText('after', '\nExit codes: 0 the matrix was produced, whatever its cells say; 1 with --fail-on-violation when a cell\nis a violation or could not be built; 2 bad usage (an unknown driver or variant).')
    .action((flags: MatrixFlags) => { code = cmdMatrix(flags); });
  program
    .command('fuzz')
    .description('generate scenarios for the given drivers, check each, write every distinct finding as a scenario file that reproduces it (exit 1 when something was found)')
    .option('--exporter <driver/variant>', 'the exporter (variant default correct); importers are then drawn from the correct variants that can import from it')
    .option('--importer <driver/variant...>', 'an importer every scenario has (repeatable, at most 3); the exporter and other importers default to correct')
    .option('--kernel <k>', 'pre, v2, v3, landed, or any (draw from every version the variants exist in); default landed, else the newest they exist in')
    .option('--seed <n>', 'seed of the generator (default 1)', intArg(0))
    .option('--time-limit <sec>', `stop after this many seconds (default ${60} when --max-scenarios is not given; the run then depends on the machine's speed)`, intArg(1))
    .option('--max-scenarios <n>', 'stop after this many generated scenarios', intArg(1))
    .option('--budget <n>', 'dpor executions per generated scenario after the pct pre-pass (default 200)', intArg(1))
    .option('--out <dir>', 'where findings are written (default fuzz-findings)')
    .option('--first', 'stop at the first finding')
    .option('--all', 'fuzz every variant of the catalogue in turn (bounds apply to each) and write the table to DIR/fuzz-all.md and .html')
    .option('--json', 'print {scenarios, executions, found: [{property, rule, scenario, schedule, ...}]} on stdout, nothing else')
    .option('--workers <n>', 'worker threads checking scenarios (default 1; the findings are the same for any number under --max-scenarios)', intArg(1))
    .action(async (flags: FuzzFlags) => { code = flags.all ? await cmdFuzzAll(flags) : await cmdFuzz(flags); });
  program
    .command('list')
    .description('the catalogue: drivers, properties, scenarios or rules')
    .argument('<what>')
    .option('--json', 'print the list as JSON')
    .action((what: string, flags: { json?: boolean }) => { code = cmdList(what, flags.json === true); });
  try {
    await program.parseAsync(argv, { from: 'user' });
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
void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
