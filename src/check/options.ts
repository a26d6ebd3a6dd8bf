/**
 * The options of one scenario's check, with every default in one place (`CHECK_DEFAULTS`),
 * and the combinations that make no sense, said once for the CLI and the library alike.
 */
import type { Scenario } from '../scenario/types.ts';
import type { StatefulHelpers } from './stateful-run.ts';
import { STRATEGIES, type SearchStrategy, type StrategyName } from './strategy.ts';

export interface CheckOptions {
  readonly strategy?: StrategyName;
  readonly maxExecutions?: number;
  readonly preemptions?: number;
  /** seconds */
  readonly timeLimit?: number;
  readonly seed?: number;
  readonly runs?: number;
  /** pct bug depth */
  readonly depth?: number;
  /** shrink counterexamples (default true) */
  readonly shrink?: boolean;
  /**
   * also try smaller scenarios (fewer threads, importers, steps, transfers) that show the
   * same property (reduce.ts), each candidate searched with `reduceBudget` executions;
   * `unexpected`: only for a counterexample the scenario did not expect (a failed check)
   */
  readonly reduce?: boolean | 'unexpected';
  readonly reduceBudget?: number;
  /** pct runs before a systematic search, to meet shallow bugs fast (0 = none) */
  readonly prepass?: number;
  /**
   * explore shard `index` (0-based) of `count` (explore.ts `Shard`); the pct pre-pass runs
   * in shard 0 only. With `units`, a counter in shared memory, the shards claim units as
   * they go (`--workers`) instead of taking every count-th.
   */
  readonly shard?: { readonly index: number; readonly count: number; readonly units?: Int32Array };
  /** run the pct pre-pass only (the caller splits the systematic search and merges, merge.ts) */
  readonly prepassOnly?: boolean;
  /** polled between executions: true stops the search (a worker for another shard found the bug) */
  readonly cancelled?: () => boolean;
  /**
   * explore the whole space, past every violation, with no pct pre-pass: a complete dpor
   * search's `executions` is then the number of equivalence classes (`stats.counted`);
   * the counterexample shown is the first found, `violations` every property the space holds
   */
  readonly count?: boolean;
  /**
   * dpor: explore one execution of each orbit under renaming identical importers
   * (sim/symmetry.ts); `stats.symmetry` names the identical importers and counts the
   * prefixes dropped as images. The stateful search stores one state of each orbit
   * (check/frame-symmetry.ts) unless this is false (`--no-symmetry`); undefined: the
   * strategy's default (on for stateful, off for dpor)
   */
  readonly symmetry?: boolean;
  /** count the races that add backtrack choices (`stats.races`, dpor only) */
  readonly races?: boolean;
  /** the stateful search stores whole states and compares them (tests; no fingerprint can collide) */
  readonly exact?: boolean;
  /** the stateful search stops after this many states (incomplete) */
  readonly maxStates?: number;
  /**
   * worker threads that join a stateful search once it is large (stateful-run.ts
   * `StatefulHelpers`; check/parallel.ts `statefulHelpers` says how many)
   */
  readonly helpers?: StatefulHelpers;
  /**
   * called after every execution (progress display); a stateful search also calls it about
   * ten times a second with the states stored so far (`states`)
   */
  readonly progress?: Progress;
}

/** A search's progress: executions (replays, for a stateful search), current depth, properties seen, and the states stored by a stateful search. */
export type Progress = (executions: number, depth: number, violations: number, states?: number) => void;

/** What a worker thread needs: the options that survive structured cloning. */
export type JobOptions = Omit<CheckOptions, 'progress' | 'cancelled'>;

/**
 * The defaults. `reduceBudget` is the thorough budget (`--reduce`); `quickReduceBudget`
 * the brief one the CLI gives the reduction of an unexpected counterexample by default.
 */
export const CHECK_DEFAULTS = {
  // the stateful search where the data world models the scenario and no dpor option is
  // asked for (strategyOf); dpor for the rest (resolveSearch)
  strategy: 'stateful',
  seed: 1,
  /** executions of a sampling strategy when neither --runs nor the scenario's bound says */
  runs: 1000,
  depth: 3,
  prepass: 64,
  shrink: true,
  reduceBudget: 500,
  quickReduceBudget: 64,
} as const satisfies { strategy: StrategyName } & Record<string, unknown>;

