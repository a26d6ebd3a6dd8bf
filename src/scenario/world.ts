/**
 * Building the world of one execution from a scenario: the runtime, the kernel, the
 * exporter and importers over their hardware, and one simulated thread per scenario
 * thread (ids in file order), then the drivers' background threads.
 */
import { findExporter, findImporter } from '../drivers/catalogue.ts';
import type { BackgroundThread, ExporterInstance, ImporterInstance } from '../drivers/types.ts';
import { errnoText } from '../kernel/errno.ts';
import { newKernel, type Kernel } from '../kernel/kernel.ts';
import { local, type Proc } from '../sim/op.ts';
import { Runtime } from '../sim/runtime.ts';
import type { ImporterSpec, Scenario, Step } from './types.ts';
import { newCallEnv, runCall, type CallEnv } from './calls.ts';

export interface World {
  readonly rt: Runtime;
  readonly k: Kernel;
  readonly exporter: ExporterInstance;
  readonly importers: ReadonlyMap<string, ImporterInstance>;
  /** the state of the scenario's `call` steps; none without them */
  readonly calls?: CallEnv;
}

/**
 * `symmetry`: explore one execution of each orbit under renaming of identical importers
 * (importerSymmetry, sim/symmetry.ts).
 */
export function buildWorld(sc: Scenario, opts: { symmetry?: boolean } = {}): World {
  const rt = new Runtime();
  const k = newKernel(rt, sc.kernel, sc.moveNotify);
  const bg: (BackgroundThread & { owner?: string })[] = [];
  let owner: string | undefined;
  const env = { k, rt, background: (name: string, body: () => Proc<unknown>) => { bg.push({ name, body, owner }); } };
  const exporter = findExporter(sc.exporter.driver)!.create(env, sc.exporter.variant);
  const importers = new Map<string, ImporterInstance>();
  for (const im of sc.importers) {
    owner = im.id;
    importers.set(im.id, findImporter(im.driver)!.create(env, { id: im.id, variant: im.variant, peer2peer: im.peer2peer, pinned: im.pinned, speculativeReads: im.speculativeReads }, exporter));
  }
  owner = undefined;
  // most scenarios have no call step: their worlds, one an execution, skip the call state
  const calls = hasCallSteps(sc) ? newCallEnv(k, rt, exporter, importers, sc.threads) : undefined;
  function* runStep(step: Step): Proc<number> {
    if (step.kind === 'call') return yield* runCall(calls!, step);
    yield local(step.text, undefined, 'step', 'step');
    const r = step.kind === 'exporter'
      ? yield* exporter.op(step.op, { trigger: step.trigger })
      : yield* importers.get(step.importer)!.op(step.op, { count: step.count, write: step.write });
    yield local(r < 0 ? `${step.text} failed` : `${step.text} done`, r < 0 ? errnoText(r) : undefined, 'step', 'step-end');
    return r;
  }
  for (const t of sc.threads) {
    rt.spawn(t.name, function* () {
      for (const s of t.steps) yield* runStep(s);
    });
  }
  for (const b of bg) rt.spawn(b.name, b.body, true);
  const classes = opts.symmetry ? importerSymmetry(sc, bg) : [];
  if (classes.length) rt.useSymmetry({ classes: classes.map((c) => c.threads), names: classes.map((c) => c.importers), pivot: exporter.buf.resv.id });
  rt.start();
  return { rt, k, exporter, importers, calls };
}

/** Whether any thread of the scenario has a `call` step. */
function hasCallSteps(sc: Scenario): boolean {
  return sc.threads.some((t) => t.steps.some((s) => s.kind === 'call'));
}

/** What must be equal for two importers to stand in for each other (importerSymmetry). */
function importerKey(im: ImporterSpec): string {
  return JSON.stringify([im.driver, im.variant, im.peer2peer, im.pinned, im.speculativeReads ?? null]);
}

/** A step without the importer it names and its trace text. */
function stepShape(s: Step): string {
  return s.kind === 'importer' ? JSON.stringify([s.kind, s.op, s.count, s.write]) : s.kind === 'exporter' ? JSON.stringify([s.kind, s.op, s.trigger ?? null]) : 'call';
}

/**
 * Importers identical up to their id: the same driver, variant and flags, used by scenario
 * threads with the same steps in the same order, each thread naming one importer only.
 * A group is such an importer's scenario threads (file order), then its background threads
 * (creation order). A scenario with `call` steps has none: a call can reach any object.
 */
export function importerSymmetry(sc: Scenario, bg: readonly { owner?: string }[]): { importers: string[]; threads: number[][] }[] {
  if (hasCallSteps(sc)) return [];
  const threadsOf = new Map<string, number[]>(sc.importers.map((im) => [im.id, []]));
  const tangled = new Set<string>();
  sc.threads.forEach((t, tid) => {
    const named = new Set(t.steps.flatMap((s) => (s.kind === 'importer' ? [s.importer] : [])));
    if (named.size > 1) for (const id of named) tangled.add(id);
    else for (const id of named) threadsOf.get(id)!.push(tid);
  });
  // background thread ids by owner: they follow the scenario threads
  const bgOf = new Map<string, number[]>();
  bg.forEach((b, i) => { if (b.owner !== undefined) bgOf.set(b.owner, [...(bgOf.get(b.owner) ?? []), sc.threads.length + i]); });
  const byShape = new Map<string, string[]>();
  for (const im of sc.importers) {
    if (tangled.has(im.id)) continue;
    const shape = JSON.stringify([importerKey(im), threadsOf.get(im.id)!.map((tid) => sc.threads[tid]!.steps.map(stepShape)), bgOf.get(im.id)?.length ?? 0]);
    byShape.set(shape, [...(byShape.get(shape) ?? []), im.id]);
  }
  return [...byShape.values()]
    .filter((ids) => ids.length > 1)
    .map((ids) => ({ importers: ids, threads: ids.map((id) => [...threadsOf.get(id)!, ...(bgOf.get(id) ?? [])]) }))
    .filter((c) => c.threads[0]!.length > 0);
}
