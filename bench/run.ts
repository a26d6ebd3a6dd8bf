// `npm run bench`: search speed figures, printed and written to bench/results/.
//
// 1. CLI start-up against a bare `node -e 0`.
// 2. The Spin twins (../shared/bench/spin/scenarios): executions, executions per second,
//    time to the first counterexample (buggy) or to full verification (correct), redundant
//    executions, peak RSS; side by side with Spin end to end when `spin` is installed, and
//    with fast-check's random scheduler (its measured medians, ../shared/bench/fast-check).
// 3. A scalable family: vfio-pci revoke against N importers (gpu-dynamic, rdma-odp,
//    iommufd in turn) with K transfers each, buggy (v2-no-wait) and correct.
// 4. Executions to the first counterexample of each buggy scenario under each strategy.
// 5. A long search (BENCH_LONG executions, default 200,000): the rate and memory at each tenth.
// 6. --workers: the CLI with 1 and N workers on complete searches, and the machine's ceiling.
// Each search is cut at BENCH_LIMIT seconds (default 20); a cut search is marked.
// BENCH_SPIN_REUSE=1 reads the last Spin run (bench/results/spin) instead of running it.
// `npm run bench` bundles this file with esbuild (dist/bench.mjs), so the figures are those
// of compiled code, as the CLI runs it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkScenario, type CheckOptions } from '../src/check/check.ts';
import { parseScenario } from '../src/scenario/load.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { longRun, longTable } from './long.ts';
import { parallelCeiling, workersRows } from './workers.ts';

const LIMIT = Number(process.env.BENCH_LIMIT ?? 20);
// the yardsticks live next to the project (../shared/bench); BENCH_SHARED points elsewhere
const SHARED = process.env.BENCH_SHARED ?? join(import.meta.dirname ?? '.', '..', '..', 'shared', 'bench');
const cores = availableParallelism();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeCmd(cmd: string, args: string[], n = 15): number {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    spawnSync(cmd, args, { stdio: 'ignore' });
    t.push(performance.now() - t0);
  }
  return median(t);
}

interface Row {
  name: string;
  variant: string;
  verdict: string;
  complete: boolean;
  /** the strategy that searched it (the default: stateful where the data world models the scenario) */
  strategy: string;
  /** stateful: states stored, transactions run */
  states: number | null;
  transitions: number | null;
  executions: number;
  perSecond: number;
  firstMs: number | null;
  totalMs: number;
  redundant: number;
  rssMb: number;
}

