// The long-search section of `npm run bench`: one search run for BENCH_LONG executions
// (default 200,000; the target is 1,000,000), with the rate and the resident set
// at each tenth. A stateless search keeps nothing per execution but the audit's 8-byte
// hashes, so neither should grow with the executions already explored; nor should the
// share of the time spent collecting garbage (v8.GCProfiler, pauses between two marks).
import { performance } from 'node:perf_hooks';
import { GCProfiler } from 'node:v8';
import { checkScenario } from '../src/check/check.ts';
import type { Scenario } from '../src/scenario/types.ts';

export interface LongMark {
  executions: number;
  /** executions a second since the previous mark */
  perSecond: number;
  elapsedMs: number;
  rssMb: number;
  heapMb: number;
  /** garbage-collection pauses, as a share of the time since the previous mark (%) */
  gcPct: number;
}

/** The markdown table of the marks (the bench and bench:long print the same one). */
export function longTable(marks: readonly LongMark[]): string[] {
  return [
    '| executions | exec/s since previous | elapsed s | RSS MB | heap MB | GC % since previous |',
    '|---:|---:|---:|---:|---:|---:|',
    ...marks.map((m) => `| ${m.executions} | ${m.perSecond} | ${(m.elapsedMs / 1000).toFixed(1)} | ${m.rssMb} | ${m.heapMb} | ${m.gcPct} |`),
  ];
}

/** Runs `sc` (a safe scenario whose space exceeds `total`) for `total` executions. */
export function longRun(sc: Scenario, total: number): { marks: LongMark[]; complete: boolean } {
  const marks: LongMark[] = [];
  const step = Math.max(1, Math.floor(total / 10));
  let next = step;
  let lastN = 0;
  const t0 = performance.now();
  let lastT = t0;
  /** A profiler of the pauses from now to the next mark. */
  const profileGc = () => {
    const g = new GCProfiler();
    g.start();
    return g;
  };
  let gc = profileGc();
  const r = checkScenario(sc, {
    maxExecutions: total, shrink: false, prepass: 0,
    progress: (executions) => {
      if (executions < next) return;
      next += step;
      const now = performance.now();
      const mem = process.memoryUsage();
      const gcUs = gc.stop().statistics.reduce((a, g) => a + g.cost, 0);
      marks.push({
        executions, perSecond: Math.round(((executions - lastN) * 1000) / (now - lastT)), elapsedMs: Math.round(now - t0),
        rssMb: Math.round(mem.rss / 2 ** 20), heapMb: Math.round(mem.heapUsed / 2 ** 20), gcPct: Math.round(gcUs / 10 / (now - lastT)),
      });
      gc = profileGc();
      lastN = executions;
      lastT = now;
    },
  });
  gc.stop();
  return { marks, complete: r.complete };
}
