/**
 * Reducing the scenario of a counterexample: fewer DMA transfers, fewer threads, fewer
 * importers, as long as a (bounded) search still finds the same property. The result is a
 * description of the smaller scenario a reader can try, not a replay token: the reduced
 * scenario is not a file.
 */
import type { Scenario, Step } from '../scenario/types.ts';
import { buildWorld } from '../scenario/world.ts';
import type { PropertyId } from '../sim/violation.ts';
import { explore } from './explore.ts';
import { sample } from './sample.ts';

export interface Reduction {
  readonly changes: string[];
  readonly threads: number;
  readonly transfers: number;
  /** executions spent on the candidates */
  readonly executions: number;
}

const transfers = (sc: Scenario) =>
  sc.threads.reduce((n, t) => n + t.steps.reduce((m, s) => m + (s.kind === 'importer' && s.op === 'dma' ? s.count : 0), 0), 0);

/** Smaller scenarios than `sc`, each with what changed. */
function candidates(sc: Scenario): { sc: Scenario; change: string }[] {
  const out: { sc: Scenario; change: string }[] = [];
  sc.threads.forEach((t, ti) => {
    t.steps.forEach((s, si) => {
      if (s.kind !== 'importer' || s.op !== 'dma' || s.count <= 1) return;
      const step: Step = { ...s, count: s.count - 1, text: `dma(${s.importer}, ${s.count - 1}${s.write ? '' : ', read'})` };
      const threads = sc.threads.map((x, i) => (i === ti ? { ...x, steps: x.steps.map((y, j) => (j === si ? step : y)) } : x));
      out.push({ sc: { ...sc, threads }, change: `${t.name}: dma(${s.importer}) ${s.count} -> ${s.count - 1} transfers` });
    });
  });
  if (sc.threads.length > 1) {
    sc.threads.forEach((t, ti) => {
      const threads = sc.threads.filter((_, i) => i !== ti);
      const used = new Set(threads.flatMap((x) => x.steps.flatMap((s) => (s.kind === 'importer' ? [s.importer] : []))));
      const calls = threads.some((x) => x.steps.some((s) => s.kind !== 'importer' && s.kind !== 'exporter'));
      const importers = calls ? sc.importers : sc.importers.filter((m) => used.has(m.id));
      out.push({ sc: { ...sc, threads, importers }, change: `thread ${t.name} removed${importers.length < sc.importers.length ? ` (and importer ${sc.importers.filter((m) => !used.has(m.id)).map((m) => m.id).join(', ')})` : ''}` });
    });
  }
  return out;
}

/** Whether a short pct pass or a bounded dpor search of `sc` meets `property`. */
function shows(sc: Scenario, property: PropertyId, budget: number): { found: boolean; executions: number } {
  let executions = 0;
  let found = false;
  const look = (rt: { violations: readonly { property: PropertyId }[] }) => {
    executions++;
    found = rt.violations.some((v) => v.property === property);
    return found;
  };
  const build = () => buildWorld(sc).rt;
  sample(build, { strategy: 'pct', runs: 32, seed: 1, depth: 3 }, look);
  if (!found) explore(build, { strategy: 'dpor', maxExecutions: budget }, look);
  return { found, executions };
}

/** A smaller scenario and what was removed to get it. */
export interface ReducedScenario {
  readonly sc: Scenario;
  readonly changes: string[];
  /** executions spent on the candidates */
  readonly executions: number;
}

/**
 * What a caller adds to the reduction: more candidates (`fuzz` removes single steps too),
 * and a test a candidate must pass to be tried (`fuzz` keeps every importer's release).
 */
export interface ReduceHooks {
  readonly more?: (sc: Scenario) => { sc: Scenario; change: string }[];
  readonly admit?: (sc: Scenario) => boolean;
}

/**
 * Greedily applies reductions that keep `property`; at most `rounds` accepted changes.
 * Returns the smallest scenario reached (`sc` itself when nothing could be removed).
 */
export function reduceScenarioTo(sc: Scenario, property: PropertyId, budget = 500, rounds = 12, hooks: ReduceHooks = {}): ReducedScenario {
  let cur = sc;
  const changes: string[] = [];
  let executions = 0;
  for (let r = 0; r < rounds; r++) {
    let next: { sc: Scenario; change: string } | null = null;
    for (const c of [...candidates(cur), ...(hooks.more?.(cur) ?? [])]) {
      if (hooks.admit && !hooks.admit(c.sc)) continue;
      const s = shows(c.sc, property, budget);
      executions += s.executions;
      if (s.found) { next = c; break; }
    }
    if (!next) break;
    cur = next.sc;
    changes.push(next.change);
  }
  return { sc: cur, changes, executions };
}

/**
 * Greedily applies reductions that keep `property`; at most `rounds` accepted changes.
 * Returns null when nothing could be removed.
 */
export function reduceScenario(sc: Scenario, property: PropertyId, budget = 500, rounds = 12): Reduction | null {
  const { sc: cur, changes, executions } = reduceScenarioTo(sc, property, budget, rounds);
  return changes.length ? { changes, threads: cur.threads.length, transfers: transfers(cur), executions } : null;
}
