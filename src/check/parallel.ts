/**
 * The parallel policy of `check --workers N`: when a scenario's search is split, into how
 * many parts, and how the parts share the work and end each other. The worker threads
 * themselves are the CLI's (cli/pool.ts); this file only needs a queue of jobs that run
 * `checkScenario` somewhere and can be cancelled.
 */
import { performance } from 'node:perf_hooks';
import type { Scenario } from '../scenario/types.ts';
import { checkScenario } from './check.ts';
import { foundWanted, mergeShards } from './merge.ts';
import type { JobOptions, Progress } from './options.ts';
import type { ScenarioResult } from './result.ts';
import type { SearchStrategy } from './strategy.ts';

export interface Job {
  readonly sc: Scenario;
  readonly opts: JobOptions;
  readonly onProgress?: Progress;
}

/** Runs jobs (each `checkScenario(job.sc, job.opts)`) in the order given. */
export interface JobQueue {
  /** resolves to the job's result, or null when it was cancelled before it started */
  submit(job: Job): { id: number; result: Promise<ScenarioResult | null> };
  /** a queued job never starts, a running one ends after its current execution */
  cancel(id: number): void;
}

/**
 * How many parts each scenario's search is split into. Whole scenarios keep every worker
 * busy without the cost of splitting (about 15% more prefixes from the fully expanded top
 * of the tree): a search is split only when there are fewer scenarios than workers, and
 * only a strategy whose parts add up to the whole search (a sampler is never split).
 */
export function shardsPerScenario(strategy: SearchStrategy, scenarios: number, workers: number): number {
  return !strategy.shardable || scenarios >= workers ? 1 : workers;
}

/**
 * How many worker threads join each scenario's stateful search (stateful-handover.ts): the
 * workers the scenarios leave idle, shared out. None when every worker has a scenario of
 * its own, and none for a strategy that does not store states (the others split by shards).
 */
export function statefulHelpers(strategy: SearchStrategy, scenarios: number, workers: number): number {
  return strategy.covers === 'states' && scenarios > 0 && scenarios < workers ? Math.floor(workers / scenarios) - 1 : 0;
}

/** Executions a search runs unsplit before it is worth the workers' start and split. */
const SPLIT_AFTER = 2000;

/**
 * One scenario on the pool. With `shards` = 1 it is one job (whole scenarios a worker).
 * Otherwise the pct pre-pass and the first SPLIT_AFTER
 * executions run here, unsplit: most searches end there and never pay for starting
 * workers and for the split (explore.ts `Shard`). A longer search starts again as
 * `shards` jobs that claim units of it from a shared counter, so that a worker that
 * finishes early takes over work; the unsplit attempt is dropped (its executions are not
 * counted, its time is). When one job finds what the scenario looks for, the others are
 * cancelled. The verdict is the same on every run; which counterexample is shown can
 * depend on which worker got there first (--workers 1 fixes it).
 */
export function checkOnPool(pool: JobQueue, sc: Scenario, opts: JobOptions, shards: number) {
  const t0 = performance.now();
  const progress: { show?: Progress } = {};
  const settled = (parts: ScenarioResult[]) => ({ progress, result: Promise.resolve(mergeShards(parts, Math.round(performance.now() - t0))) });
  if (shards === 1) {
    const job = pool.submit({ sc, opts, onProgress: (e, d, v, st) => progress.show?.(e, d, v, st) });
    return { progress, result: job.result.then((r) => r!) };
  }
  // under --count a hit ends nothing: every part runs to its end
  const ends = (r: ScenarioResult) => !opts.count && foundWanted(r);
  const pre = checkScenario(sc, { ...opts, prepassOnly: true });
  if (ends(pre)) return settled([pre]);
  const cap = opts.maxExecutions;
  const trial = checkScenario(sc, { ...opts, prepass: 0, maxExecutions: Math.min(SPLIT_AFTER, cap ?? SPLIT_AFTER) });
  if (trial.complete || ends(trial) || (cap !== undefined && cap <= SPLIT_AFTER)) return settled([pre, trial]);
  const counts = new Array<number>(shards).fill(0);
  const units = new Int32Array(new SharedArrayBuffer(4));
  const left = opts.timeLimit !== undefined ? { timeLimit: Math.max(0.001, opts.timeLimit - (performance.now() - t0) / 1000) } : {};
  const jobs = Array.from({ length: shards }, (_, index) => pool.submit({
    sc,
    opts: { ...opts, ...left, prepass: 0, shard: { index, count: shards, units }, ...(cap ? { maxExecutions: Math.ceil(cap / shards) } : {}) },
    onProgress: (e, d, v) => { counts[index] = e; progress.show?.(counts.reduce((a, b) => a + b, 0), d, v); },
  }));
  const result = (async () => {
    const parts = await Promise.all(jobs.map(async (job, index) => {
      const r = await job.result;
      if (r && ends(r)) jobs.forEach((other, i) => { if (i !== index) pool.cancel(other.id); });
      return r;
    }));
    return mergeShards([pre, ...parts.filter((r): r is ScenarioResult => r !== null)], Math.round(performance.now() - t0));
  })();
  return { progress, result };
}