function measure(sc: Scenario, opts: CheckOptions = {}): Row {
  const t0 = performance.now();
  const r = checkScenario(sc, { timeLimit: LIMIT, shrink: false, ...opts });
  const ms = performance.now() - t0;
  return {
    name: sc.name, variant: sc.exporter.variant, verdict: r.verdict, complete: r.complete, executions: r.stats.executions,
    strategy: r.stats.strategy, states: r.stats.stateful?.states ?? null, transitions: r.stats.stateful?.transitions ?? null,
    perSecond: Math.round(r.stats.executions / (ms / 1000)), firstMs: r.stats.firstViolationMs ?? null, totalMs: Math.round(ms),
    redundant: r.stats.redundant, rssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** Spin end to end per scale, when spin is installed (the script builds and runs pan). */
function spinFigures(): Map<string, number> | string {
  const out = resolve('bench', 'results', 'spin');
  // the figures of an earlier run need no spin on this machine
  const reuse = process.env.BENCH_SPIN_REUSE === '1' && existsSync(join(out, 'results.csv'));
  const which = spawnSync('sh', ['-c', 'command -v spin'], { encoding: 'utf8' });
  if (!reuse && which.status !== 0) return 'spin not found: install it with `apt-get install -y spin` (Debian) to get the Spin column';
  const run = reuse ? { status: 0, stderr: '', stdout: '' } : spawnSync('bash', [join(SHARED, 'spin', 'run.sh'), '--reps', '3'], { env: { ...process.env, OUT_DIR: out }, encoding: 'utf8' });
  if (run.status !== 0) return `the Spin script failed (exit ${run.status}): ${(run.stderr || run.stdout).trim().split('\n').pop()}`;
  const rows = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
  const head = rows.shift()!.split(',');
  const m = new Map<string, number>();
  for (const line of rows) {
    const c = Object.fromEntries(line.split(',').map((v, i) => [head[i]!, v]));
    if (String(c.search).toUpperCase() !== 'POR') continue;
    const key = `${String(c.scale).toLowerCase()}-${String(c.variant).toUpperCase() === 'BUGGY' ? 'v2-no-wait' : 'correct'}`;
    const prev = m.get(key);
    const e2e = Number(c.e2e_ms);
    if (prev === undefined || e2e < prev) m.set(key, e2e);
  }
  return m;
}

/** fast-check's measured medians of random runs to the first failure (its README). */
const FAST_CHECK_MEDIAN: Record<string, number> = { s1: 380, s2: 407, s3: 1249, s4: 1498 };

function family(n: number, k: number, variant: string, drivers = ['gpu-dynamic', 'rdma-odp', 'iommufd']): Scenario {
  const ims = Array.from({ length: n }, (_, i) => ({ id: `imp${i}`, driver: drivers[i % drivers.length]! }));
  const text = [
    `name: fam-n${n}-k${k}-${variant}${drivers.length === 1 ? `-${drivers[0]}` : ''}`,
    `exporter: { driver: vfio-pci, variant: ${variant} }`,
    'importers:',
    ...ims.map((m) => `  - { id: ${m.id}, driver: ${m.driver} }`),
    'threads:',
    '  - name: reset',
    '    steps: [revoke]',
    ...ims.flatMap((m) => [`  - name: ${m.id}-user`, '    steps:', `      - import: ${m.id}`, ...(k > 0 ? [`      - dma: { importer: ${m.id}, count: ${k} }`] : []), `      - release: ${m.id}`]),
    variant === 'correct' ? 'expect: { verdict: safe }' : 'expect: { verdict: violation, property: dma-after-revoke }',
    '',
  ].join('\n');
  return parseScenario(text, `family-n${n}-k${k}-${variant}.yaml`);
}

const statesCell = (r: Row) => (r.states === null ? '–' : `${r.states} (${Math.round(r.states / (r.totalMs / 1000))}/s)`);
const fmt = (r: Row) => `| ${r.name} | ${r.strategy} | ${r.verdict}${r.complete ? '' : ' (cut)'} | ${statesCell(r)} | ${r.executions} | ${r.perSecond} | ${r.firstMs ?? '–'} | ${r.totalMs} | ${r.redundant} | ${r.rssMb} |`;
const HEAD = '| scenario | strategy | verdict | states (per s) | executions | exec/s | first counterexample ms | total ms | redundant | peak RSS MB |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|';

const lines: string[] = [];
const say = (s: string) => { console.log(s); lines.push(s); };
say(`# dmabuf-lab benchmark, ${new Date().toISOString().slice(0, 10)}, ${cores} cores, Node ${process.version}, limit ${LIMIT} s a search`);
say('');
const cliBin = join('bin', 'dmabuf-lab.cjs');
if (!existsSync(join('dist', 'cli.cjs'))) execFileSync(process.execPath, ['scripts/build.mjs']);
const bare = timeCmd(process.execPath, ['-e', '0']);
const cli = timeCmd(process.execPath, [cliBin, 'list', 'drivers']);
say(`Start-up: node -e 0 ${bare.toFixed(0)} ms, dmabuf-lab list drivers ${cli.toFixed(0)} ms (+${(cli - bare).toFixed(0)} ms, budget +50 ms)`);
say('');

const twinDir = join(SHARED, 'spin', 'scenarios');
const twins = existsSync(twinDir) ? readdirSync(twinDir).filter((f) => f.endsWith('.yaml')).sort() : [];
if (!twins.length) say(`No Spin twins at ${twinDir} (set BENCH_SHARED to the shared/bench folder): that section is skipped.`);
const spin = twins.length ? spinFigures() : 'no twins';
say('## Spin twins (../shared/bench/spin/scenarios)');
say('');
if (typeof spin === 'string') say(`Spin column skipped: ${spin}.`);
say('');
say('| twin | strategy | verdict | states (per s) | executions | exec/s | first counterexample ms | total ms | redundant | peak RSS MB | Spin end to end ms | ratio ours/Spin end to end (ours ms) | fast-check median runs to bug |');
say('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const results: Record<string, unknown> = { cores, node: process.version, limitSeconds: LIMIT, startup: { bareMs: bare, cliMs: cli }, twins: [], family: [] };
for (const f of twins) {
  const sc = parseScenario(readFileSync(join(SHARED, 'spin', 'scenarios', f), 'utf8'), f);
  const row = measure(sc);
  const scale = sc.name.split('-')[1]!;
  const key = `${scale}-${sc.exporter.variant}`;
  const spinMs = typeof spin === 'string' ? null : spin.get(key) ?? null;
  // end to end, as Spin's figure is: the CLI process, start-up included (shrinking off)
  const cliArgs = [cliBin, 'check', '--quiet', '--no-shrink', '--time-limit', String(LIMIT), join(SHARED, 'spin', 'scenarios', f)];
  const ours = sc.exporter.variant === 'correct' && !row.complete ? null : timeCmd(process.execPath, cliArgs, sc.exporter.variant === 'correct' ? 1 : 5);
  const ratio = spinMs && ours ? `${(ours / spinMs).toFixed(2)} (${Math.round(ours)} ms)` : '–';
  const fcm = sc.exporter.variant === 'correct' ? '–' : `${FAST_CHECK_MEDIAN[scale]} (ours ${row.executions})`;
  say(`${fmt(row)} ${spinMs ?? '–'} | ${ratio} | ${fcm} |`);
  (results.twins as unknown[]).push({ ...row, spinMs, ratio });
}
say('');
// What the stateless search spends its executions on: the race pairs behind the correct
// twins' backtrack choices (check --races) over the first RACE_EXECUTIONS executions.
const RACE_EXECUTIONS = 12_000;
say(`## Where the correct twins' searches go (check --races, first ${RACE_EXECUTIONS.toLocaleString('en-US')} executions)`);
say('');
say('| twin | choices | top race pairs (share of the choices) |');
say('|---|---:|---|');
results.twinRaces = [];
for (const f of twins.filter((t) => t.includes('correct'))) {
  const sc = parseScenario(readFileSync(join(SHARED, 'spin', 'scenarios', f), 'utf8'), f);
  const races = checkScenario(sc, { races: true, maxExecutions: RACE_EXECUTIONS, shrink: false, prepass: 0 }).stats.races ?? [];
  const total = races.reduce((a, r) => a + r.choices, 0);
  const top = races.slice(0, 3).map((r) => `${r.object}: ${r.first} (${r.firstThread}) / ${r.second} (${r.secondThread}${r.how ? `, ${r.how}` : ''}) ${((100 * r.choices) / total).toFixed(1)}%`);
  say(`| ${sc.name} | ${total} | ${top.join('; ')} |`);
  (results.twinRaces as unknown[]).push({ name: sc.name, choices: total, races: races.slice(0, 10) });
}
say('');
// the issue's family: N = 1..4 importers, K = 1..4 transfers (and K = 0)
const maxN = Number(process.env.BENCH_N ?? 4);
const maxK = Number(process.env.BENCH_K ?? 4);
say('## Family: vfio-pci revoke against N importers (gpu-dynamic, rdma-odp, iommufd) x K transfers (K = 0: import and release only)');
say('');
say(HEAD);
for (let n = 1; n <= maxN; n++) {
  // K = 0 (import and release, no transfer: nothing for the buggy revoke to miss) is the
  // largest member whose correct form is verified in full with more than one importer
  for (let k = 0; k <= maxK; k++) {
    for (const variant of k === 0 ? ['correct'] : ['v2-no-wait', 'correct']) {
      const row = measure(family(n, k, variant));
      say(fmt(row));
      (results.family as unknown[]).push(row);
    }
  }
}
say('');
// The stateful search's family: gpu-dynamic importers only (the drivers the data world
// models), N x K, correct; the largest member verified within the limit is the figure.
say('## Family over the data world: vfio-pci revoke against N gpu-dynamic importers x K transfers, correct (stateful)');
say('');
say(HEAD);
results.statefulFamily = [];
let largest = 'none';
for (let n = 1; n <= 3; n++) {
  for (let k = 0; k <= 3; k++) {
    const row = measure(family(n, k, 'correct', ['gpu-dynamic']), { strategy: 'stateful' });
    say(fmt(row));
    (results.statefulFamily as unknown[]).push(row);
    if (row.complete && row.verdict === 'safe') largest = `${n} importers x ${k} transfers (${row.states} states, ${row.totalMs} ms)`;
  }
}
say('');
say(`Largest member verified within ${LIMIT} s: ${largest}.`);
results.statefulLargest = largest;
say('');
// Executions to the first counterexample of each buggy scenario under each strategy: what
// the default's order (a pct pre-pass, then dpor's depth-first search with its fewest
// switches first) buys over each part alone and over random scheduling.
const SEEDS = [1, 2, 3, 4, 5];
const RUNS_CAP = 5000;
/** Executions until the wanted violation, or null when the strategy did not meet it within its budget. */
function toFirst(sc: Scenario, opts: CheckOptions): number | null {
  const r = checkScenario(sc, { shrink: false, timeLimit: LIMIT, runs: RUNS_CAP, ...opts });
  return r.ok ? r.stats.executions : null;
}
/** The stateful search alone to the wanted violation: states stored and time, or why not. */
function statefulFirst(sc: Scenario): string {
  const t0 = performance.now();
  const r = checkScenario(sc, { strategy: 'stateful', prepass: 0, shrink: false, reduce: false, timeLimit: LIMIT });
  if (r.stats.strategy !== 'stateful') return 'not modelled';
  return r.ok ? `${r.stats.stateful?.states} states, ${Math.round(performance.now() - t0)} ms` : 'not met';
}

/** The median over the seeds, a seed that did not meet it counting as the largest. */
function medianOrCut(xs: (number | null)[]): string {
  const all = xs.map((x) => x ?? Infinity).sort((a, b) => a - b);
  const mid = all[Math.floor((all.length - 1) / 2)]!;
  return Number.isFinite(mid) ? String(mid) : `> ${RUNS_CAP} (${all.filter(Number.isFinite).length}/${all.length} seeds met it)`;
}
say(`## Executions to the first counterexample, by strategy (pct and random: median of seeds ${SEEDS.join(', ')}, at most ${RUNS_CAP} runs)`);
say('');
say('| scenario | default (pct pre-pass, then stateful where it applies, else dpor) | dpor alone | stateful alone (states, ms) | pct (depth 3) | random | exhaustive |');
say('|---|---:|---:|---:|---:|---:|---:|');
const buggy = [
  ...twins.filter((t) => !t.includes('correct')).map((f) => parseScenario(readFileSync(join(twinDir, f), 'utf8'), f)),
  // the smallest and the largest K of each N: dpor alone and exhaustive run to the limit on most
  ...Array.from({ length: maxN }, (_, i) => i + 1).flatMap((n) => [...new Set([1, maxK])].map((k) => family(n, k, 'v2-no-wait'))),
];
results.strategies = [];
for (const sc of buggy) {
  const row = {
    name: sc.name,
    default: toFirst(sc, {}),
    dpor: toFirst(sc, { strategy: 'dpor', prepass: 0 }),
    stateful: statefulFirst(sc),
    pct: medianOrCut(SEEDS.map((seed) => toFirst(sc, { strategy: 'pct', seed }))),
    random: medianOrCut(SEEDS.map((seed) => toFirst(sc, { strategy: 'random', seed }))),
    exhaustive: toFirst(sc, { strategy: 'exhaustive', prepass: 0 }),
  };
  const cell = (x: number | null) => (x === null ? 'not met' : String(x));
  say(`| ${row.name} | ${cell(row.default)} | ${cell(row.dpor)} | ${row.stateful} | ${row.pct} | ${row.random} | ${cell(row.exhaustive)} |`);
  (results.strategies as unknown[]).push(row);
}
say('');
const LONG = Number(process.env.BENCH_LONG ?? 200_000);
const longTwin = 'spin-s4-correct.yaml';
if (LONG > 0 && twins.includes(longTwin)) {
  say(`## A long search: ${longTwin.replace('.yaml', '')}, ${LONG.toLocaleString('en-US')} executions (BENCH_LONG)`);
  say('');
  say('Rate since the previous mark and this process\'s memory (the bench process, earlier sections included) at each tenth.');
  say('');
  const long = longRun(parseScenario(readFileSync(join(twinDir, longTwin), 'utf8'), longTwin), LONG);
  for (const line of longTable(long.marks)) say(line);
  results.long = { scenario: longTwin, executions: LONG, complete: long.complete, marks: long.marks };
  say('');
}
say(`## --workers: wall time of the CLI, 1 against ${Math.max(2, cores)} workers`);
say('');
const ceiling = await parallelCeiling(cliBin, ['scenarios/b1-vfio-revoke-fixed.yaml']);
say(`This machine's ceiling: two single-worker checks side by side do ${ceiling}x the work of one alone (2.0 = two real cores).`);
say('');
say('| search | workers | wall ms | executions | speed-up |');
say('|---|---:|---:|---:|---:|');
// searches past the 2,000 executions that run unsplit (below that no worker starts)
const longDir = mkdtempSync(join(tmpdir(), 'dmabuf-bench-'));
const longer = (name: string, from: string, to: string) => {
  const f = join(longDir, `${name}.yaml`);
  writeFileSync(f, readFileSync(`scenarios/${name}.yaml`, 'utf8').replace(from, to));
  return f;
};
const workerTargets = [
  // dpor: the stateful search of these is not split (it runs whole, one scenario a worker)
  { name: 'b2-vfio-bookkeep-fixed, 2 transfers, dpor', args: ['--strategy', 'dpor', longer('b2-vfio-bookkeep-fixed', 'count: 1 }', 'count: 2 }')] },
  { name: 'b1-vfio-revoke-fixed, 3 transfers, dpor', args: ['--strategy', 'dpor', longer('b1-vfio-revoke-fixed', 'count: 2', 'count: 3')] },
  ...(twins.includes('spin-s1-correct.yaml') ? [{ name: 'spin-s1-correct, first 16,000 executions', args: ['--max-executions', '16000', join(twinDir, 'spin-s1-correct.yaml')] }] : []),
  { name: 'all bundled scenarios (whole scenarios a worker)', args: [] },
];
const wrows = workersRows(cliBin, workerTargets, Math.max(2, cores));
for (const r of wrows) say(`| ${r.target} | ${r.workers} | ${r.ms} | ${r.executions} | ${r.speedup} |`);
results.workers = { ceiling, rows: wrows };
mkdirSync(join('bench', 'results'), { recursive: true });
writeFileSync(join('bench', 'results', 'latest.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(join('bench', 'results', 'latest.md'), lines.join('\n') + '\n');
console.log('\nwritten: bench/results/latest.json, bench/results/latest.md');