/** The options of one search with the defaults and the scenario's own bounds applied. */
export interface ResolvedSearch {
  readonly strategy: SearchStrategy;
  readonly seed: number;
  readonly depth: number;
  /** executions of a sampling strategy */
  readonly runs: number;
  readonly maxExecutions: number | undefined;
  readonly preemptions: number | undefined;
}

/**
 * The record of the strategy `opts` asks for. Without one, the default, unless an option
 * of the dpor search is given (shards, symmetry, races, a preemption or execution bound,
 * class counts):
 * those keep meaning what they meant before the stateful search became the default.
 */
export function strategyOf(opts: Pick<CheckOptions, 'strategy' | 'shard' | 'symmetry' | 'races' | 'preemptions' | 'count' | 'maxExecutions'>): SearchStrategy {
  if (opts.strategy) return STRATEGIES[opts.strategy];
  const dporOnly = opts.shard !== undefined || opts.symmetry === true || opts.races === true || opts.preemptions !== undefined || opts.count === true || opts.maxExecutions !== undefined;
  return dporOnly ? STRATEGIES.dpor : STRATEGIES[CHECK_DEFAULTS.strategy];
}

/**
 * The strategy that searches `sc` under `opts`: one that cannot search it (stateful: a
 * driver not yet in the data world) gives way to dpor, and so does the default when the
 * scenario's `check:` bounds a dpor search (a preemption or execution bound).
 */
export function strategyFor(sc: Scenario, opts: CheckOptions): SearchStrategy {
  const bounded = opts.strategy === undefined && (sc.check.preemptions !== undefined || sc.check.maxExecutions !== undefined);
  const s = bounded ? STRATEGIES.dpor : strategyOf(opts);
  return s.supports(sc) ? s : STRATEGIES.dpor;
}

/** Applies CHECK_DEFAULTS and the scenario's `check:` bounds to `opts`. */
export function resolveSearch(sc: Scenario, opts: CheckOptions): ResolvedSearch {
  return {
    strategy: strategyFor(sc, opts),
    seed: opts.seed ?? CHECK_DEFAULTS.seed,
    depth: opts.depth ?? CHECK_DEFAULTS.depth,
    runs: opts.runs ?? opts.maxExecutions ?? sc.check.maxExecutions ?? CHECK_DEFAULTS.runs,
    maxExecutions: opts.maxExecutions ?? sc.check.maxExecutions,
    preemptions: opts.preemptions ?? sc.check.preemptions,
  };
}

/**
 * Why `opts` (with `workers` worker threads asked for) is not a valid combination, or
 * null. The CLI shows the message as a usage error (exit 2).
 */
export function optionsProblem(opts: CheckOptions, workers?: number): string | null {
  const s = strategyOf(opts);
  if (opts.shard && !s.shardable) {
    return s.covers === null
      ? `--shard splits the ${namesWhere((x) => x.shardable)} searches; for ${namesWhere((x) => x.covers === null)} give each job its own --seed`
      : `--shard splits the ${namesWhere((x) => x.shardable)} searches; a ${s.name} search is not split: ${s.shards}`;
  }
  if (opts.symmetry && !s.symmetry) return `--symmetry is a reduction of the ${namesWhere((x) => x.symmetry)} search`;
  if (opts.count && !s.covers) return `--count counts the classes of a dpor search (the schedules of exhaustive, the states of stateful); ${namesWhere((x) => !x.covers)} sample`;
  if ((opts.exact || opts.maxStates !== undefined) && s.covers !== 'states') return `--exact and --max-states are options of the ${namesWhere((x) => x.covers === 'states')} search`;
  if (opts.shard && workers !== undefined && workers > 1) return '--shard and --workers > 1 do not combine: a shard runs in one process';
  return null;
}

/** `dpor and exhaustive`, `a, b and c`: the strategies that `p` holds of, for messages */
const namesWhere = (p: (s: SearchStrategy) => boolean) => {
  const names = Object.values(STRATEGIES).filter(p).map((s) => s.name);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names.join('');
};
