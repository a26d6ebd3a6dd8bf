/**
 * The importer drivers the data world models, each declared once for the world builder
 * (frame-world.ts): its state struct, its op dispatcher and invalidate callback, its
 * background threads in the generator world's order (world.ts starts them as the driver's
 * `create` does), the capacities of its pools, its switches, and the protections of its
 * own fields (sim/fusion.ts checks each on every access).
 */
import type { FrameSimBuilder } from '../sim/frame-sim.ts';
import { fnId, type FrameModule, type FrameProgram } from '../sim/frames.ts';
import type { StoreLayout } from '../sim/store.ts';
import { structAt, structPool, type StructShape } from '../sim/struct.ts';
import type { Protection } from '../sim/txn.ts';
import type { KernelVersion } from '../kernel/kernel.ts';
import { STRUCTS as FENCE } from '../kernel/frame-fence.frames.ts';
import { STRUCTS as BUF } from '../kernel/frame-dma-buf.frames.ts';
import { STRUCTS as ENGINE } from '../hw/frame-engine.frames.ts';
import { STRUCTS as IOMMU } from '../hw/frame-iommu.frames.ts';
import type { ImporterFrameEnv } from '../drivers/frame-env.ts';
import { FN as GPUI_FN, frames as gpuiFrames, STRUCTS as GPUI } from '../drivers/frame-gpu-dynamic.frames.ts';
import { FN as INVAL_FN, frames as invalFrames } from '../drivers/frame-gpu-invalidate.frames.ts';
import { FN as IOMMUFD_FN, frames as iommufdFrames, STRUCTS as IOMMUFD } from '../drivers/frame-iommufd.frames.ts';
import { FN as IOMMUFD_OPS_FN, frames as iommufdOpsFrames } from '../drivers/frame-iommufd-ops.frames.ts';
import { FN as PINNED_FN, frames as pinnedFrames, STRUCTS as PINNED } from '../drivers/frame-rdma-pinned.frames.ts';
import { FN as PINNED_OPS_FN, frames as pinnedOpsFrames } from '../drivers/frame-rdma-pinned-ops.frames.ts';
import { gpuiSwitches } from '../drivers/gpu-dynamic.ts';
import { iommufdSwitches } from '../drivers/iommufd.ts';
import { pinnedCallbackForm } from '../drivers/rdma-pinned.ts';
import { odpSwitches } from '../drivers/rdma-odp.ts';
import { FN as ODP_FN, frames as odpFrames, STRUCTS as ODP } from '../drivers/frame-rdma-odp.frames.ts';
import { FN as ODP_OPS_FN, frames as odpOpsFrames } from '../drivers/frame-rdma-odp-ops.frames.ts';
import { FN as GPUI_RELEASE_FN, frames as gpuiReleaseFrames } from '../drivers/frame-gpu-release.frames.ts';
import { FN as IMPORTER_FN, frames as importerFrames } from '../drivers/frame-importer.frames.ts';
import { FN as STATIC_FN, frames as staticFrames, STRUCTS as STATIC } from '../drivers/frame-static.frames.ts';
import type { ImporterSpec } from './types.ts';

/** Capacities: a full pool is a model bug (a thrown error), never a state. */
const TABLES = 12;
const FENCES = 24;
const JOBS = 24;
const ITEMS = 8;
const IOVAS = 4;

/** A background thread of an importer, named `DEV-KIND` as the generator world names it. */
export interface BgThread {
  readonly name: string;
  readonly imp: number;
  readonly kind: 'engine' | 'unmapper' | 'remap' | 'prefetch' | 'pagefault';
}

const NO_GPU = { noFence: false, remapInCallback: false, pinnedIgnoresInvalidate: false, eagerRemap: false };
const NO_IOMMUFD = { pins: false, noUnpin: false, unpinUnlocked: false };
const NO_ODP = { ignoresInvalidate: false, noUnmap: false };

