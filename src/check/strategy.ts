/**
 * The search strategies `check --strategy` offers, each one record: what a complete search
 * of it covers, whether it takes shards, symmetry and the audit, and how it runs. Everything
 * that used to compare strategy names (check.ts, the CLI's usage checks and result lines,
 * the parallel policy) asks the record instead.
 */
import type { Runtime } from '../sim/runtime.ts';
import { framePorted } from '../scenario/frame-world.ts';
import type { Scenario } from '../scenario/types.ts';
import { explore, type ExploreStats, type Shard } from './explore.ts';
import { HANDOVER_AFTER, statefulRun, type StatefulHelpers } from './stateful-run.ts';
import type { RaceRecorder } from './races.ts';
import { sample } from './sample.ts';

export const STRATEGY_NAMES = ['dpor', 'exhaustive', 'pct', 'random', 'stateful'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** What one search run needs beyond the world builder; built by check.ts. */
export interface SearchRun {
  readonly seed: number;
  readonly depth: number;
  readonly runs: number;
  readonly maxExecutions: number | undefined;
  readonly preemptions: number | undefined;
  /** performance.now() value after which the search stops, incomplete */
  readonly deadline: number | undefined;
  readonly shard: Shard | undefined;
  readonly cancelled: (() => boolean) | undefined;
  readonly onRace: RaceRecorder | undefined;
  readonly scenario: Scenario;
  /** `--count`: explore past every violation */
  readonly count: boolean;
  /** `--exact`: the stateful search stores whole states */
  readonly exact: boolean;
  /** `--max-states`: the stateful search's bound */
  readonly maxStates: number | undefined;
  /** threads that may join the stateful search (`--workers`) */
  readonly helpers: StatefulHelpers | undefined;
  /** the stateful search's progress: states stored so far */
  readonly onStates: ((states: number) => void) | undefined;
}

export interface SearchStrategy {
  readonly name: StrategyName;
  /**
   * What a complete search covers: one execution of every equivalence class, every
   * schedule, every reachable state, or null for a sampler (never complete, proves nothing)
   */
  readonly covers: 'classes' | 'schedules' | 'states' | null;
  /** whether it can search scenario `sc` (the stateful search needs every driver of it ported to the data world) */
  readonly supports: (sc: Scenario) => boolean;
  /** `--shard`/`--workers` split it: the shards' union is the whole search */
  readonly shardable: boolean;
  /** `--symmetry` reduces it */
  readonly symmetry: boolean;
  /** the reduction is on unless `--no-symmetry` (the stateful search: its renamings are audited, test/frame-symmetry.test.ts) */
  readonly symmetryByDefault: boolean;
  /** the audit's redundant count tests its reduction (a class explored twice is a bug) */
  readonly audited: boolean;
  /** what splitting it gives, as `--help` and the README say it */
  readonly shards: string;
  /** runs the search; `build(symmetric)` makes a fresh world */
  run(build: (symmetric: boolean) => Runtime, symmetric: boolean, r: SearchRun, onExecution: (rt: Runtime, schedule: number[]) => boolean): ExploreStats;
}

const always = () => true;

function systematic(name: 'dpor' | 'exhaustive', covers: 'classes' | 'schedules', shards: string): SearchStrategy {
  return {
    name, covers, shardable: true, symmetry: name === 'dpor', symmetryByDefault: false, audited: name === 'dpor', shards, supports: always,
    run: (build, symmetric, r, onExecution) => explore(() => build(symmetric), {
      strategy: name, maxExecutions: r.maxExecutions, preemptions: r.preemptions, deadline: r.deadline,
      shard: r.shard, cancelled: r.cancelled, onRace: name === 'dpor' ? r.onRace : undefined,
    }, onExecution),
  };
}

function sampling(name: 'pct' | 'random'): SearchStrategy {
  return {
    name, covers: null, shardable: false, symmetry: false, symmetryByDefault: false, audited: false, supports: always,
    shards: 'never split: each job samples on its own (give each its own --seed)',
    run: (build, _symmetric, r, onExecution) => sample(() => build(false), { strategy: name, runs: r.runs, seed: r.seed, depth: r.depth, deadline: r.deadline }, onExecution),
  };
}

export const STRATEGIES: Readonly<Record<StrategyName, SearchStrategy>> = {
  dpor: systematic('dpor', 'classes', 'disjoint parts of one search, together every class once (merge adds the counts)'),
  exhaustive: systematic('exhaustive', 'schedules', 'disjoint parts of one search, together every schedule once'),
  pct: sampling('pct'),
  random: sampling('random'),
  stateful: {
    name: 'stateful', covers: 'states', shardable: false, symmetry: true, symmetryByDefault: true, audited: false, supports: framePorted,
    shards: `never split into shards (prefix shards revisit each other's states); workers no scenario needs join one search past ${HANDOVER_AFTER.toLocaleString('en-US')} states, sharing its visited set and stealing unexplored stack entries from each other`,
    run: (_build, symmetric, r, onExecution) => statefulRun(r.scenario, { ...r, symmetry: symmetric }, onExecution),
  },
};

/** The record of a name read back from a result (`stats.strategy`); undefined for an unknown one. */
export function strategyNamed(name: string): SearchStrategy | undefined {
  return (STRATEGY_NAMES as readonly string[]).includes(name) ? STRATEGIES[name as StrategyName] : undefined;
}
