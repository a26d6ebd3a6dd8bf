/**
 * Scenario synthesis for `dmabuf-lab fuzz`: random scenarios over the contract's driver
 * operations (spec/scenario-format.md §1), valid by construction. Every choice comes from
 * a seeded Prng, so a seed gives the same scenarios. The draws lean toward the races the
 * revoke series got wrong: a revoke racing an import, a transfer, a release, an unrevoke or
 * a close, two resets, an eviction racing a pinned importer.
 */
import { findExporter, findImporter } from '../drivers/catalogue.ts';
import { REVOKE_TRIGGERS, type ExporterOp, type ImporterOp, type RevokeTrigger } from '../drivers/types.ts';
import { KERNEL_VERSIONS, type KernelVersion } from '../kernel/kernel.ts';
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

/** Importer drivers that cannot be invalidated (they unmap only at their release). */
const HOLDS_ON_UNPLUG: readonly string[] = ['static', 'rdma-pinned'];
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

/** A VFIO revoke by one of D-VFIO-8's triggers, the memory-disable path most often. */
const vfioRevoke = (rng: Prng): Step => exporterStep('revoke', rng.weighted([undefined, ...REVOKE_TRIGGERS.slice(1)], [4, 1, 1, 1, 1]));

/** The exporter's side: one or two control threads, shaped as the races that matter. */
function controlThreads(rng: Prng, exp: DriverVariant, ops: readonly ExporterOp[]): Step[][] {
  const revoke = (): Step => (exp.driver === 'vfio-pci' ? vfioRevoke(rng) : exporterStep(ops.includes('revoke') ? 'revoke' : 'evict'));
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
  // An importer that cannot be invalidated holds an unplugging GPU's memory until it lets
  // go: the unplug then waits for ever or the importer writes after its fence wait. The
  // bundled gpu-unplug-rdma-pinned-waits shows that hazard of the contract with correct
  // drivers; generated unplugs would find it again in every such scenario.
  const holds = importers.some((m) => HOLDS_ON_UNPLUG.includes(m.driver));
  const ops = (exp.ops as ExporterOp[]).filter((op) => op !== 'unplug' || !holds);
  const control = controlThreads(rng, t.exporter, ops);
  const threads: { name: string; steps: Step[] }[] = control.map((steps, i) => ({ name: i ? `ctl${i + 1}` : 'ctl', steps }));
  let transfers = 0;
  for (const m of importers) {
    const iops = findImporter(m.driver)!.ops as ImporterOp[];
    const user: Step[] = [importerStep('import', m.id)];
    for (let a = rng.weighted([0, 1, 2, 3], [1, 4, 3, 1]); a > 0; a--) {
      if (iops.includes('remap') && rng.chance(0.3)) { user.push(importerStep('remap', m.id)); continue; }
      if (transfers >= MAX_TRANSFERS) continue;
      const count = Math.min(rng.weighted([1, 2], [3, 1]), MAX_TRANSFERS - transfers);
      transfers += count;
      user.push(importerStep('dma', m.id, count, rng.chance(0.7)));
    }
    // The teardown follows the import in the same thread: a release in another thread may
    // run first, release nothing, and leave the later import to leak by the scenario's
    // own doing, which is no finding about a driver. Its transfers still race it (they
    // run on the device's engine), and so do the control threads.
    user.push(importerStep('release', m.id));
    threads.push({ name: `${m.id}-user`, steps: user });
  }
  // a revoke in the importer's own thread, between its import and its release: the
  // teardown then waits behind it (b12's shape), with no other thread to unblock it
  const own = threads.filter((x) => x.name.endsWith('-user'));
  const inline = ops.filter((op) => op === 'revoke' || op === 'evict');
  if (own.length && inline.length && rng.chance(0.2)) {
    const u = rng.pick(own);
    const op = rng.pick(inline);
    u.steps.splice(rng.range(1, u.steps.length - 1), 0, op === 'revoke' && t.exporter.driver === 'vfio-pci' ? vfioRevoke(rng) : exporterStep(op));
  }
  return { name, description, kernel, moveNotify, exporter: t.exporter, importers, threads, expect: null };
}
