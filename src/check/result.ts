/** The result object of `check --json` (spec/scenario-format.md §5). Fields may be added, never renamed. */
import type { PropertyId } from '../sim/violation.ts';

export interface TraceEntry {
  readonly seq: number;
  readonly thread: string;
  readonly event: string;
  readonly detail?: string;
  readonly mark?: string;
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
  /** counterexample size before and after shrinking */
  readonly shrunk?: { readonly before: { steps: number; switches: number }; readonly after: { steps: number; switches: number } };
  /** with --reduce: a smaller scenario that shows the same property (check/reduce.ts) */
  readonly reduced?: { readonly changes: string[]; readonly threads: number; readonly transfers: number; readonly executions: number };
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
  };
}

export interface CheckOutput {
  readonly version: string;
  readonly results: ScenarioResult[];
  readonly summary: { scenarios: number; ok: number; failed: number; elapsedMs: number };
}

export const VERSION = '0.1.0';
