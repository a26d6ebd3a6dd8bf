/**
 * `dmabuf-lab fuzz`: generated scenarios (scenario/generate.ts), each checked by the
 * default search under a small budget; every distinct finding, keyed by (property, rule,
 * driver variants), is reduced (reduce.ts, plus single steps) and written back as a
 * scenario file with an `expect:` block, which `check` reproduces. Scenario i depends on
 * the seed and i alone, so the scenarios can be checked in any order or on workers and a
 * run with a given seed and --max-scenarios is always the same. This module reads no
 * clock and writes no file: the caller stops it (time limits) and writes `text` to `file`.
 */
import { join } from 'node:path';
import { findImporter } from '../drivers/catalogue.ts';
import { generateDraft, type DriverVariant, type GenTarget } from '../scenario/generate.ts';
import { parseScenario } from '../scenario/load.ts';
import { Prng } from '../scenario/prng.ts';
import { scenarioText, type ScenarioDraft } from '../scenario/text.ts';
import type { Scenario, Step } from '../scenario/types.ts';
import type { PropertyId } from '../sim/violation.ts';
import { checkScenario, type CheckOptions } from './check.ts';
import { reduceScenarioTo, scenarioSize, type ReduceOptions, type ScenarioSize } from './reduce.ts';
import type { ScenarioResult } from './result.ts';

export interface FuzzConfig {
  readonly seed: number;
  /** scenario i is drawn for targets[i % targets.length] */
  readonly targets: readonly GenTarget[];
  /** where findings are to be written (their tokens name files there) */
  readonly outDir: string;
  /** dpor executions a generated scenario gets after the pct pre-pass */
  readonly budget?: number;
}

export const FUZZ_BUDGET = 200;

/**
 * Executions the re-check of a written finding may take: reduction showed it within a
 * 32-run pct pass (the first runs of check's 64, same seed) and 500 dpor executions.
 */
const RECHECK = 4000;

export interface FuzzFinding {
  readonly property: PropertyId;
  readonly rule: string;
  readonly message: string;
  /** the variants that are not `correct`, `+`-joined (`<exporter>/correct` when all are) */
  readonly variant: string;
  /** the written scenario file */
  readonly scenario: string;
  /** its replay token (from `check` of the written file) */
  readonly schedule: string;
  /** whether `check` of the written file met its expectation */
  readonly reproduced: boolean;
  /** index of the generated scenario that showed it (0-based) */
  readonly index: number;
  readonly size: ScenarioSize;
  /** what reduction removed from the generated scenario */
  readonly reduced: readonly string[];
  /** the text to write to `scenario` */
  readonly text: string;
}

const dynamic = (driver: string) => findImporter(driver)?.dynamic === true;

/** Variants under suspicion: every one that is not `correct`. */
export function culprit(sc: { exporter: DriverVariant; importers: readonly DriverVariant[] }): string {
  const all = [sc.exporter, ...sc.importers].filter((x) => x.variant !== 'correct').map((x) => `${x.driver}/${x.variant}`);
  const unique = [...new Set(all)];
  return unique.length ? unique.join('+') : `${sc.exporter.driver}/correct`;
}

/** Whether every importer a step imports is also released by some step. */
export function releasesAll(sc: { threads: readonly { steps: readonly Step[] }[] }): boolean {
  const steps = sc.threads.flatMap((t) => t.steps);
  const did = (op: string, id: string) => steps.some((s) => s.kind === 'importer' && s.op === op && s.importer === id);
  return steps.every((s) => s.kind !== 'importer' || s.op !== 'import' || did('release', s.importer));
}

/** Reduction keeps every import's release: otherwise the scenario would leak by its own doing. */
const REDUCE: ReduceOptions = { budget: 500, rounds: 16, admit: releasesAll };

/**
 * A thread named after an importer (`gpu0-user`) whose importer steps reduction removed
 * keeps only exporter steps: it is renamed as a control thread, so that the written
 * scenario does not say an importer acts where none does.
 */
function renameOrphans(sc: Scenario): Scenario {
  const names = new Set(sc.threads.map((t) => t.name));
  let k = 1;
  const threads = sc.threads.map((t) => {
    const m = /^(.+)-user$/.exec(t.name);
    if (!m || t.steps.some((x) => x.kind === 'importer' && x.importer === m[1])) return t;
    let name = 'ctl';
    while (names.has(name)) name = `ctl${++k}`;
    names.add(name);
    return { ...t, name };
  });
  return { ...sc, threads };
}

/** One fuzz run's state: which findings it has, and the numbering of written files. */
export class FuzzSession {
  scenarios = 0;
  executions = 0;
  readonly found: FuzzFinding[] = [];
  private readonly keys = new Set<string>();
  private readonly numbers = new Map<string, number>();

  constructor(readonly cfg: FuzzConfig) {}

