/**
 * `dmabuf-lab fuzz`: scenario synthesis from the command line. Generates scenarios for the
 * named drivers (check/fuzz-target.ts), checks each, writes every distinct finding as a
 * scenario file with its replay token, and exits 1 when something was found, 0 when not,
 * 2 on bad input. The time limit is read here, outside the model: a run bounded by
 * --time-limit depends on the machine's speed, one bounded by --max-scenarios does not.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fuzz, FuzzSession, type FuzzConfig, type FuzzFinding } from '../check/fuzz.ts';
import { resolveTargets, type FuzzRequest } from '../check/fuzz-target.ts';
import { VERSION } from '../check/result.ts';
import type { GenTarget } from '../scenario/generate.ts';
import type { Scenario } from '../scenario/types.ts';
import { UsageError } from './check-cmd.ts';
import { fuzzProgress, type FuzzProgress } from './progress.ts';
import { CheckPool } from './pool.ts';

export interface FuzzFlags {
  exporter?: string;
  importer?: string[];
  kernel?: string;
  seed?: number;
  timeLimit?: number;
  maxScenarios?: number;
  budget?: number;
  out?: string;
  json?: boolean;
  workers?: number;
  all?: boolean;
  first?: boolean;
}

export const FUZZ_DEFAULT_TIME = 60;

/** What one run (one subject under --all) gives. */
export interface FuzzRun {
  readonly scenarios: number;
  readonly executions: number;
  readonly found: readonly FuzzFinding[];
  readonly elapsedMs: number;
  /** scenarios checked and ms elapsed when the first finding's scenario had been checked */
  readonly first?: { readonly scenarios: number; readonly ms: number };
}

/** Jobs one pool can take in a run (a cancel flag each: 4 bytes). */
const MAX_POOL_JOBS = 1 << 20;

export function targetsOf(req: FuzzRequest): GenTarget[] {
  const t = resolveTargets(req);
  if (!t.ok) throw new UsageError(`fuzz: ${t.error}`);
  return t.value;
}

function writeFinding(f: FuzzFinding): void {
  mkdirSync(join(f.scenario, '..'), { recursive: true });
  writeFileSync(f.scenario, f.text);
  writeFileSync(f.scenario.replace(/\.yaml$/, '.token'), f.schedule + '\n');
}

interface Hooks {
  readonly stop: () => boolean;
  readonly onChecked: (done: number, hit: boolean) => void;
  readonly progress: FuzzProgress | null;
}

/**
 * Scenarios checked on a pool of `workers`, a window of 2 x workers at a time, taken back
 * in index order: the findings and their numbering do not depend on which worker finished
 * first. Generation, reduction and writing stay on this thread.
 */
async function fuzzOnPool(cfg: FuzzConfig, flags: FuzzFlags, workers: number, h: Hooks): Promise<FuzzSession> {
  const s = new FuzzSession(cfg);
  const max = Math.min(flags.maxScenarios ?? MAX_POOL_JOBS, MAX_POOL_JOBS);
  const pool = new CheckPool(workers, max);
  const window: ({ i: number; sc: Scenario } & ReturnType<CheckPool['submit']>)[] = [];
  let next = 0;
  const fill = () => {
    while (window.length < 2 * workers && next < max && !h.stop()) {
      const sc = s.generate(next);
      window.push({ i: next, sc, ...pool.submit({ sc, opts: s.checkOptions(next) }) });
      next++;
    }
  };
  try {
    for (fill(); window.length; fill()) {
      const w = window.shift()!;
      const r = await w.result;
      if (!r) continue;
      h.onChecked(w.i + 1, r.violation !== undefined);
      const f = s.consider(w.i, w.sc, r);
      h.progress?.update(s.scenarios, s.executions, s.found.length);
      if (f) writeFinding(f);
      if ((f && flags.first) || h.stop()) {
        for (const x of window) pool.cancel(x.id);
        break;
      }
    }
  } finally {
    await pool.close();
  }
  return s;
}

/** One fuzz run (one subject under --all); writes each finding as it comes. */
export async function runFuzz(cfg: FuzzConfig, flags: FuzzFlags, progress: FuzzProgress | null): Promise<FuzzRun> {
  const t0 = performance.now();
  const limit = flags.timeLimit ?? (flags.maxScenarios === undefined ? FUZZ_DEFAULT_TIME : undefined);
  let first: FuzzRun['first'];
  const h: Hooks = {
    stop: () => limit !== undefined && performance.now() - t0 >= limit * 1000,
    onChecked: (done, hit) => { if (hit && !first) first = { scenarios: done, ms: Math.round(performance.now() - t0) }; },
    progress,
  };
  const workers = flags.workers ?? 1;
  const s = workers > 1
    ? await fuzzOnPool(cfg, flags, workers, h)
    : fuzz(cfg, {
      maxScenarios: flags.maxScenarios, stop: h.stop, first: flags.first, onFinding: writeFinding,
      onChecked: (i, r) => h.onChecked(i + 1, r.violation !== undefined),
      onScenario: (done, executions, found) => progress?.update(done, executions, found),
    });
  return { scenarios: s.scenarios, executions: s.executions, found: s.found, elapsedMs: Math.round(performance.now() - t0), ...(first ? { first } : {}) };
}

/** The `--json` object (README "Scenario synthesis"): fields may be added, never renamed. */
export function fuzzJson(seed: number, run: FuzzRun) {
  return {
    version: VERSION, seed, scenarios: run.scenarios, executions: run.executions, elapsedMs: run.elapsedMs,
    ...(run.first ? { first: run.first } : {}),
    found: run.found.map((f) => ({
      property: f.property, rule: f.rule, scenario: f.scenario, schedule: f.schedule, variant: f.variant, message: f.message,
      reproduced: f.reproduced, index: f.index, size: f.size, reduced: f.reduced,
    })),
  };
}

function printRun(run: FuzzRun, seed: number): void {
  for (const f of run.found) {
    process.stdout.write(`found ${f.property} (${f.rule}) in ${f.variant}, generated scenario #${f.index}: ${f.message}\n`);
    process.stdout.write(`     written ${f.scenario} (${f.size.importers} importer(s), ${f.size.threads} thread(s), ${f.size.steps} step(s), ${f.size.transfers} transfer(s))${f.reproduced ? '' : ' -- check did NOT reproduce it within 4000 executions'}\n`);
    process.stdout.write(`     schedule ${f.schedule}\n`);
  }
  const first = run.first ? `, first after ${run.first.scenarios} scenario(s), ${run.first.ms} ms` : '';
  process.stdout.write(`${run.scenarios} scenario(s), ${run.executions} executions, ${run.found.length} finding(s)${first} (seed ${seed}, ${run.elapsedMs} ms)\n`);
}

export async function cmdFuzz(flags: FuzzFlags): Promise<number> {
  const seed = flags.seed ?? 1;
  const targets = targetsOf({ exporter: flags.exporter, importers: flags.importer, kernel: flags.kernel });
  const progress = flags.json ? null : fuzzProgress('fuzz');
  const run = await runFuzz({ seed, targets, outDir: flags.out ?? 'fuzz-findings', budget: flags.budget }, flags, progress);
  progress?.stop();
  if (flags.json) process.stdout.write(JSON.stringify(fuzzJson(seed, run), null, 2) + '\n');
  else printRun(run, seed);
  return run.found.length ? 1 : 0;
}
