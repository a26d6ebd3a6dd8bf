/**
 * Sampling strategies: `random` (a uniformly random runnable thread at every step) and
 * `pct` (probabilistic concurrency testing, Burckhardt et al., ASPLOS 2010: random thread
 * priorities, the highest-priority runnable thread runs, and d-1 random change points
 * lower the running thread's priority, finding any bug of depth d with probability at least
 * 1/(n k^(d-1))). Neither can prove a scenario safe: they report `complete: false`.
 */
import { performance } from 'node:perf_hooks';
import type { Runtime } from '../sim/runtime.ts';
import type { ExploreStats } from './explore.ts';
import { Rng } from './random.ts';

export interface SampleOptions {
  readonly strategy: 'random' | 'pct';
  readonly runs: number;
  readonly seed: number;
  /** pct bug depth d */
  readonly depth: number;
  readonly deadline?: number;
  readonly maxSteps?: number;
}

/** Runs `opts.runs` sampled schedules; the callback as explore's (it must keep() a world it wants after). */
export function sample(
  build: () => Runtime, opts: SampleOptions, onExecution: (rt: Runtime, schedule: number[]) => boolean,
): ExploreStats {
  const rng = new Rng(opts.seed);
  const stats: ExploreStats = { executions: 0, sleepBlocked: 0, maxDepth: 0, complete: false, symmetric: 0 };
  const maxSteps = opts.maxSteps ?? 100_000;
  let k = 0;
  for (let run = 0; run < opts.runs; run++) {
    if (opts.deadline !== undefined && performance.now() > opts.deadline) break;
    const rt = build();
    const n = rt.threads.length;
    // pct: priorities d..d+n-1 in random order; change points in [1, k]
    const prio = Array.from({ length: n }, (_, i) => opts.depth + i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      [prio[i], prio[j]] = [prio[j]!, prio[i]!];
    }
    const changes = new Map<number, number>();
    if (opts.strategy === 'pct') for (let c = 1; c < opts.depth; c++) changes.set(1 + rng.below(Math.max(1, k)), c);
    const schedule: number[] = [];
    for (;;) {
      const en = rt.enabledMask();
      if (!en) break;
      if (schedule.length >= maxSteps) throw new Error(`an execution exceeded ${maxSteps} steps: the model does not terminate`);
      let p = -1;
      if (opts.strategy === 'random') {
        const ids: number[] = [];
        for (let m = en; m; m &= m - 1) ids.push(31 - Math.clz32(m & -m));
        p = ids[rng.below(ids.length)]!;
      } else {
        let best = -1;
        for (let m = en; m; m &= m - 1) {
          const t = 31 - Math.clz32(m & -m);
          if (prio[t]! > best) { best = prio[t]!; p = t; }
        }
      }
      rt.step(p);
      schedule.push(p);
      const c = changes.get(schedule.length);
      if (c !== undefined) prio[p] = c;
    }
    rt.finish();
    stats.executions++;
    k = Math.max(k, schedule.length);
    if (schedule.length > stats.maxDepth) stats.maxDepth = schedule.length;
    const stop = onExecution(rt, schedule);
    rt.release();
    if (stop) break;
  }
  return stats;
}
