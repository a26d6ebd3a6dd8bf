/**
 * The data world of a scenario (docs/design.md "Port plan"): the layout of every object
 * the ported models keep (kernel, hardware, driver state, thread control state), the
 * context each thread runs in, and the initial state, so that the stateful search copies
 * and hashes one typed array. Built for scenarios whose drivers are ported
 * (`framePorted`): a vfio-pci exporter and importers of the drivers frame-importers.ts
 * declares (gpu-dynamic, iommufd, rdma-pinned, rdma-odp, static), exporter and importer steps. Thread ids are the generator world's (world.ts): the scenario threads in file
 * order, then each importer's background threads, so a schedule means the same in both.
 */
import type { FrameGuard, FrameSink } from '../sim/frame-ops.ts';
import { FrameSimBuilder, type FrameSim } from '../sim/frame-sim.ts';
import { frameContexts, frameFinished, frameStart, frameStep, frameThread, fnId, linkFrames, type FrameProgram, type FrameRunCtx, type FrameThread } from '../sim/frames.ts';
import { Store, StoreLayout } from '../sim/store.ts';
import { storeList } from '../sim/store-list.ts';
import { structAt, structPool } from '../sim/struct.ts';
import { frameKernelSlots, type FrameKernel } from '../kernel/frame-kernel.ts';
import { STRUCTS as FENCE } from '../kernel/frame-fence.frames.ts';
import { dmaBufExport, STRUCTS as BUF } from '../kernel/frame-dma-buf.frames.ts';
import { STRUCTS as RESV } from '../kernel/frame-resv.frames.ts';
import { STRUCTS as REGION } from '../hw/frame-region.frames.ts';
import { STRUCTS as ORACLE } from '../hw/frame-oracle.frames.ts';
import { FN as ENGINE_FN, frames as engineFrames, STRUCTS as ENGINE } from '../hw/frame-engine.frames.ts';
import { FN as PREFETCH_FN, frames as prefetchFrames } from '../hw/frame-prefetch.frames.ts';
import { STRUCTS as IOMMU } from '../hw/frame-iommu.frames.ts';
import { DRIVER_LABELS, EXP_OPS, FENCE_KINDS, IMP_OPS, type VfioFrameEnv } from '../drivers/frame-env.ts';
import { FN as VFIO_FN, frames as vfioFrames, STRUCTS as VFIO, vfioAtEnd, vfioAttached } from '../drivers/frame-vfio-pci.frames.ts';
import { STRUCTS as GPUI } from '../drivers/frame-gpu-dynamic.frames.ts';
import { FN as INVAL_FN, frames as invalFrames } from '../drivers/frame-gpu-invalidate.frames.ts';
import { FN as ODP_FN, frames as odpFrames } from '../drivers/frame-rdma-odp.frames.ts';
import { FN as VOPS_FN, frames as vopsFrames } from '../drivers/frame-vfio-ops.frames.ts';
import { vfioFrameSwitches } from '../drivers/vfio-pci.ts';
import { REVOKE_TRIGGERS } from '../drivers/types.ts';
import { FN as STEPS_FN, frames as stepsFrames } from './frame-steps.frames.ts';
import type { FrameStep, StepsEnv } from './frame-steps.ts';
import type { Scenario } from './types.ts';
import { frameUnits, type FrameUnits } from './frame-units.ts';
import { FrameMembersBuilder, scenarioThreadImage, SlotValue, threadImporters, type FrameMembers } from './frame-members.ts';
import {
  backgroundThreads, importerEngineRuns, importerEnvs, importerModules, importerMutexes, importerOpFns, importerOpsTables, importerPeer2peer, importerPorted, importerState,
  protectFields, protectImporters,
} from './frame-importers.ts';
import { Prot } from '../sim/txn.ts';

/** Capacities: a full pool or list is a model bug (a thrown error), never a state (importers' pools: frame-importers.ts). */
const RESV_SLOTS = 16;
const DEPTH = 10;

/** Whether the data world models every driver and step of `sc` (else the generator world runs it). */
export function framePorted(sc: Scenario): boolean {
  return sc.exporter.driver === 'vfio-pci' && sc.importers.every((im) => importerPorted(im.driver))
    && sc.threads.every((t) => t.steps.every((s) => s.kind === 'exporter' ? s.op !== 'evict' && s.op !== 'unplug' : s.kind === 'importer'));
}

