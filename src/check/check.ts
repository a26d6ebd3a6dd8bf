/**
 * Checking one scenario: explore its worlds and meet the expectation (contract §4).
 * With `expect: violation X` the search runs until an execution records X; otherwise it
 * stops at the first execution that records any violation. A violation shown only by a
 * prefetcher's speculative read lets it go on a little for one by a committed access. A found counterexample is
 * shrunk (shrink.ts) before it is reported.
 */
import { performance } from 'node:perf_hooks';
import { buildWorld } from '../scenario/world.ts';
import type { Scenario } from '../scenario/types.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { PropertyId, Violation } from '../sim/violation.ts';
import { HbAudit } from './audit.ts';
import { shardDepth, type ExploreStats } from './explore.ts';
import { CHECK_DEFAULTS, resolveSearch, type CheckOptions } from './options.ts';
import { raceKey, sumRaces, type RaceCount, type ScenarioResult, type SeenProperty, type TraceEntry, type ViolationResult } from './result.ts';
import type { RaceRecorder } from './races.ts';
import { sample } from './sample.ts';
import { reduceScenario } from './reduce.ts';
import { scheduleSize, shrinkSchedule } from './shrink.ts';
import { storyOf } from './story.ts';
import { formatToken } from './token.ts';
import type { StatefulStats } from './stateful-run.ts';

const isStateful = (s: ExploreStats): s is StatefulStats => 'states' in s;

export type { CheckOptions } from './options.ts';
export type { StrategyName } from './strategy.ts';

/** The trace of a finished world, as the JSON result lists it. */
export function traceOf(rt: Runtime): TraceEntry[] {
  return rt.events.map((e, i) => ({
    seq: i + 1, thread: rt.threads[e.tid]!.name, event: e.op.label,
    ...(e.op.detail !== undefined ? { detail: e.op.detail } : {}),
    ...(e.op.mark !== undefined ? { mark: e.op.mark } : {}),
    ...(e.op.role !== undefined ? { role: e.op.role } : {}),
  }));
}

export function violationResult(sc: Scenario, rt: Runtime, v: Violation, schedule: readonly number[]): ViolationResult {
  return {
    property: v.property, message: v.message, rule: v.rule, schedule: formatToken(sc.file, sc.hash, schedule),
    seq: v.event + 1, thread: v.thread, trace: traceOf(rt), story: storyOf(rt, v),
  };
}

/** Whether violation `v` of `rt` is a prefetcher's speculative read. */
const isSpeculative = (rt: Runtime, v: Violation) => v.event >= 0 && rt.events[v.event]?.op.role === 'speculative';

/**
 * The violation a result leads with among `vs` (of one execution): a committed access
 * before a prefetcher's speculative read, which breaks P1 as well but is not what a reader
 * of the counterexample looks for first; otherwise the first recorded.
 */
export function headline(rt: Runtime, vs: readonly Violation[]): Violation | undefined {
  return vs.find((v) => !isSpeculative(rt, v)) ?? vs[0];
}

/** Executions a search goes on after a speculative-read hit, for a committed access. */
const SPECULATIVE_GRACE = 200;