interface ImporterPort {
  /** its state object's struct */
  readonly state: StructShape;
  /** its scenario ops in IMP_OPS order (import, dma, remap, release: `fn(k, imp)`, dma `fn(k, imp, count, write)`), null for one it lacks; and its invalidate callback */
  readonly ops: readonly ({ readonly module: FrameModule; readonly fn: number } | null)[];
  readonly invalidateModule: FrameModule;
  readonly invalidate: number;
  /** it attaches without importer ops (R34: a static attachment), so it has no callback either */
  readonly static?: boolean;
  /** whether it has the callback in `version` (else none: -1), and whether it is the v3 sentinel (R45 takes it for none) */
  callback?(im: ImporterSpec, version: KernelVersion): { readonly present: boolean; readonly unsupported: boolean };
  /** its background threads, in the order its generator `create` starts them */
  background(im: ImporterSpec): BgThread['kind'][];
  /** whether its attachments allow peer-to-peer (its ops' allowPeer2peer) */
  peer2peer(im: ImporterSpec): boolean;
  readonly caps: { readonly tables: number; readonly items: number; readonly iovas: number };
  readonly pagesMutex: boolean;
  /** its switches, resolved for `version` */
  switches(im: ImporterSpec, version: KernelVersion): Pick<ImporterFrameEnv, keyof typeof NO_GPU | keyof typeof NO_IOMMUFD | keyof typeof NO_ODP | 'logsInvalidate'>;
  /** the function id its engine jobs run (DmaJob.run), if they run driver code */
  jobRun?: { readonly module: FrameModule; readonly fn: number };
  /**
   * Protections of its state's fields: guarded by the buffer's resv (`resv`), counters
   * consumed by its unmapper thread (`unmapper`, -1 if none).
   */
  protect(layout: StoreLayout, g: ImporterFrameEnv, resv: number, unmapper: number): void;
}

const PORTS: Readonly<Record<string, ImporterPort>> = {
  'gpu-dynamic': {
    state: GPUI.GpuImporter,
    ops: [{ module: gpuiFrames, fn: GPUI_FN.doImport }, { module: gpuiFrames, fn: GPUI_FN.doDma }, { module: gpuiFrames, fn: GPUI_FN.doRemap }, { module: gpuiReleaseFrames, fn: GPUI_RELEASE_FN.doRelease }],
    invalidateModule: invalFrames, invalidate: INVAL_FN.gpuiInvalidate,
    background: (im) => ['engine', 'unmapper', ...(gpuiSwitches(im.variant).eagerRemap ? ['remap' as const] : []), ...(im.speculativeReads ?? true ? ['prefetch' as const] : [])],
    peer2peer: (im) => im.peer2peer,
    caps: { tables: TABLES, items: ITEMS, iovas: 0 },
    pagesMutex: false,
    switches: (im) => ({ ...gpuiSwitches(im.variant), ...NO_IOMMUFD, ...NO_ODP, logsInvalidate: false }),
    protect(layout, g, resv, unmapper) {
      // the unmapper alone consumes the queue; the callback only increments it
      protectFields(layout, g.st, GPUI.GpuImporter, ['queued'], { counter: unmapper });
      protectFields(layout, g.st, GPUI.GpuImporter, ['table', 'valid', 'tableNotified', 'closing'], { lock: resv });
    },
  },
  iommufd: {
    state: IOMMUFD.IommufdImporter,
    ops: [{ module: iommufdFrames, fn: IOMMUFD_FN.doImport }, { module: iommufdOpsFrames, fn: IOMMUFD_OPS_FN.doDma }, null, { module: iommufdOpsFrames, fn: IOMMUFD_OPS_FN.doRelease }],
    invalidateModule: iommufdFrames, invalidate: IOMMUFD_FN.iommufdRevokeNotify,
    background: () => ['engine'],
    peer2peer: () => true,
    caps: { tables: 0, items: 0, iovas: IOVAS },
    pagesMutex: true,
    switches: (im, version) => {
      const sw = iommufdSwitches(im.variant);
      // D-IOMMUFD-1: `[v2,landed]` pin after attach (the patch was dropped in v3)
      return { ...NO_GPU, ...NO_ODP, pins: !sw.noPin && (version === 'v2' || version === 'landed'), noUnpin: sw.noUnpin, unpinUnlocked: sw.unpinUnlocked, logsInvalidate: false };
    },
    protect(layout, g) {
      // read and written under the iopt_pages mutex only (the range itself is read without it: doDma)
      protectFields(layout, g.st, IOMMUFD.IommufdImporter, ['revoked'], { lock: g.pagesMutex });
    },
  },
  'rdma-pinned': {
    state: PINNED.RdmaPinnedImporter,
    ops: [{ module: pinnedFrames, fn: PINNED_FN.doImport }, { module: pinnedOpsFrames, fn: PINNED_OPS_FN.doDma }, null, { module: pinnedOpsFrames, fn: PINNED_OPS_FN.doRelease }],
    invalidateModule: pinnedFrames, invalidate: PINNED_FN.rdmaPinnedLogOnly,
    callback: (im, version) => {
      const form = pinnedCallbackForm(version, im.variant);
      return { present: form !== 'absent', unsupported: form === 'sentinel' };
    },
    background: (im) => ['engine', ...(im.speculativeReads ?? true ? ['prefetch' as const] : [])],
    peer2peer: () => true,
    caps: { tables: TABLES, items: 0, iovas: 0 },
    pagesMutex: false,
    switches: (im, version) => ({ ...NO_GPU, ...NO_IOMMUFD, ...NO_ODP, logsInvalidate: pinnedCallbackForm(version, im.variant) !== 'absent' }),
    // its fields are read without a lock the model declares (the table and the observer's bit by the posts)
    protect() {},
  },
  'rdma-odp': {
    state: ODP.OdpImporter,
    ops: [{ module: odpFrames, fn: ODP_FN.doImport }, { module: odpOpsFrames, fn: ODP_OPS_FN.doDma }, { module: odpFrames, fn: ODP_FN.prefetch }, { module: odpOpsFrames, fn: ODP_OPS_FN.doRelease }],
    invalidateModule: odpFrames, invalidate: ODP_FN.odpInvalidate,
    background: (im) => ['engine', 'pagefault', ...(im.speculativeReads ?? true ? ['prefetch' as const] : [])],
    peer2peer: () => true,
    caps: { tables: TABLES, items: 0, iovas: 0 },
    pagesMutex: false,
    switches: (im) => ({ ...NO_GPU, ...NO_IOMMUFD, ...odpSwitches(im.variant), logsInvalidate: false }),
    jobRun: { module: odpOpsFrames, fn: ODP_OPS_FN.odpWorkRequest },
    protect(layout, g, resv) {
      // the table and the closing flag are read and written under the resv only (the NIC reads the mkey's fields)
      protectFields(layout, g.st, ODP.OdpImporter, ['table', 'closing'], { lock: resv });
    },
  },
  static: {
    state: STATIC.StaticImporter,
    ops: [{ module: staticFrames, fn: STATIC_FN.doImport }, { module: staticFrames, fn: STATIC_FN.doDma }, null, { module: staticFrames, fn: STATIC_FN.doRelease }],
    invalidateModule: staticFrames, invalidate: -1, static: true,
    callback: () => ({ present: false, unsupported: false }),
    // S21: off by default for a static importer; `speculative-reads: true` turns it on
    background: (im) => ['engine', ...(im.speculativeReads === true ? ['prefetch' as const] : [])],
    peer2peer: () => false,
    caps: { tables: TABLES, items: 0, iovas: 0 },
    pagesMutex: false,
    switches: () => ({ ...NO_GPU, ...NO_IOMMUFD, ...NO_ODP, logsInvalidate: false }),
    protect() {},
  },
};

