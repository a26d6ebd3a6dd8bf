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
import type { Scenario, Step } from './types.ts';
import { newCallEnv, runCall, type CallEnv } from './calls.ts';

export interface World {
  readonly rt: Runtime;
  readonly k: Kernel;
  readonly exporter: ExporterInstance;
  readonly importers: ReadonlyMap<string, ImporterInstance>;
  /** the state of the scenario's `call` steps */
  readonly calls: CallEnv;
}

export function buildWorld(sc: Scenario): World {
  const rt = new Runtime();
  const k = newKernel(rt, sc.kernel, sc.moveNotify);
  const bg: BackgroundThread[] = [];
  const env = { k, rt, background: (name: string, body: () => Proc<unknown>) => { bg.push({ name, body }); } };
  const exporter = findExporter(sc.exporter.driver)!.create(env, sc.exporter.variant);
  const importers = new Map<string, ImporterInstance>();
  for (const im of sc.importers) {
    importers.set(im.id, findImporter(im.driver)!.create(env, { id: im.id, variant: im.variant, peer2peer: im.peer2peer, pinned: im.pinned, speculativeReads: im.speculativeReads }, exporter));
  }
  const calls = newCallEnv(k, rt, exporter, sc.threads);
  function* runStep(step: Step): Proc<number> {
    if (step.kind === 'call') return yield* runCall(calls, step);
    yield local(step.text, undefined, 'step');
    const r = step.kind === 'exporter'
      ? yield* exporter.op(step.op, { trigger: step.trigger })
      : yield* importers.get(step.importer)!.op(step.op, { count: step.count, write: step.write });
    yield local(r < 0 ? `${step.text} failed` : `${step.text} done`, r < 0 ? errnoText(r) : undefined, 'step');
    return r;
  }
  for (const t of sc.threads) {
    rt.spawn(t.name, function* () {
      for (const s of t.steps) yield* runStep(s);
    });
  }
  for (const b of bg) rt.spawn(b.name, b.body, true);
  rt.start();
  return { rt, k, exporter, importers, calls };
}
