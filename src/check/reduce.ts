/**
 * Reducing the scenario of a counterexample: fewer threads, importers, steps and DMA
 * transfers, as long as a (bounded) search still finds the same property. Candidates are
 * edits of the scenario's own YAML document (a thread, a step or an importer deleted, a
 * transfer count lowered), loaded again by the loader: the smaller scenario is printed as
 * YAML the loader accepts, comments and call steps included.
 */
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { InputError } from '../scenario/errors.ts';
import { parseScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';
import { buildWorld } from '../scenario/world.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { PropertyId } from '../sim/violation.ts';
import { explore } from './explore.ts';
import { sample } from './sample.ts';

/** How large a scenario is, as a reduction counts it. */
export interface ScenarioSize {
  readonly threads: number;
  readonly importers: number;
  readonly steps: number;
  readonly transfers: number;
}

export interface Reduction {
  readonly changes: string[];
  readonly threads: number;
  readonly transfers: number;
  /** executions spent on the candidates */
  readonly executions: number;
  /** the scenario's size before and after */
  readonly before: ScenarioSize;
  readonly after: ScenarioSize;
  /** the smaller scenario, as YAML the loader accepts */
  readonly yaml: string;
}

export function scenarioSize(sc: Scenario): ScenarioSize {
  const steps = sc.threads.flatMap((t) => t.steps);
  const transfers = steps.reduce((n, s) => n + (s.kind === 'importer' && s.op === 'dma' ? s.count : 0), 0);
  return { threads: sc.threads.length, importers: sc.importers.length, steps: steps.length, transfers };
}

interface Candidate {
  readonly doc: Document;
  readonly change: string;
}

/** The importer ids the steps of `steps` name (import, dma, remap, release). */
const importersOf = (steps: Scenario['threads'][number]['steps']) => steps.flatMap((s) => (s.kind === 'importer' ? [s.importer] : []));

/** Deletes the importers `ids` from the document's `importers:` list. */
function dropImporters(d: Document, ids: readonly string[]): void {
  const list = d.get('importers', true);
  if (ids.length && isSeq(list)) list.items = list.items.filter((m) => !(isMap(m) && ids.includes(String(m.get('id')))));
}

/**
 * Smaller scenarios than `sc` (loaded from `doc`), largest cut first: a thread (with the
 * importers only it used), a step, one transfer of a dma step. A thread's steps are edited
 * only where the document lists them one to one (as the loader reads them).
 */
function candidates(sc: Scenario, doc: Document): Candidate[] {
  const out: Candidate[] = [];
  const edit = (change: string, f: (d: Document) => boolean) => {
    const d = doc.clone();
    if (f(d)) out.push({ doc: d, change });
  };
  const noCalls = sc.threads.every((t) => t.steps.every((s) => s.kind !== 'call'));
  if (sc.threads.length > 1) {
    sc.threads.forEach((t, ti) => {
      const used = new Set(sc.threads.filter((_, i) => i !== ti).flatMap((x) => importersOf(x.steps)));
      const gone = noCalls ? sc.importers.filter((m) => !used.has(m.id)).map((m) => m.id) : [];
      edit(`thread ${t.name} removed${gone.length ? ` (and importer ${gone.join(', ')})` : ''}`, (d) => {
        d.deleteIn(['threads', ti]);
        dropImporters(d, gone);
        return true;
      });
    });
  }
  sc.threads.forEach((t, ti) => {
    const steps = doc.getIn(['threads', ti, 'steps'], true);
    if (!isSeq(steps) || steps.items.length !== t.steps.length || t.steps.length < 2) return;
    t.steps.forEach((s, si) => {
      // an importer no step names any more goes too (as with a thread), so that the smaller
      // scenario does not declare, and get blamed on, a driver that no longer acts
      const rest = sc.threads.flatMap((x, i) => importersOf(i === ti ? x.steps.filter((_, j) => j !== si) : x.steps));
      const gone = noCalls && s.kind === 'importer' && !rest.includes(s.importer) ? [s.importer] : [];
      edit(`${t.name}: step ${s.text} removed${gone.length ? ` (and importer ${gone[0]})` : ''}`, (d) => {
        d.deleteIn(['threads', ti, 'steps', si]);
        dropImporters(d, gone);
        return true;
      });
    });
  });
  sc.threads.forEach((t, ti) => {
    t.steps.forEach((s, si) => {
      if (s.kind !== 'importer' || s.op !== 'dma' || s.count <= 1) return;
      const path = ['threads', ti, 'steps', si, 'dma', 'count'];
      if (typeof doc.getIn(path) !== 'number') return;
      edit(`${t.name}: dma(${s.importer}) ${s.count} -> ${s.count - 1} transfers`, (d) => { d.setIn(path, s.count - 1); return true; });
    });
  });
  return out;
}

/**
 * Whether a short pct pass or a bounded dpor search of `sc` meets `property` by the same
 * kind of access: a bug shown by a committed DMA does not become one shown by a speculative
 * read only (a different story), nor the other way round.
 */
function shows(sc: Scenario, property: PropertyId, speculative: boolean, budget: number): { found: boolean; executions: number } {
  let executions = 0;
  let found = false;
  const look = (rt: Runtime) => {
    executions++;
    found = rt.violations.some((v) => v.property === property && (v.event >= 0 && rt.events[v.event]!.op.role === 'speculative') === speculative);
    return found;
  };
  const build = () => buildWorld(sc).rt;
  sample(build, { strategy: 'pct', runs: Math.min(32, budget), seed: 1, depth: 3 }, look);
  if (!found) explore(build, { strategy: 'dpor', maxExecutions: budget }, look);
  return { found, executions };
}

/** `text` loaded as the scenario of `file`, or null when the loader refuses it. */
function load(text: string, file: string): Scenario | null {
  try {
    return parseScenario(text, file);
  } catch (e) {
    if (e instanceof InputError) return null;
    throw e;
  }
}

/** A smaller scenario and what was removed to get it. */
export interface ReducedScenario {
  readonly sc: Scenario;
  readonly changes: string[];
  /** executions spent on the candidates */
  readonly executions: number;
}

export interface ReduceOptions {
  /** the property is shown by a speculative read (and must stay so), or by a committed access */
  readonly speculative?: boolean;
  /** executions a candidate's search may take */
  readonly budget?: number;
  /** accepted changes at most */
  readonly rounds?: number;
  /** a test a candidate must pass to be tried (`fuzz` keeps every import's release) */
  readonly admit?: (sc: Scenario) => boolean;
}

/**
 * Greedily applies reductions of `sc` (loaded from its `source`) that keep `property`, each
 * candidate searched with at most `budget` executions. Returns the smallest scenario
 * reached (`sc` itself, with no changes, when nothing could be removed or `sc` has no
 * source text).
 */
export function reduceScenarioTo(sc: Scenario, property: PropertyId, opts: ReduceOptions = {}): ReducedScenario {
  const { speculative = false, budget = 500, rounds = 12, admit } = opts;
  let cur = sc;
  const changes: string[] = [];
  let executions = 0;
  if (sc.source === undefined) return { sc, changes, executions };
  let doc: Document = parseDocument(sc.source);
  for (let r = 0; r < rounds; r++) {
    let next: { sc: Scenario; doc: Document; change: string } | null = null;
    for (const c of candidates(cur, doc)) {
      const csc = load(c.doc.toString(), sc.file);
      if (!csc || (admit && !admit(csc))) continue;
      const s = shows(csc, property, speculative, budget);
      executions += s.executions;
      if (s.found) { next = { sc: csc, doc: c.doc, change: c.change }; break; }
    }
    if (!next) break;
    ({ sc: cur, doc } = next);
    changes.push(next.change);
  }
  return { sc: cur, changes, executions };
}

/**
 * reduceScenarioTo for a counterexample `check` reports: the reduction with the sizes
 * before and after and the smaller scenario's YAML, or null when nothing could be removed.
 */
export function reduceScenario(sc: Scenario, property: PropertyId, speculative = false, budget = 500, rounds = 12): Reduction | null {
  const { sc: cur, changes, executions } = reduceScenarioTo(sc, property, { speculative, budget, rounds });
  if (!changes.length) return null;
  const after = scenarioSize(cur);
  return { changes, threads: after.threads, transfers: after.transfers, executions, before: scenarioSize(sc), after, yaml: cur.source! };
}
