/**
 * The `stateful` strategy of `check` (docs/design.md "Search"): the stateful search over
 * a scenario's data world (scenario/frame-world.ts), its fine steps fused into
 * transactions (persistent sets, stateful-por.ts, are off: they do not pay here), then each violation it finds
 * replayed on the generator world as the schedule of fine steps that reaches it, so that
 * tokens, `replay`, shrinking, timelines, HTML and JUnit work as for every other
 * strategy. A fine step of the data world is a visible step of the generator world (the
 * differential test, test/frames-world.test.ts, requires the same events on every
 * schedule), so the expanded DFS stack is a generator schedule.
 */
import { performance } from 'node:perf_hooks';
import { Store } from '../sim/store.ts';
import type { Runtime } from '../sim/runtime.ts';
import { buildFrameWorld } from '../scenario/frame-world.ts';
import type { Scenario } from '../scenario/types.ts';
import { frameModel, type FrameModel } from './frame-model.ts';
import { frameSymmetry } from './frame-symmetry.ts';
import { runSchedule } from './replay.ts';
import { statefulSearch, type StateViolation } from './stateful.ts';
import { HandoverVisited, startHelpers, type Helpers } from './stateful-handover.ts';
import { WorkBoard } from './work-board.ts';
import { ExactStateSet, FingerprintSet, type VisitedSet } from './visited.ts';
import type { ExploreStats } from './explore.ts';

export interface StatefulRunOptions {
  /** explore everything, past every violation (`--count`) */
  readonly count: boolean;
  /** whole states in the visited set instead of fingerprints (`--exact`) */
  readonly exact: boolean;
  readonly maxStates: number | undefined;
  readonly deadline: number | undefined;
  readonly cancelled: (() => boolean) | undefined;
  /**
   * worker threads that join the search once it passes `after` states (stateful-handover.ts);
   * `script` is the worker script that serves `frameModelOf` (the CLI's worker bundle)
   */
  readonly helpers?: StatefulHelpers | undefined;
  /** called about ten times a second with the states stored so far (a progress display) */
  readonly onStates?: ((states: number) => void) | undefined;
  /** store one state of each orbit under the renamings of identical importers (check/frame-symmetry.ts) */
  readonly symmetry?: boolean | undefined;
}

export interface StatefulHelpers {
  readonly count: number;
  readonly script: string;
  /** states stored alone before the helpers start (default HANDOVER_AFTER) */
  readonly after?: number;
  /** how long a helper may give no sign of life before it is taken for dead (default 60 s; tests) */
  readonly silentMs?: number;
}

/** A search that ends within this many states never starts its helpers (about half a second). */
export const HANDOVER_AFTER = 20_000;

/** The longest schedule of a stack entry the work board hands over (deeper entries stay with their search). */
const MAX_SCHEDULE = 1 << 14;

/** The stateful model of a scenario: what the search and its helpers explore. */
export function frameModelOf(sc: Scenario): FrameModel {
  const w = buildFrameWorld(sc);
  const s0 = new Store(w.layout);
  w.init(s0);
  return frameModel(w, { canon: frameSymmetry(sc, w, s0) });
}

/** What a stateful search adds to ExploreStats. */
export interface StatefulStats extends ExploreStats {
  readonly states: number;
  readonly transitions: number;
  readonly omissionProbability: number;
  /** threads that searched (1 unless helpers joined) */
  readonly workers: number;
  /** renamings of identical importers the states were stored under (0: no symmetry) */
  readonly renamings: number;
}

/**
 * The fine steps of the transactions `schedule` (thread indices) takes from the initial
 * state: each thread index repeated once per fine step its transaction ran.
 */
export function fineSchedule(sc: Scenario, schedule: readonly number[]): number[] {
  const m = frameModel(buildFrameWorld(sc));
  const s = new Store(m.layout);
  m.init(s);
  const out: number[] = [];
  const sink = { report(): void {} };
  for (const t of schedule) {
    if (!m.step(s, t, sink)) throw new Error(`internal: transaction of thread ${t} disabled on its own schedule`);
    for (let i = 0; i < m.lastSteps; i++) out.push(t);
  }
  return out;
}

/**
 * Runs the stateful search of `sc`; each new violation is replayed on a generator world
 * (replay.ts runSchedule) and handed to `onExecution`, whose answer (stop or go on) ends the search
 * unless `count`. The replays are the result's `executions`.
 */
