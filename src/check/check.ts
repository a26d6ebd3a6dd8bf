/**
 * Checking one scenario: explore its worlds and meet the expectation (contract §4).
 * With `expect: violation X` the search runs until an execution records X; otherwise it
 * stops at the first execution that records any violation.
 */
import { performance } from 'node:perf_hooks';
import { buildWorld } from '../scenario/world.ts';
import type { Scenario } from '../scenario/types.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { PropertyId, Violation } from '../sim/violation.ts';
import { HbAudit } from './audit.ts';
import { explore, type Strategy } from './explore.ts';
import type { ScenarioResult, TraceEntry, ViolationResult } from './result.ts';
import { formatToken } from './token.ts';

export interface CheckOptions {
  readonly strategy?: Strategy;
  readonly maxExecutions?: number;
  readonly preemptions?: number;
  /** called after every execution (progress display) */
  readonly progress?: (executions: number, depth: number, violations: number) => void;
}

/** The trace of a finished world, as the JSON result lists it. */
export function traceOf(rt: Runtime): TraceEntry[] {
  return rt.events.map((e, i) => ({
    seq: i + 1, thread: rt.threads[e.tid]!.name, event: e.op.label,
    ...(e.op.detail !== undefined ? { detail: e.op.detail } : {}),
    ...(e.op.mark !== undefined ? { mark: e.op.mark } : {}),
  }));
}

export function violationResult(sc: Scenario, rt: Runtime, v: Violation, schedule: readonly number[]): ViolationResult {
  return {
    property: v.property, message: v.message, rule: v.rule, schedule: formatToken(sc.file, sc.hash, schedule),
    seq: v.event + 1, thread: v.thread, trace: traceOf(rt),
  };
}

export function checkScenario(sc: Scenario, opts: CheckOptions = {}): ScenarioResult {
  const t0 = performance.now();
  const wanted = sc.expect?.verdict === 'violation' ? sc.expect.properties : null;
  const seen = new Set<PropertyId>();
  let shown: ViolationResult | undefined;
  let found = false;
  const audit = new HbAudit();
  let redundant = 0;
  const stats = explore(
    () => buildWorld(sc).rt,
    {
      strategy: opts.strategy ?? 'dpor',
      maxExecutions: opts.maxExecutions ?? sc.check.maxExecutions,
      preemptions: opts.preemptions ?? sc.check.preemptions,
    },
    (rt, schedule) => {
      if (!audit.add(rt)) redundant++;
      for (const v of rt.violations) seen.add(v.property);
      opts.progress?.(0, schedule.length, seen.size);
      if (rt.violations.length === 0) return false;
      if (wanted) {
        const hit = rt.violations.find((v) => wanted.includes(v.property));
        if (!hit) {
          shown ??= violationResult(sc, rt, rt.violations[0]!, schedule);
          return false;
        }
        shown = violationResult(sc, rt, hit, schedule);
        found = true;
        return true;
      }
      shown = violationResult(sc, rt, rt.violations[0]!, schedule);
      found = true;
      return true;
    },
  );
  const verdict = seen.size > 0 ? 'violation' : 'safe';
  const ok = wanted ? found : verdict === 'safe';
  const expected = sc.expect
    ? { verdict: sc.expect.verdict, ...(sc.expect.properties.length ? { property: sc.expect.properties.length === 1 ? sc.expect.properties[0]! : [...sc.expect.properties] } : {}) }
    : null;
  return {
    scenario: sc.name, file: sc.file, verdict, complete: stats.complete, expected, ok,
    ...(shown ? { violation: shown } : {}),
    violations: [...seen].sort(),
    stats: {
      executions: stats.executions, redundant, maxDepth: stats.maxDepth,
      elapsedMs: Math.round(performance.now() - t0), strategy: opts.strategy ?? 'dpor', sleepBlocked: stats.sleepBlocked,
    },
  };
}