export function checkScenario(sc: Scenario, opts: CheckOptions = {}): ScenarioResult {
  const t0 = performance.now();
  const search = resolveSearch(sc, opts);
  const { strategy } = search;
  const wanted = sc.expect?.verdict === 'violation' ? sc.expect.properties : null;
  /** every property seen, with the first execution that showed it (the "also seen" lines) */
  const seenAt = new Map<PropertyId, SeenProperty>();
  const audit = new HbAudit();
  let redundant = 0;
  let executions = 0;
  let prepassRuns = 0;
  type Found = { rt: Runtime; v: Violation; schedule: number[] };
  let hit: Found | null = null;
  let graceUsed = 0;
  let firstOther: Found | null = null;
  const symmetric = strategy.symmetry && (opts.symmetry ?? strategy.symmetryByDefault);
  const build = (symmetry = false) => {
    const rt = buildWorld(sc, { symmetry }).rt;
    if (opts.races && names.length === 0) names = rt.threads.map((t) => t.name);
    return rt;
  };
  /** A world the report will show: the explorer must not release it (Runtime.keep). */
  const kept = (rt: Runtime, v: Violation, schedule: number[]): Found => {
    rt.keep();
    return { rt, v, schedule };
  };
  /** Records one finished execution; true when it shows what the search looks for. */
  const consider = (rt: Runtime, schedule: number[]): boolean => {
    for (const v of rt.violations) {
      if (!seenAt.has(v.property)) seenAt.set(v.property, { property: v.property, rule: v.rule, message: v.message, schedule: formatToken(sc.file, sc.hash, schedule) });
    }
    opts.progress?.(executions + prepassRuns, schedule.length, seenAt.size);
    // a speculative read leads only when no committed access shows the property within
    // SPECULATIVE_GRACE more executions (the reader looks for the engine's DMA first)
    const graceOver = () => hit !== null && isSpeculative(hit.rt, hit.v) && !opts.count && ++graceUsed > SPECULATIVE_GRACE;
    if (rt.violations.length === 0) return graceOver();
    const v = headline(rt, wanted ? rt.violations.filter((x) => wanted.includes(x.property)) : rt.violations.filter((x) => x.property === rt.violations[0]!.property));
    if (!v) {
      firstOther ??= kept(rt, headline(rt, rt.violations)!, schedule);
      return graceOver();
    }
    if (!hit || (!isSpeculative(rt, v) && isSpeculative(hit.rt, hit.v))) hit = kept(rt, v, schedule);
    return isSpeculative(hit.rt, hit.v) ? graceOver() : !opts.count;
  };
  const onExecution = (rt: Runtime, schedule: number[]): boolean => {
    executions++;
    if (!audit.add(rt)) redundant++;
    return consider(rt, schedule);
  };
  const deadline = opts.timeLimit !== undefined ? t0 + opts.timeLimit * 1000 : undefined;
  const raceCounts = opts.races ? new Map<string, { -readonly [K in keyof RaceCount]: RaceCount[K] }>() : undefined;
  let names: string[] = [];
  const onRace: RaceRecorder | undefined = raceCounts && ((object, first, ta, second, tb, how) => {
    const r = { object, first: first.label, firstThread: names[ta]!, second: second.label, secondThread: names[tb]!, ...(how ? { how } : {}), choices: 1 };
    const key = raceKey(r);
    const had = raceCounts.get(key);
    if (had) had.choices++;
    else raceCounts.set(key, r);
  });
  // A short pct pass first: a bug of small depth shows within a few runs (Burckhardt et al.),
  // where depth-first search may reverse the decisive early choice only late. It proves
  // nothing, so the systematic search still runs unless the pass met what it looks for.
  // Its runs are not audited: the audit measures the systematic search alone.
  const units = opts.shard?.units;
  const shard = opts.shard && strategy.shardable
    ? { index: opts.shard.index, count: opts.shard.count, depth: shardDepth(opts.shard.count, units !== undefined), ...(units ? { claim: () => Atomics.add(units, 0, 1) } : {}) }
    : undefined;
  const prepass = !strategy.covers || opts.count || (shard && shard.index > 0) ? 0 : opts.prepass ?? CHECK_DEFAULTS.prepass;
  if (prepass > 0) {
    sample(build, { strategy: 'pct', runs: prepass, seed: search.seed, depth: search.depth, deadline }, (rt, schedule) => {
      prepassRuns++;
      return consider(rt, schedule);
    });
  }
  const stats: ExploreStats = hit || opts.prepassOnly
    ? { executions: 0, sleepBlocked: 0, maxDepth: 0, complete: true, symmetric: 0 }
    : strategy.run(build, symmetric, {
      ...search, deadline, shard, cancelled: opts.cancelled, onRace, scenario: sc, count: opts.count === true, exact: opts.exact === true, maxStates: opts.maxStates, helpers: opts.helpers,
      onStates: opts.progress && ((states) => opts.progress?.(executions + prepassRuns, 0, seenAt.size, states)),
    }, onExecution);
  const searchMs = performance.now() - t0;
  const found = hit as Found | null;
  const show = found ?? (firstOther as Found | null);
  let violation: ViolationResult | undefined;
  if (show) {
    const before = scheduleSize(show.schedule);
    let { rt, v, schedule } = show;
    if (opts.shrink ?? CHECK_DEFAULTS.shrink) {
      const s = shrinkSchedule(build, schedule, v.property);
      const sv = headline(s.rt, s.rt.violations.filter((x) => x.property === v.property));
      if (sv) ({ rt, v, schedule } = { rt: s.rt, v: sv, schedule: s.schedule });
    }
    const speculative = isSpeculative(rt, v);
    const unexpected = found === null || !wanted;
    const reduce = opts.reduce === true || (opts.reduce === 'unexpected' && unexpected && opts.shard === undefined);
    const reduced = reduce ? reduceScenario(sc, v.property, speculative, opts.reduceBudget) : null;
    violation = { ...violationResult(sc, rt, v, schedule), shrunk: { before, after: scheduleSize(schedule) }, ...(reduced ? { reduced } : {}) };
  }
  const verdict = seenAt.size > 0 ? 'violation' : 'safe';
  const ok = wanted ? found !== null : verdict === 'safe';
  const expected = sc.expect
    ? { verdict: sc.expect.verdict, ...(sc.expect.properties.length ? { property: sc.expect.properties.length === 1 ? sc.expect.properties[0]! : [...sc.expect.properties] } : {}) }
    : null;
  return {
    scenario: sc.name, file: sc.file, verdict, complete: stats.complete, expected, ok,
    ...(shard ? { shard: { index: shard.index + 1, count: shard.count, hash: sc.hash } } : {}),
    ...(violation ? { violation } : {}),
    violations: [...seenAt.keys()].sort(),
    seen: [...seenAt.values()].sort((a, b) => (a.property < b.property ? -1 : a.property > b.property ? 1 : 0)),
    stats: {
      executions: executions + prepassRuns, redundant, maxDepth: Math.max(stats.maxDepth, found?.schedule.length ?? 0), elapsedMs: Math.round(performance.now() - t0), strategy: strategy.name,
      sleepBlocked: stats.sleepBlocked, firstViolationMs: found ? Math.round(searchMs) : undefined, prepass: prepassRuns,
      ...(raceCounts ? { races: sumRaces([[...raceCounts.values()]]) } : {}),
      ...(opts.count ? { counted: true } : {}),
      ...(audit.sampledFrom >= 0 ? { auditSample: { from: audit.sampledFrom, rate: audit.sample } } : {}),
      ...(isStateful(stats) ? { stateful: { states: stats.states, transitions: stats.transitions, omissionProbability: stats.omissionProbability, exact: opts.exact === true, workers: stats.workers, ...(stats.renamings > 0 ? { renamings: stats.renamings } : {}) } } : {}),
      // one world more: the pre-pass may have ended the check before the search built any
      // asked for, or found (a default stateful search with renamings): not a line per scenario without identical importers
      ...(symmetric && (opts.symmetry === true || (isStateful(stats) && stats.renamings > 0)) ? { symmetry: { importers: build(true).symmetry?.names.map((c) => [...c]) ?? [], images: stats.symmetric } } : {}),
    },
  };
}