  /** The i-th generated scenario (valid by construction: the loader parsed it). */
  generate(i: number): Scenario {
    const t = this.cfg.targets[i % this.cfg.targets.length]!;
    const rng = new Prng(Math.imul(this.cfg.seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca77));
    const name = `fuzz-${this.cfg.seed}-${i}`;
    const draft = generateDraft(rng, t, name, `dmabuf-lab fuzz --seed ${this.cfg.seed}, scenario #${i}`);
    return parseScenario(scenarioText(draft, dynamic), join(this.cfg.outDir, `${name}.yaml`));
  }

  /** The options the i-th scenario is checked with (its own pct seed; no shrinking). */
  checkOptions(i: number): CheckOptions {
    return { maxExecutions: this.cfg.budget ?? FUZZ_BUDGET, seed: i + 1, shrink: false };
  }

  /**
   * Takes the check result of scenario i (in index order, for a deterministic numbering).
   * Returns the finding when it is a new one; it is then reduced and re-checked here.
   */
  consider(i: number, sc: Scenario, r: ScenarioResult): FuzzFinding | null {
    this.scenarios++;
    this.executions += r.stats.executions;
    const v = r.violation;
    if (!v) return null;
    // the key of the generated scenario spares reducing a repeat; the reduced scenario's
    // decides (reduction may drop the variant under test: the finding is then the others')
    const seen = (variant: string) => this.keys.has(`${v.property}\t${v.rule}\t${variant}`);
    if (seen(culprit(sc))) return null;
    const red = reduceScenarioTo(sc, v.property, REDUCE);
    const variant = culprit(red.sc);
    const dup = seen(variant);
    for (const x of [culprit(sc), variant]) this.keys.add(`${v.property}\t${v.rule}\t${x}`);
    if (dup) return null;
    const slug = `${variant.replace(/\//g, '-').replace(/\+/g, '--')}-${v.property}`;
    const n = (this.numbers.get(slug) ?? 0) + 1;
    this.numbers.set(slug, n);
    const how = `found by dmabuf-lab fuzz --seed ${this.cfg.seed}: generated scenario #${i} (${sc.exporter.driver}/${sc.exporter.variant} with ${sc.importers.map((m) => `${m.driver}/${m.variant}`).join(', ') || 'no importer'}, kernel ${sc.kernel}) broke ${v.property} (${v.rule}) within ${r.stats.executions} executions`;
    const write = (from: Scenario, changes: readonly string[]) => {
      const description = `${how}; ${changes.length ? `reduced: ${changes.join('; ')}` : 'nothing could be removed'}.`;
      const draft: ScenarioDraft = { ...renameOrphans(from), name: `${slug}-${n}`, description, expect: { verdict: 'violation', properties: [v.property] } };
      const file = join(this.cfg.outDir, `${slug}-${n}.yaml`);
      const text = scenarioText(draft, dynamic, [`${v.property} (${v.rule}) in ${variant}`, `generated by dmabuf-lab fuzz --seed ${this.cfg.seed} (scenario #${i}); check it with: dmabuf-lab check ${file}`]);
      const written = parseScenario(text, file);
      const rc = checkScenario(written, { maxExecutions: RECHECK });
      return { file, text, written, rc, changes };
    };
    let w = write(red.sc, red.changes);
    // the reduced scenario was shown by a bounded search; if check cannot meet it, keep the original
    if (!w.rc.ok && red.changes.length) w = write(sc, []);
    const finding: FuzzFinding = {
      property: v.property, rule: w.rc.violation?.rule ?? v.rule, message: w.rc.violation?.message ?? v.message, variant, scenario: w.file,
      schedule: w.rc.violation?.schedule ?? v.schedule, reproduced: w.rc.ok, index: i,
      size: scenarioSize(w.written), reduced: w.changes, text: w.text,
    };
    this.found.push(finding);
    return finding;
  }
}

export interface FuzzLoop {
  readonly maxScenarios?: number;
  /** polled before each scenario (the CLI's time limit): true ends the run */
  readonly stop?: () => boolean;
  /** end the run at the first finding */
  readonly first?: boolean;
  /** after scenario i's check, before its result is considered (and a finding reduced) */
  readonly onChecked?: (i: number, r: ScenarioResult) => void;
  readonly onScenario?: (done: number, executions: number, found: number) => void;
  readonly onFinding?: (f: FuzzFinding) => void;
}

/** The run on this thread: scenarios 0, 1, ... until a bound; returns the session. */
export function fuzz(cfg: FuzzConfig, loop: FuzzLoop): FuzzSession {
  const s = new FuzzSession(cfg);
  for (let i = 0; loop.maxScenarios === undefined || i < loop.maxScenarios; i++) {
    if (loop.stop?.()) break;
    const sc = s.generate(i);
    const r = checkScenario(sc, s.checkOptions(i));
    loop.onChecked?.(i, r);
    const f = s.consider(i, sc, r);
    loop.onScenario?.(s.scenarios, s.executions, s.found.length);
    if (f) {
      loop.onFinding?.(f);
      if (loop.first) break;
    }
  }
  return s;
}
