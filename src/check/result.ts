/** The result object of `check --json` (spec/scenario-format.md §5). Fields may be added, never renamed. */
import type { EventRole } from '../sim/op.ts';
import type { PropertyId } from '../sim/violation.ts';
import type { ScenarioSize } from './reduce.ts';
import type { Story } from './story.ts';

export interface TraceEntry {
  readonly seq: number;
  readonly thread: string;
  readonly event: string;
  readonly detail?: string;
  readonly mark?: string;
  /** what the event is to a reader (sim/op.ts EventRole); absent for an ordinary step */
  readonly role?: EventRole;
}

export interface ViolationResult {
  readonly property: PropertyId;
  readonly message: string;
  readonly rule: string;
  readonly schedule: string;
  /** seq of the event that broke the rule, 0 when found at the end of the execution */
  readonly seq: number;
  readonly thread: string;
  readonly trace: readonly TraceEntry[];
  /** the story view's rows and events (check/story.ts); absent in results of older versions */
  readonly story?: Story;
  /** counterexample size before and after shrinking */
  readonly shrunk?: { readonly before: { steps: number; switches: number }; readonly after: { steps: number; switches: number } };
  /**
   * a smaller scenario that shows the same property (check/reduce.ts): what changed, its
   * size before and after, and the scenario as YAML the loader accepts
   */
  readonly reduced?: {
    readonly changes: string[]; readonly threads: number; readonly transfers: number; readonly executions: number;
    readonly before?: ScenarioSize; readonly after?: ScenarioSize; readonly yaml?: string;
  };
}

/**
 * Backtrack choices the dpor search added for races on `object` between an op labelled
 * `first` of thread `firstThread` and a later one labelled `second` of `secondThread`.
 * `how`: 'waiting' when the second thread was found waiting in its op, 'disabled' when the
 * first step disabled it; absent for a race of two events.
 */
export interface RaceCount {
  readonly object: string;
  readonly first: string;
  readonly firstThread: string;
  readonly second: string;
  readonly secondThread: string;
  readonly how?: 'waiting' | 'disabled';
  readonly choices: number;
}

/** What identifies a race pair: everything but the count. */
export function raceKey(r: RaceCount): string {
  return `${r.object}\t${r.first}\t${r.firstThread}\t${r.second}\t${r.secondThread}\t${r.how ?? ''}`;
}

/** Sums race counts (of shards, or of one search) and sorts them, most choices first. */
export function sumRaces(lists: readonly (readonly RaceCount[])[]): RaceCount[] {
  const by = new Map<string, RaceCount>();
  for (const list of lists) {
    for (const r of list) {
      const key = raceKey(r);
      const had = by.get(key);
      by.set(key, had ? { ...had, choices: had.choices + r.choices } : r);
    }
  }
  return [...by.values()].sort((a, b) => b.choices - a.choices || (raceKey(a) < raceKey(b) ? -1 : raceKey(a) > raceKey(b) ? 1 : 0));
}

/** A property a search saw, with the first execution that showed it (a replay token). */
export interface SeenProperty {
  readonly property: PropertyId;
  readonly rule: string;
  readonly message: string;
  readonly schedule: string;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly file: string;
  readonly verdict: 'safe' | 'violation' | 'error';
  readonly complete: boolean;
  readonly expected: { readonly verdict: 'safe' | 'violation'; readonly property?: PropertyId | PropertyId[] } | null;
  readonly ok: boolean;
  readonly violation?: ViolationResult;
  readonly violations: PropertyId[];
  /** every property of `violations` with the first execution that showed it (its schedule token) */
  readonly seen?: SeenProperty[];
  readonly errors?: string[];
  /** `check --shard index/count` (1-based): this result covers that shard only; `merge` combines them */
  readonly shard?: { readonly index: number; readonly count: number; readonly hash: string };
  readonly stats: {
    executions: number; redundant: number; maxDepth: number; elapsedMs: number; strategy: string; sleepBlocked: number;
    /** time from the start of the search to the execution that showed the wanted violation */
    firstViolationMs?: number;
    /** pct runs before the systematic search (counted in executions, not audited) */
    prepass?: number;
    /** the search ran as this many shards (`--workers`, `merge`); redundant is summed per shard */
    shards?: number;
    /**
     * `check --symmetry`: the classes of identical importers (ids; empty: none, no reduction)
     * and the prefixes dropped as images of explored ones
     */
    symmetry?: { importers: string[][]; images: number };
    /** `check --count`: the search went on past violations (complete: executions = classes) */
    counted?: boolean;
    /** `check --races`: the races that added backtrack choices, by object and ops, most first */
    races?: RaceCount[];
    /**
     * The audit outgrew its exact memory (audit.ts HbAudit) after `from` executions and went
     * on checking a `rate` fraction of them for repeats; absent: every execution was checked
     */
    auditSample?: { from: number; rate: number };
    /**
     * the stateful search (`--strategy stateful`): distinct states stored, transactions
     * run, the probability that fingerprinting merged two states (0 with `--exact`), and the threads
     * that searched (more than 1 when `--workers` helpers joined one search); with
     * `--symmetry`, `renamings`: how many renamings of identical importers a state was stored under
     */
    stateful?: { states: number; transitions: number; omissionProbability: number; exact: boolean; workers: number; renamings?: number };
  };
}

export interface CheckOutput {
  readonly version: string;
  readonly results: ScenarioResult[];
  readonly summary: { scenarios: number; ok: number; failed: number; elapsedMs: number };
}

export const VERSION = '0.1.0';