export interface FrameWorld {
  readonly layout: StoreLayout;
  readonly threads: readonly string[];
  /** how many of `threads` are the scenario's (the rest are background threads, which never end) */
  readonly scenarioThreads: number;
  readonly prog: FrameProgram;
  readonly frames: readonly FrameThread[];
  /** writes the initial state into a zeroed store: objects set up, every thread run to its first yield */
  init(s: Store): void;
  /** thread `t`'s context on `s` */
  ctx(s: Store, t: number): FrameRunCtx<StepsEnv>;
  /** the checks at the end of an execution where every scenario thread returned (P6) */
  atEnd(s: Store): void;
  /** where events and violations go: set before a step (`records` false in a search) */
  sink: FrameSink;
  /** units and lifetime footprints for persistent sets (frame-units.ts) */
  readonly units: FrameUnits;
  /** what a renaming of identical importers maps (frame-members.ts) */
  readonly members: FrameMembers;
}

const NO_SINK: FrameSink = { records: false, event(): void {}, report(): void {} };

/** Builds the data world of a ported scenario (`framePorted`). */
export function buildFrameWorld(sc: Scenario): FrameWorld {
  const layout = new StoreLayout();
  const devs = sc.importers.map((im) => im.id);
  const names = sc.threads.map((t) => t.name);
  const bg = backgroundThreads(sc.importers);
  names.push(...bg.map((b) => b.name));

  const b = new FrameSimBuilder(layout, names);
  const memoryLock = b.mutex('memory_lock');
  const locks = importerMutexes(b, sc.importers);
  const comp = b.completion('vfio.comp');
  const resv = structAt(layout, 'vfio-buf.resv', RESV.DmaResv, ['lock']);
  b.lockClass(resv, 'reservation_ww_class');
  const fenceSlots = storeList(layout, 'vfio-buf.resv.fence_slots', RESV_SLOTS);
  const sim: FrameSim = b.done();
  const slots = frameKernelSlots(layout, sim);
  const bufs = structPool(layout, 'bufs', 1, BUF.DmaBuf);
  const bar = structAt(layout, 'BAR0', REGION.MemRegion);
  const tracker = structAt(layout, 'vfio-buf', ORACLE.RevokeTracker);
  const priv = structAt(layout, 'vfio', VFIO.VfioPriv);
  const fdOpen = layout.field('vfio-buf.fd_open');
  const prog = linkFrames(stepsFrames, vfioFrames, vopsFrames, ...importerModules(), engineFrames, prefetchFrames);
  const imps = importerEnvs(layout, prog, sc.importers, sc.kernel, locks);
  const pendingReads = devs.map((d) => layout.field(`${d}.pending_reads`));
  const bgThread = (imp: number, kind: string) => {
    const i = bg.findIndex((x) => x.imp === imp && x.kind === kind);
    return i < 0 ? -1 : sc.threads.length + i;
  };
  const exporterThreads = sc.threads.flatMap((t, i) => (t.steps.some((st) => st.kind === 'exporter') ? [i] : []));
  declareProtections(layout, {
    sim, resv, fenceSlots: fenceSlots.len, bufs: bufs.base, priv, memoryLock, comp,
    compWaiter: exporterThreads.length === 1 ? exporterThreads[0]! : -1,
  });
  protectImporters(layout, sc.importers, imps, resv, bgThread);
  const frames = names.map((n, t) => frameThread(layout, n, DEPTH, prog.width, { local: t }));

  const off = (fields: readonly string[], f: string) => fields.indexOf(f);
  const A = (f: string) => off(BUF.DmaBufAttachment.fields, f);
  const T = (f: string) => off(BUF.SgTable.fields, f);
  const F = (f: string) => off(FENCE.DmaFence.fields, f);
  const J = (f: string) => off(ENGINE.DmaJob.fields, f);
  const fenceName = (s: Store, f: number) => `${devs[s.get(f + F('owner')) - 1]}-${FENCE_KINDS[s.get(f + F('kind'))]}${s.get(f + F('seqno'))}`;
  const vsw = vfioFrameSwitches(sc.kernel, sc.exporter.variant);
  const vid = (fn: number) => fnId(prog, vfioFrames, fn);
  const kernel: FrameKernel = {
    version: sc.kernel, ...slots, callbacks: [], callbackName: () => '', fenceName,
    configMoveNotify: sc.kernel === 'v3' || sc.kernel === 'landed' ? true : sc.moveNotify,
    exporters: [{
      name: 'vfio-pci', attach: vid(VFIO_FN.vfioAttach), detach: -1, map: vid(VFIO_FN.vfioMap), unmap: vid(VFIO_FN.vfioUnmap), release: vid(VFIO_FN.vfioRelease),
      pin: vsw.pin === 0 ? -1 : vid(VFIO_FN.vfioPin), unpin: vsw.pin === 0 ? -1 : vid(VFIO_FN.vfioUnpin),
      attached: (k, buf, a) => vfioAttached(k as never, buf as never, a as never),
    }],
    importers: importerOpsTables(prog, sc.importers, sc.kernel),
    bufName: () => 'vfio-buf',
    devName: (s, a) => devs[s.get(a + A('dev'))]!,
    attachmentName: (s, a) => `${devs[s.get(a + A('dev'))]}-attach`,
    tableName: (s, t) => `${devs[s.get(s.get(t + T('attachment')) + A('dev'))]}-sgt${s.get(t + T('seq'))}`,
    labels: DRIVER_LABELS, contexts: [], ctxName: () => '', wwGuard: -1,
  };
  const deviceTables = imps.map((g) => Array.from({ length: g.tables.cap }, (_, i) => g.tables.base + i * g.tables.width));
  // the buffer is the first object of its pool: dmaBufExport takes the lowest free one
  const vfio: VfioFrameEnv = { sw: vsw, buf: bufs.base, priv, bar, tracker, memoryLock, comp, fdOpen };
  const steps: FrameStep[][] = sc.threads.map((t) => t.steps.map((s): FrameStep => {
    if (s.kind === 'exporter') return { text: s.text, exporter: true, op: EXP_OPS.indexOf(s.op), arg: REVOKE_TRIGGERS.indexOf(s.trigger ?? 'mem-disable'), count: 0, write: false };
    if (s.kind !== 'importer') throw new Error('internal: a call step in a data world (framePorted refuses them)');
    return { text: s.text, exporter: false, op: IMP_OPS.indexOf(s.op), arg: devs.indexOf(s.importer), count: s.count, write: s.write };
  }));
  const env: StepsEnv = {
    sim, kernel, vfio, imps,
    hw: { tables: deviceTables.flat(), deviceTables, regions: [bar], pendingReads, actions: [], jobName: (s, j) => fenceName(s, s.get(j + J('fence'))) },
    scenario: { steps, exporterOp: fnId(prog, vopsFrames, VOPS_FN.vfioOp), importerOps: importerOpFns(prog, sc.importers) },
  };
  // the env is tables, never state: frozen, so that model code cannot keep state outside the store
  deepFreeze(env);
  const guards: readonly FrameGuard[] = [];
  const span = (base: number, shape: { readonly width: number }) => ({ base, width: shape.width });
  const prot = layout.protection();
  const units = frameUnits(sc, {
    size: layout.size, memoryLock, priv, comp, fdOpen, bufAttachments: off(BUF.DmaBuf.fields, 'attachments'),
    privFields: { revoked: off(VFIO.VfioPriv.fields, 'revoked'), kref: off(VFIO.VfioPriv.fields, 'kref'), drained: off(VFIO.VfioPriv.fields, 'drained'), cleanedUp: off(VFIO.VfioPriv.fields, 'cleanedUp') },
    resv: span(resv, RESV.DmaResv), fenceSlots: { base: fenceSlots.len, len: RESV_SLOTS + 1 }, buf: bufs,
    attachmentLinks: [A('next'), A('onList')], bar: span(bar, REGION.MemRegion), tracker: span(tracker, ORACLE.RevokeTracker),
    importers: imps.map((g, i) => ({
      st: span(g.st, importerState(sc.importers[i]!)), attached: g.st + off(importerState(sc.importers[i]!).fields, 'a'), attachment: span(g.attachment, BUF.DmaBufAttachment),
      engine: span(g.engine, ENGINE.DmaEngine), items: g.items, jobs: g.jobs, fences: g.fences, tables: g.tables, iovas: g.iovas,
      pendingReads: pendingReads[i]!, opLock: g.opLock, pagesMutex: g.pagesMutex, engineRuns: importerEngineRuns(sc.importers[i]!),
    })),
  }, prot, bg);
  const mb = new FrameMembersBuilder(layout, imps.length, names.length);
  mb.slots(memoryLock, 1, SlotValue.PLAIN);
  mb.slots(comp, 1, SlotValue.PLAIN);
  mb.struct(resv, RESV.DmaResv);
  // an entry is the fence's slot * 4 + its usage (kernel/frame-resv.ts entryFence)
  mb.list({ len: fenceSlots.len, cap: RESV_SLOTS }, SlotValue.REF4);
  mb.slots(sim.lockdep, sim.lockdepSlots, SlotValue.PLAIN);
  mb.slots(slots.signalling, names.length, SlotValue.PLAIN);
  mb.slots(slots.nextContext, 1, SlotValue.PLAIN);
  mb.slots(slots.nextStamp, 1, SlotValue.PLAIN);
  mb.pool(bufs, BUF.DmaBuf);
  mb.struct(bar, REGION.MemRegion);
  mb.struct(tracker, ORACLE.RevokeTracker);
  mb.struct(priv, VFIO.VfioPriv);
  mb.slots(fdOpen, 1, SlotValue.PLAIN);
  imps.forEach((g, i) => {
    const own = (base: number, len: number) => mb.importerOwns(i, base, len);
    const pool = (p: { used: number; base: number; cap: number; width: number }, shape: { readonly width: number; readonly fields: readonly string[]; readonly values?: string }) => {
      mb.pool(p, shape);
      own(p.used, 1);
      own(p.base, p.cap * p.width);
    };
    const state = importerState(sc.importers[i]!);
    mb.struct(g.st, state);
    own(g.st, state.width);
    mb.struct(g.attachment, BUF.DmaBufAttachment);
    own(g.attachment, BUF.DmaBufAttachment.width);
    mb.struct(g.engine, ENGINE.DmaEngine);
    own(g.engine, ENGINE.DmaEngine.width);
    own(g.opLock, 1);
    if (g.pagesMutex !== 0) own(g.pagesMutex, 1);
    pool(g.tables, BUF.SgTable);
    pool(g.fences, FENCE.DmaFence);
    pool(g.jobs, ENGINE.DmaJob);
    pool(g.items, GPUI.UnmapItem);
    pool(g.iovas, IOMMU.IommuMapping);
    mb.slots(pendingReads[i]!, 1, SlotValue.PLAIN);
    own(pendingReads[i]!, 1);
  });
  frames.forEach((th, t) => {
    mb.thread(th);
    mb.list(sim.held[t]!, SlotValue.REF);
    mb.threadOwns(t, sim.held[t]!.len, sim.held[t]!.cap + 1);
    mb.threadOwns(t, slots.signalling + t, 1);
    mb.threadOwns(t, th.sp, th.frames + th.depth * th.width - th.sp);
  });
  // a lock slot holds its owner's thread index + 1
  for (const l of layout.locks) mb.slots(l, 1, SlotValue.TID);
  const members = mb.done((i) => prot.kind[i] === Prot.CONST, frames, threadImporters(sc, bg), (imp) => scenarioThreadImage(sc, bg, imp));
  const world: FrameWorld = {
    layout, threads: names, scenarioThreads: sc.threads.length, prog, frames, sink: NO_SINK, units, members,
    init, ctx: (s, t) => ctxs[t]!(s), atEnd: (s) => vfioAtEnd(ctxs[0]!(s) as never),
  };
  // every context reports to the world's current sink
  const sink: FrameSink = {
    get records() { return world.sink.records; },
    event: (tid, label, detail) => world.sink.event(tid, label, detail),
    report: (tid, p, r, m) => world.sink.report(tid, p, r, m),
  };
  const ctxs = frames.map((th, t) => frameContexts(prog, th, t, env, guards, sink));

  function init(s: Store): void {
    const k0 = ctxs[0]!(s);
    s.set(slots.nextContext, sc.importers.length + 1);
    s.set(resv + off(RESV.DmaResv.fields, 'fences'), fenceSlots.len);
    s.set(resv + off(RESV.DmaResv.fields, 'cap'), RESV_SLOTS);
    const buf = dmaBufExport(k0 as never, bufs, 0, priv, resv as never, 0, 'vfio-buf');
    if (buf !== vfio.buf) throw new Error(`internal: vfio-buf exported at ${buf}, not at its pool's first object ${vfio.buf}`);
    s.set(priv + off(VFIO.VfioPriv.fields, 'kref'), 1);
    s.set(fdOpen, 1);
    imps.forEach((g, imp) => {
      // what every attach of the importer's one attachment object writes, set once (constant slots)
      s.set(g.attachment + A('dev'), imp);
      s.set(g.attachment + A('dmabuf'), buf);
      s.set(g.attachment + A('importerOps'), g.ops);
      s.set(g.attachment + A('importerPriv'), g.st);
      s.set(g.attachment + A('peer2peer'), importerPeer2peer(sc.importers[imp]!) ? 1 : 0);
      s.set(g.engine + off(ENGINE.DmaEngine.fields, 'dev'), g.attachment);
      s.set(g.engine + off(ENGINE.DmaEngine.fields, 'tracker'), tracker);
    });
    sc.threads.forEach((_, t) => frameStart(ctxs[t]!(s), stepsFrames, STEPS_FN.scenarioThread, [t]));
    bg.forEach((x, i) => {
      const k = ctxs[sc.threads.length + i]!(s);
      const g = imps[x.imp]!;
      if (x.kind === 'engine') frameStart(k, engineFrames, ENGINE_FN.engineThread, [g.engine]);
      else if (x.kind === 'unmapper') frameStart(k, invalFrames, INVAL_FN.unmapperThread, [x.imp]);
      else if (x.kind === 'remap') frameStart(k, invalFrames, INVAL_FN.remapWorker, [x.imp]);
      else if (x.kind === 'pagefault') frameStart(k, odpFrames, ODP_FN.faultWorker, [x.imp]);
      else frameStart(k, prefetchFrames, PREFETCH_FN.prefetchThread, [g.attachment, tracker]);
    });
    // the start order of the generator world: each thread to its first yield, in thread order
    names.forEach((_, t) => frameStep(ctxs[t]!(s)));
  }
  return world;
}

