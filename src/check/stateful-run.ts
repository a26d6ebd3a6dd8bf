/**
 * The `stateful` strategy of `check` (docs/design.md "Search"): the stateful search over
 * a scenario's data world (scenario/frame-world.ts), its fine steps fused into
 * transactions and its states reduced by persistent sets, then each violation it finds
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
import { frameModel } from './frame-model.ts';
import { runSchedule } from './replay.ts';
import { statefulSearch } from './stateful.ts';
import type { ExploreStats } from './explore.ts';

export interface StatefulRunOptions {
  /** explore everything, past every violation (`--count`) */
  readonly count: boolean;
  /** whole states in the visited set instead of fingerprints (`--exact`) */
  readonly exact: boolean;
  readonly maxStates: number | undefined;
  readonly deadline: number | undefined;
  readonly cancelled: (() => boolean) | undefined;
}

/** What a stateful search adds to ExploreStats. */
export interface StatefulStats extends ExploreStats {
  readonly states: number;
  readonly transitions: number;
  readonly omissionProbability: number;
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
  const model = frameModel(buildFrameWorld(sc));
  const r = statefulSearch(model, {
    stopAtFirst: false, exact: o.exact, maxStates: o.maxStates,
    cancelled: () => (o.cancelled?.() ?? false) || (o.deadline !== undefined && performance.now() > o.deadline),
    stopAt: (v) => {
      replays++;
      // runSchedule throws when the schedule does not fit: the two worlds disagree, a model bug
      const { rt, schedule } = runSchedule(sc, fineSchedule(sc, v.schedule));
      return onExecution(rt, schedule) && !o.count;
    },
  });
  return {
    executions: replays, sleepBlocked: 0, maxDepth: r.maxDepth, complete: r.complete, symmetric: 0,
    states: r.states, transitions: r.transitions, omissionProbability: r.omissionProbability,
  };
}