function port(im: ImporterSpec): ImporterPort {
  const p = PORTS[im.driver];
  if (!p || !Object.hasOwn(PORTS, im.driver)) throw new Error(`internal: importer driver ${im.driver} is not in the data world`);
  return p;
}

/** Whether the data world models importer driver `driver`. */
export function importerPorted(driver: string): boolean {
  return Object.hasOwn(PORTS, driver);
}

/** The background threads of every importer, importer by importer. */
export function backgroundThreads(importers: readonly ImporterSpec[]): BgThread[] {
  return importers.flatMap((im, imp) => port(im).background(im).map((kind) => ({ name: `${im.id}-${kind}`, imp, kind })));
}

/** The importers' mutexes (op lock, iommufd's pages mutex; 0 for none), declared with the world's other locks. */
export function importerMutexes(b: FrameSimBuilder, importers: readonly ImporterSpec[]): { opLocks: number[]; pagesMutexes: number[] } {
  return {
    opLocks: importers.map((im) => b.mutex(`${im.id}.ops`, 'importer-ops')),
    pagesMutexes: importers.map((im) => (port(im).pagesMutex ? b.mutex(`${im.id}.pages.mutex`, 'iopt_pages.mutex') : 0)),
  };
}

/** Each importer's objects in `layout` and its switches (the env `k.env.imps`). */
export function importerEnvs(layout: StoreLayout, prog: FrameProgram, importers: readonly ImporterSpec[], version: KernelVersion, locks: ReturnType<typeof importerMutexes>): ImporterFrameEnv[] {
  return importers.map((im, imp) => {
    const p = port(im);
    return {
      ...p.switches(im, version), workRequest: p.jobRun ? fnId(prog, p.jobRun.module, p.jobRun.fn) : -1,
      opFns: p.ops.map((o) => (o ? fnId(prog, o.module, o.fn) : -1)), pinned: im.pinned, ops: p.static ? 0 : imp + 1, context: imp + 1,
      st: structAt(layout, im.id, p.state),
      attachment: structAt(layout, `${im.id}-attach`, BUF.DmaBufAttachment),
      engine: structAt(layout, `${im.id}.engine`, ENGINE.DmaEngine),
      opLock: locks.opLocks[imp]!, pagesMutex: locks.pagesMutexes[imp]!,
      tables: structPool(layout, `${im.id}.tables`, p.caps.tables, BUF.SgTable),
      fences: structPool(layout, `${im.id}.fences`, FENCES, FENCE.DmaFence),
      jobs: structPool(layout, `${im.id}.jobs`, JOBS, ENGINE.DmaJob),
      items: structPool(layout, `${im.id}.items`, p.caps.items, GPUI.UnmapItem),
      iovas: structPool(layout, `${im.id}.iovas`, p.caps.iovas, IOMMU.IommuMapping),
    };
  });
}