/** Freezes `o` and everything it holds (tables of numbers, strings and functions). */
function deepFreeze(o: object): void {
  if (Object.isFrozen(o)) return;
  Object.freeze(o);
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v);
}

/**
 * How the world's slots are protected, for the transactions found from fine steps
 * (sim/fusion.ts); every declaration is checked on every access of the search. Slots not
 * named here or by the importers' declarations (frame-importers.ts protectImporters, which
 * declares the importer items below) are shared: each access of one is a non-mover.
 *   - constant: what is set up before the first step (a buffer's ops, a list's room, an
 *     importer's attachment object's buffer and device, an engine's device);
 *   - guarded by the buffer's reservation lock: the fence list, the importer's table, its
 *     validity and its closing flag (an attachment's own fields are not: attach resets
 *     them before it takes the lock, on an object no other thread can reach yet, which a
 *     declaration cannot say; nor is the attachment list: the last put reads it unlocked);
 *   - guarded by memory_lock: vfio-pci's drained and cleaned-up flags;
 *   - counters (sim/fusion.ts): the completion the revoke waits on, when one thread runs
 *     every exporter op (it is then the only waiter; unmaps complete it), and each
 *     importer's unmap queue length and engine queue length, which only the unmapper and
 *     the engine consume (the callback and submit only increment them);
 *   - written once: each fence's signalled bit (fences keep their slots when released,
 *     so the bit never goes back to 0);
 *   - ghost: lockdep's edge bits, whose union, not the order they were added in, decides
 *     a cycle (the acquire that closes it reports it on every order).
 */
