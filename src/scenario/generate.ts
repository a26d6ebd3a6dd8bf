/**
 * Scenario synthesis for `dmabuf-lab fuzz`: random scenarios over the contract's driver
 * operations (spec/scenario-format.md §1), valid by construction. Every choice comes from
 * a seeded Prng, so a seed gives the same scenarios. The draws lean toward the races the
 * revoke series got wrong: a revoke racing an import, a transfer, a release, an unrevoke or
 * a close, two resets, an eviction racing a pinned importer.
 */
import { findExporter, findImporter } from '../drivers/catalogue.ts';
import type { ExporterOp, ImporterOp, RevokeTrigger } from '../drivers/types.ts';
import { KERNEL_VERSIONS, type KernelVersion } from '../kernel/kernel.ts';
import { LIMITS } from './load.ts';
import type { Prng } from './prng.ts';
import type { ScenarioDraft } from './text.ts';
import type { ImporterSpec, Step } from './types.ts';

export interface DriverVariant {
  readonly driver: string;
  readonly variant: string;
}

/** What the generator draws from. */
export interface GenTarget {
  readonly exporter: DriverVariant;
  /** importer variants to draw from; each scenario takes 1-3 of them */
  readonly importers: readonly DriverVariant[];
  /** importers every scenario has (the importers under test), at most 3 */
  readonly required: readonly DriverVariant[];
  /** kernel versions to draw from; each must hold every variant above (kernelsFor) */
  readonly kernels: readonly KernelVersion[];
}

/** Most transfers one scenario submits: each multiplies the search (README: about 10x). */
export const MAX_TRANSFERS = 4;

const TRIGGERS: readonly RevokeTrigger[] = ['mem-disable', 'flr', 'reset', 'hot-reset', 'd3'];
const PREFIX: Readonly<Record<string, string>> = { 'gpu-dynamic': 'gpu', iommufd: 'iommu', 'rdma-pinned': 'rdma', 'rdma-odp': 'odp', static: 'st' };

function variantInfo(dv: DriverVariant) {
  return (findExporter(dv.driver) ?? findImporter(dv.driver))?.variants.find((v) => v.name === dv.variant);
}

/** Kernel versions in which every one of `dvs` exists (oldest first). */
export function kernelsFor(dvs: readonly DriverVariant[]): KernelVersion[] {
  return KERNEL_VERSIONS.filter((k) => dvs.every((dv) => {
    const ks = variantInfo(dv)?.kernels;
    return !ks || ks.includes(k);
  }));
}

const exporterStep = (op: ExporterOp, trigger?: RevokeTrigger): Step =>
  ({ kind: 'exporter', op, ...(trigger ? { trigger } : {}), text: trigger ? `revoke(${trigger})` : op });

const importerStep = (op: ImporterOp, importer: string, count = 1, write = true): Step =>
  ({ kind: 'importer', op, importer, count, write, text: op === 'dma' ? `dma(${importer}, ${count}${write ? '' : ', read'})` : `${op}(${importer})` });

/** The exporter's side: one or two control threads, shaped as the races that matter. */
function controlThreads(rng: Prng, exp: DriverVariant, ops: readonly ExporterOp[]): Step[][] {
  const revoke = (): Step => {
    if (exp.driver !== 'vfio-pci') return exporterStep(ops.includes('revoke') ? 'revoke' : 'evict');
    const t = rng.weighted([undefined, ...TRIGGERS.slice(1)], [4, 1, 1, 1, 1]);
    return exporterStep('revoke', t);
  };
  const has = (op: ExporterOp) => ops.includes(op);
  const shapes: { w: number; make: () => Step[][] }[] = [
    { w: 4, make: () => [[revoke()]] },
    { w: has('unrevoke') ? 2 : 0, make: () => [[revoke(), exporterStep('unrevoke')]] },
    { w: has('unrevoke') ? 2 : 0, make: () => [[revoke(), exporterStep('unrevoke'), revoke()]] },
    { w: has('unrevoke') ? 1 : 0, make: () => [[revoke()], [exporterStep('unrevoke')]] },
    { w: has('close') ? 2 : 0, make: () => [[revoke(), exporterStep('close')]] },
    { w: has('close') ? 1 : 0, make: () => [[revoke()], [exporterStep('close')]] },
    { w: has('close') ? 1 : 0, make: () => [[exporterStep('close')]] },
    { w: 2, make: () => [[revoke()], [revoke()]] },
    { w: has('evict') ? 3 : 0, make: () => [[exporterStep('evict')]] },
    { w: has('evict') ? 1 : 0, make: () => [[exporterStep('evict'), exporterStep('evict')]] },
    { w: has('unplug') ? 2 : 0, make: () => [[exporterStep('unplug')]] },
    { w: has('unplug') && has('evict') ? 1 : 0, make: () => [[exporterStep('evict')], [exporterStep('unplug')]] },
  ];
  return rng.weighted(shapes, shapes.map((s) => s.w)).make();
}