/** The kernel's table entry of each importer's ops: peer-to-peer and its invalidate callback's function id. */
export function importerOpsTables(prog: FrameProgram, importers: readonly ImporterSpec[], version: KernelVersion): { allowPeer2peer: boolean; invalidate: number; unsupported: boolean }[] {
  return importers.map((im) => {
    const p = port(im);
    const cb = p.callback?.(im, version) ?? { present: true, unsupported: false };
    return { allowPeer2peer: p.peer2peer(im), invalidate: cb.present ? fnId(prog, p.invalidateModule, p.invalidate) : -1, unsupported: cb.unsupported };
  });
}

/** The function id of each importer's op dispatcher (frame-steps.ts invokes it). */
export function importerOpFns(prog: FrameProgram, importers: readonly ImporterSpec[]): number[] {
  return importers.map(() => fnId(prog, importerFrames, IMPORTER_FN.importerOp));
}

/** Whether importer `im`'s engine jobs run driver code (frame-units.ts: the engine then writes the importer's state). */
export function importerEngineRuns(im: ImporterSpec): boolean {
  return port(im).jobRun !== undefined;
}

/** Importer `imp`'s state struct. */
export function importerState(im: ImporterSpec): StructShape {
  return port(im).state;
}

/** Importer `imp`'s attachments allow peer-to-peer. */
export function importerPeer2peer(im: ImporterSpec): boolean {
  return port(im).peer2peer(im);
}

/**
 * Protections of every importer's objects: what every importer has (the attachment's
 * and engine's set-up fields constant, the engine's queue a counter its engine thread
 * consumes, each fence's signalled bit written once), then its driver's own.
 */
export function protectImporters(layout: StoreLayout, importers: readonly ImporterSpec[], imps: readonly ImporterFrameEnv[], resv: number, thread: (imp: number, kind: BgThread['kind']) => number): void {
  const constant = { constant: true } as const;
  imps.forEach((g, i) => {
    protectFields(layout, g.engine, ENGINE.DmaEngine, ['queued'], { counter: thread(i, 'engine') });
    for (let f = 0; f < g.fences.cap; f++) protectFields(layout, g.fences.base + f * g.fences.width, FENCE.DmaFence, ['signaled'], { once: true });
    protectFields(layout, g.attachment, BUF.DmaBufAttachment, ['dmabuf', 'importerOps', 'importerPriv', 'peer2peer', 'dev'], constant);
    protectFields(layout, g.engine, ENGINE.DmaEngine, ['dev', 'tracker'], constant);
    port(importers[i]!).protect(layout, g, resv, thread(i, 'unmapper'));
  });
}

/** The fields of `shape` named in `names`, at object `ref`, declared `p`. */
export function protectFields(layout: StoreLayout, ref: number, shape: { readonly fields: readonly string[] }, names: readonly string[], p: Protection): void {
  for (const n of names) {
    const i = shape.fields.indexOf(n);
    if (i < 0) throw new Error(`internal: no field ${n}`);
    layout.protect(ref + i, 1, p);
  }
}

/** Every module the ported importers name (their ops, callbacks, threads): the roots the world links. */
export function importerModules(): FrameModule[] {
  return [...new Set(Object.values(PORTS).flatMap((p) => [
    ...p.ops.flatMap((o) => (o ? [o.module] : [])), p.invalidateModule, ...(p.jobRun ? [p.jobRun.module] : []),
  ])), importerFrames];
}