function declareProtections(layout: StoreLayout, w: {
  sim: FrameSim; resv: number; fenceSlots: number; bufs: number; priv: number; memoryLock: number; comp: number; compWaiter: number;
}): void {
  const constant = { constant: true } as const;
  const underResv = { lock: w.resv };
  layout.protect(w.sim.lockdep, w.sim.lockdepSlots, { ghost: true });
  protectFields(layout, w.resv, RESV.DmaResv, ['fences', 'cap', 'waiters', 'waiterCap'], constant);
  protectFields(layout, w.resv, RESV.DmaResv, ['maxFences', 'ownerCtx'], underResv);
  layout.protect(w.fenceSlots, RESV_SLOTS + 1, underResv);
  protectFields(layout, w.bufs, BUF.DmaBuf, ['ops', 'priv', 'resv', 'name'], constant);
  protectFields(layout, w.priv, VFIO.VfioPriv, ['drained', 'cleanedUp'], { lock: w.memoryLock });
  if (w.compWaiter >= 0) layout.protect(w.comp, 1, { counter: w.compWaiter });
}

/** Whether thread `t` may end where it is: a scenario thread that returned, or any background thread. */
export function frameThreadDone(w: FrameWorld, s: Store, t: number): boolean {
  return t >= w.scenarioThreads || frameFinished(w.ctx(s, t));
}