export function statefulRun(sc: Scenario, o: StatefulRunOptions, onExecution: (rt: Runtime, schedule: number[]) => boolean): StatefulStats {
  let replays = 0;
  /** a replayed violation ended the search (what the scenario looks for, and not `count`) */
  let hit = false;
  const seen = new Set<string>();
  /** replays violation `v` on the generator world; whether the search ends there */
  const report = (v: StateViolation): boolean => {
    seen.add(violationKey(v));
    replays++;
    // runSchedule throws when the schedule does not fit: the two worlds disagree, a model bug
    const { rt, schedule } = runSchedule(sc, fineSchedule(sc, v.schedule));
    hit = onExecution(rt, schedule) && !o.count;
    return hit;
  };
  const model = frameModelOf(sc);
  const symmetry = o.symmetry === true && model.canon !== undefined;
  const renamings = symmetry ? model.canon!.images : 0;
  const h = o.helpers !== undefined && o.helpers.count > 0 && !o.exact ? o.helpers : undefined;
  const handover = h ? new HandoverVisited() : undefined;
  const visited: VisitedSet = handover ?? (o.exact ? new ExactStateSet(model.layout.size) : new FingerprintSet());
  let polls = 0;
  let crew: Helpers | null = null;
  /** the work board the search shares with its helpers once they start (work-board.ts) */
  let board: WorkBoard | null = null;
  /** a violation a helper met: replayed and judged as this search's own (the first of each kind) */
  const fromHelper = (v: StateViolation): void => {
    if (hit || seen.has(violationKey(v))) return;
    if (report(v)) crew?.stop();
  };
  const stopped = () => (o.cancelled?.() ?? false) || (o.deadline !== undefined && performance.now() > o.deadline);
  const r = statefulSearch(model, {
    // no persistent sets: measured on the data world they do not pay (fam-n2-k0: the same
    // 111,321 states, 1.72 s with them, 1.25 s without; b1-vfio-revoke-no-wait: 1.6 % fewer
    // states, 48 % more time), and without them the helpers store the same states
    stopAtFirst: false, exact: o.exact, maxStates: o.maxStates, stopAt: report, visited, reduction: false, symmetry,
    // polled every 1,024 transitions (about 10 ms)
    cancelled: () => {
      if ((++polls & 7) === 0) o.onStates?.(visited.size);
      if (h && crew === null && visited.size >= (h.after ?? HANDOVER_AFTER)) {
        const opts = { stopAtFirst: false, reduction: false, symmetry, ...(o.maxStates !== undefined ? { maxStates: o.maxStates } : {}) };
        board = WorkBoard.create(model.layout.size, MAX_SCHEDULE, 1 + h.count);
        const b = board.buffer;
        crew = handover!.handOver(o.maxStates ?? 0, (table, sync) => startHelpers(new URL(h.script), sc, h.count, table, sync, opts, h.silentMs, b));
      }
      handover?.poll();
      crew?.drain(fromHelper);
      // a helper raises the flag itself when its search met a model bug
      return hit || stopped() || (crew?.stopping() ?? false);
    },
    work: {
      wanted: () => board !== null && board.wanted(),
      donate: (slots, schedule, len, tried, offset, anyRan) => board !== null && board.donate(slots, schedule, len, tried, offset, anyRan),
      // before the helpers start, an empty stack is the end; after, this search waits for work with them
      idle: () => (board === null || crew === null ? null : board.idle(() => {
        handover!.poll();
        crew!.drain(fromHelper);
        crew!.watch();
        if ((++polls & 31) === 0) o.onStates?.(visited.size);
      }, () => hit || stopped() || crew!.stopping())),
    },
  });
  if (crew === null) {
    return {
      executions: replays, sleepBlocked: 0, maxDepth: r.maxDepth, complete: r.complete, symmetric: 0,
      states: r.states, transitions: r.transitions, omissionProbability: r.omissionProbability, workers: 1, renamings,
    };
  }
  const helpers: Helpers = crew;
  // this search ended: what it did not finish, the helpers need not either
  if (!r.complete) helpers.stop();
  const done = helpers.join(() => {
    handover!.poll();
    if ((++polls & 3) === 0) o.onStates?.(visited.size);
    return hit || stopped();
  }, fromHelper);
  return {
    executions: replays, sleepBlocked: 0, symmetric: 0,
    maxDepth: Math.max(r.maxDepth, ...done.map((d) => d.maxDepth)),
    complete: r.complete && done.every((d) => d.complete),
    states: visited.size, transitions: r.transitions + done.reduce((a, d) => a + d.transitions, 0),
    omissionProbability: visited.omissionProbability(), workers: 1 + done.length, renamings,
  };
}

const violationKey = (v: StateViolation) => `${v.property}|${v.rule}|${v.message}`;