/**
 * One random scenario named `name` for target `t`. The draft's text (text.ts) loads
 * without error; test/fuzz.test.ts checks that with the real loader on generated drafts.
 */
export function generateDraft(rng: Prng, t: GenTarget, name: string, description: string): ScenarioDraft {
  const kernel = rng.weighted(t.kernels, t.kernels.map((k) => (k === 'landed' ? 3 : 1)));
  const moveNotify = (kernel === 'pre' || kernel === 'v2') && rng.chance(0.5);
  const exp = findExporter(t.exporter.driver)!;
  const pool = t.importers.filter((dv) => kernelsFor([dv]).includes(kernel));
  const n = rng.weighted([1, 2, 3], [5, 3, 2]);
  const chosen: DriverVariant[] = [...t.required];
  while (chosen.length < n && pool.length) chosen.push(rng.pick(pool));
  const used = new Map<string, number>();
  const importers: ImporterSpec[] = chosen.map((dv) => {
    const d = findImporter(dv.driver)!;
    const prefix = PREFIX[d.name] ?? 'imp';
    const k = used.get(prefix) ?? 0;
    used.set(prefix, k + 1);
    const spec = d.keys?.includes('speculative-reads') ? rng.weighted([undefined, false, true], [2, 1, 1]) : undefined;
    return {
      id: `${prefix}${k}`, driver: d.name, variant: dv.variant,
      peer2peer: !(d.dynamic && rng.chance(0.1)),
      pinned: d.keys?.includes('pinned') === true && rng.chance(0.25),
      speculativeReads: spec,
    };
  });
  const control = controlThreads(rng, t.exporter, exp.ops as ExporterOp[]);
  const threads: { name: string; steps: Step[] }[] = control.map((steps, i) => ({ name: i ? `ctl${i + 1}` : 'ctl', steps }));
  let transfers = 0;
  for (const m of importers) {
    const ops = findImporter(m.driver)!.ops as ImporterOp[];
    const user: Step[] = [importerStep('import', m.id)];
    for (let a = rng.weighted([0, 1, 2, 3], [1, 4, 3, 1]); a > 0; a--) {
      if (ops.includes('remap') && rng.chance(0.3)) { user.push(importerStep('remap', m.id)); continue; }
      if (transfers >= MAX_TRANSFERS) continue;
      const count = Math.min(rng.weighted([1, 2], [3, 1]), MAX_TRANSFERS - transfers);
      transfers += count;
      user.push(importerStep('dma', m.id, count, rng.chance(0.7)));
    }
    threads.push({ name: `${m.id}-user`, steps: user });
    // where the teardown runs: after the user's work, in a thread of its own (racing the
    // transfers), or after the revoke in the control thread (b12, b5). Always somewhere: a
    // scenario that never releases leaks by its own doing, which is no finding about a driver.
    const release = importerStep('release', m.id);
    const where = rng.weighted(['user', 'own', 'control'], [5, 2, 2]);
    if (where === 'user') user.push(release);
    else if (where === 'own') threads.push({ name: `${m.id}-teardown`, steps: [release] });
    else threads[0]!.steps.push(release);
  }
  // a revoke inside a user thread races that importer's own next steps only through locks
  if (importers.length && rng.chance(0.15) && threads.length < LIMITS.threads) {
    const u = threads.find((x) => x.name.endsWith('-user'))!;
    u.steps.splice(rng.range(1, u.steps.length), 0, control[0]![0]!);
  }
  return { name, description, kernel, moveNotify, exporter: t.exporter, importers, threads: threads.slice(0, LIMITS.threads), expect: null };
}
