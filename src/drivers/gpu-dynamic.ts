/**
 * gpu-dynamic importer (rule book §5.3, D-GPUI-*): dynamic attach, asynchronous
 * invalidation through fences, lazy remap. (linux: amdgpu_dma_buf.c:amdgpu_dma_buf_move_notify,
 * xe_dma_buf.c:xe_dma_buf_move_notify)
 */
import { retireWork, sharedWrite, waitOp, waitUntil } from '../sim/completion.ts';
import { local, OpKind, type Proc } from '../sim/op.ts';
import type { DmaBufAttachment, DmaBufAttachOps, SgTable } from '../kernel/dma-buf.ts';
import { ERRNO } from '../kernel/errno.ts';
import { dmaFenceWaitTimeout, MAX_SCHEDULE_TIMEOUT, type DmaFence } from '../kernel/fence.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { dmaBufMapAttachment, dmaBufPin, dmaBufUnmapAttachment, dmaBufUnpin } from '../kernel/mapping.ts';
import { dmaResvAddFence, dmaResvFences, dmaResvLock, dmaResvReserveFences, dmaResvUnlock, DmaResvUsage } from '../kernel/resv.ts';
import { engineThread, prefetchThread, submitJob } from '../hw/engine.ts';
import { judgeSubmission } from '../hw/oracle.ts';
import { detachAndPut, getAndAttach, importerBase, resvLocked, serialised } from './common.ts';
import { variantSwitches, type DriverEnv, type ExporterInstance, type ImporterConfig, type ImporterDriver, type ImporterInstance, type ImporterOp, type Variant } from './types.ts';

/** Variant switches (rule book §5.3), each citing its source. */
interface GpuiSwitches {
  /** contract variant (seed: Thomas Hellström 2026-01-18 14:16): no fence in the resv for its jobs or teardown */
  noFence: boolean;
  /** contract variant (list: v6 6/8 kdoc allows a new mapping only after the invalidate returned) */
  remapInCallback: boolean;
  /** seed: Thomas Hellström 2026-01-19 17:24: xe would not cope with an invalidate while pinned */
  pinnedIgnoresInvalidate: boolean;
  /** rule book B19 (inference, Q7): the callback wakes a worker that remaps at once */
  eagerRemap: boolean;
}

const BASE: GpuiSwitches = { noFence: false, remapInCallback: false, pinnedIgnoresInvalidate: false, eagerRemap: false };
/** Every variant, declared once: `list drivers`, the loader and `create` read this list. */
const VARIANTS: readonly Variant<GpuiSwitches>[] = [
  { name: 'correct', description: 'fences every in-flight job, unmaps after the fences retire, remaps lazily (rule book D-GPUI-3)', switches: BASE },
  { name: 'no-fence', description: 'jobs and teardown carry no fence in the resv; the unmap does not wait (seed: Thomas Hellström 2026-01-18 14:16)', switches: { ...BASE, noFence: true } },
  { name: 'remap-in-callback', description: 'maps again from inside the callback and keeps that table (list: v6 6/8 kdoc)', switches: { ...BASE, remapInCallback: true } },
  { name: 'pinned-ignores-invalidate', description: 'while pinned the callback does nothing (seed: Thomas Hellström 2026-01-19 17:24)', switches: { ...BASE, pinnedIgnoresInvalidate: true } },
  { name: 'eager-remap', description: 'the callback wakes a worker that remaps at once; fails while VFIO still says revoked (rule book B19, Q7)', switches: { ...BASE, eagerRemap: true } },
];

/** The switches of `variant`, as the data world's model reads them (frame-gpu-dynamic.ts). */
export function gpuiSwitches(variant: string): Readonly<GpuiSwitches> {
  return variantSwitches(VARIANTS, variant);
}

interface GpuImporter {
  a: DmaBufAttachment | null;
  /** the live table the importer owns, null once handed to the unmapper */
  table: SgTable | null;
  /** whether new jobs may use `table` (cleared by the callback, D-GPUI-3) */
  valid: boolean;
  /** job fences not yet known to be signalled */
  jobFences: DmaFence[];
  /** pinned at import (key `pinned`, D-GPUI-5) */
  pinned: boolean;
  /** tables whose invalidate callback ran (P3(a) observer; written and read under resv) */
  notified: Set<SgTable>;
  /** eager-remap: release has begun, the worker maps nothing (under resv) */
  closing: boolean;
}

function create(env: DriverEnv, cfg: ImporterConfig, exp: ExporterInstance): ImporterInstance {
  const { k, rt } = env;
  const sw = variantSwitches(VARIANTS, cfg.variant);
  const b = importerBase(env, cfg.id, exp);
  const { buf, dev, engine, slot, newFence } = b;
  const st: GpuImporter = { a: null, table: null, valid: false, jobFences: [], pinned: false, notified: new Set(), closing: false };
  const remap = { id: rt.newObject(`${dev}.remap-work`), pending: false, running: false };
  const unmapper = { id: rt.newObject(`${dev}.unmapper`), queue: [] as { table: SgTable; after: DmaFence[] }[], pending: 0 };

  /**
   * D-GPUI-3: resv held, in the exporter's thread; returns without waiting. Another
   * attachment of this device (a `call` attach) has no buffer object of the driver's.
   */
  function* invalidate(kk: Kernel, a: DmaBufAttachment): Proc {
    if (a.importerPriv !== st) return;
    if (st.table) st.notified.add(st.table);
    if (sw.eagerRemap && !st.closing) yield* sharedWrite(remap.id, 'queue remap work', dev, () => { remap.pending = true; });
    if (!st.table) return;
    if (sw.pinnedIgnoresInvalidate && st.pinned) return;
    st.valid = false;
    const table = st.table;
    let after: DmaFence[] = [];
    if (!sw.noFence) {
      dmaResvReserveFences(kk, buf.resv, 1);
      const u = newFence('teardown');
      yield* dmaResvAddFence(kk, buf.resv, u, DmaResvUsage.BOOKKEEP);
      yield* submitJob(engine, { name: u.name, table: null, write: false, deps: [], fence: u });
      after = [u, ...st.jobFences];
    }
    st.table = null;
    yield* sharedWrite(unmapper.id, 'queue deferred unmap', table.name, () => { unmapper.queue.push({ table, after }); unmapper.pending++; });
    if (sw.remapInCallback) {
      /** R38 from inside the callback: the table points at the placement being left */
      const r = yield* dmaBufMapAttachment(kk, a, 'DMA_BIDIRECTIONAL');
      if (typeof r !== 'number') { st.table = r; st.valid = true; }
    }
  }

  const ops: DmaBufAttachOps = { allowPeer2peer: cfg.peer2peer, invalidateMappings: invalidate };

  /** R38 under the resv when the importer has no valid mapping. */
  function* ensureMapped(): Proc<number> {
    if (st.valid && st.table) return 0;
    const r = yield* dmaBufMapAttachment(k, st.a!, 'DMA_BIDIRECTIONAL');
    if (typeof r === 'number') return r;
    st.table = r;
    st.valid = true;
    return 0;
  }

  /** eager-remap: the worker the callback wakes maps again at once (B19). */
  function* remapWorker(): Proc {
    for (;;) {
      yield waitOp(remap.id, 'remap worker idle', dev, () => remap.pending, 'idle');
      yield* sharedWrite(remap.id, 'remap work runs', dev, () => { remap.pending = false; remap.running = true; });
      yield* dmaResvLock(k, buf.resv);
      if (!st.closing && st.a) {
        const r = yield* ensureMapped();
        if (r < 0) yield local('eager remap failed', `${dev} ${r}`);
      }
      yield* dmaResvUnlock(k, buf.resv);
      // running was set by this worker alone: 'cancel remap work' waits until here
      yield* retireWork(remap.id, 'remap work done', dev, () => { remap.running = false; });
    }
  }

  function* doImport(): Proc<number> {
    if (st.a) return -ERRNO.EBUSY;
    const a = yield* getAndAttach(b, exp, dev, ops, st);
    if (typeof a === 'number') return a;
    st.a = a;
    st.closing = false;
    yield* dmaResvLock(k, buf.resv);
    if (cfg.pinned) {
      /** D-GPUI-5: a scanout-style pin before the first map */
      const p = yield* dmaBufPin(k, a);
      if (p === 0) st.pinned = true;
    }
    const r = yield* ensureMapped();
    yield* dmaResvUnlock(k, buf.resv);
    return r;
  }

  /** D-GPUI-2: one job per transfer, fenced in the resv, after the KERNEL fences. */
  function* doDma(count: number, write: boolean): Proc<number> {
    if (!st.a) return -ERRNO.ENOENT;
    let ret = 0;
    for (let i = 0; i < count; i++) {
      yield* dmaResvLock(k, buf.resv);
      const r = yield* ensureMapped();
      if (r < 0) {
        yield* dmaResvUnlock(k, buf.resv);
        yield local('submission failed', `${dev} ${r}`);
        ret = r;
        continue;
      }
      judgeSubmission(rt, dev, st.table!, st.notified.has(st.table!));
      const f = newFence('job');
      const deps = dmaResvFences(buf.resv, DmaResvUsage.KERNEL);
      if (!sw.noFence) {
        dmaResvReserveFences(k, buf.resv, 1);
        yield* dmaResvAddFence(k, buf.resv, f, write ? DmaResvUsage.WRITE : DmaResvUsage.READ);
      }
      st.jobFences.push(f);
      yield* submitJob(engine, { name: f.name, table: st.table, write, deps, fence: f });
      yield* dmaResvUnlock(k, buf.resv);
    }
    return ret;
  }

  /** D-GPUI-4: wait for own jobs, unmap what it still owns, wait for the deferred unmapper, detach, put. */
  function* doRelease(): Proc<number> {
    const a = st.a;
    if (!a) return -ERRNO.ENOENT;
    for (const f of st.jobFences) yield* dmaFenceWaitTimeout(k, f, MAX_SCHEDULE_TIMEOUT);
    yield* dmaResvLock(k, buf.resv);
    // under resv: the invalidate callback reads the list (the fences its unmap waits for)
    st.jobFences = [];
    st.closing = true;
    if (st.table) {
      yield* dmaBufUnmapAttachment(k, a, st.table, 'DMA_BIDIRECTIONAL');
      st.table = null;
    }
    st.valid = false;
    yield* dmaResvUnlock(k, buf.resv);
    if (sw.eagerRemap) yield* waitUntil(remap.id, 'cancel remap work', dev, () => !remap.running, 'completion');
    yield* waitUntil(unmapper.id, 'flush deferred unmapper', dev, () => unmapper.pending === 0, 'completion');
    if (st.pinned) {
      yield* dmaResvLock(k, buf.resv);
      yield* dmaBufUnpin(k, a);
      st.pinned = false;
      yield* dmaResvUnlock(k, buf.resv);
    }
    return yield* detachAndPut(b, a, () => { st.a = null; });
  }

  /** The deferred unmapper: R40 under the resv once the teardown and every job retired. */
  function* unmapperThread(): Proc {
    for (;;) {
      yield waitOp(unmapper.id, 'unmapper idle', dev, () => unmapper.queue.length > 0, 'idle');
      const item = (yield { kind: OpKind.Write, obj: unmapper.id, write: true, label: 'unmapper fetch', detail: dev, role: 'bookkeeping', apply: () => unmapper.queue.shift() }) as { table: SgTable; after: DmaFence[] };
      for (const f of item.after) yield* dmaFenceWaitTimeout(k, f, MAX_SCHEDULE_TIMEOUT);
      yield* dmaResvLock(k, buf.resv);
      if (st.a) yield* dmaBufUnmapAttachment(k, st.a, item.table, 'DMA_BIDIRECTIONAL');
      yield* dmaResvUnlock(k, buf.resv);
      // the item fetched is still counted in pending: the flush waits until here
      yield* retireWork(unmapper.id, 'deferred unmap done', item.table.name, () => { unmapper.pending--; });
    }
  }

  env.background(`${dev}-engine`, () => engineThread(k, engine));
  env.background(`${dev}-unmapper`, unmapperThread);
  if (sw.eagerRemap) env.background(`${dev}-remap`, remapWorker);
  if (cfg.speculativeReads ?? true) {
    env.background(`${dev}-prefetch`, () => prefetchThread(k, engine, exp.regions, slot));
  }

  /** The scenario's `remap`: R38 under the resv if the last mapping was invalidated. */
  function* doRemap(): Proc<number> {
    if (!st.a) return -ERRNO.ENOENT;
    return yield* resvLocked(b, ensureMapped());
  }

  return {
    id: dev,
    attachOps: ops,
    *op(name: ImporterOp, args: { count?: number; write?: boolean }): Proc<number> {
      switch (name) {
        case 'import': return yield* serialised(b, doImport());
        case 'dma': return yield* serialised(b, doDma(args.count ?? 1, args.write ?? true));
        case 'remap': return yield* serialised(b, doRemap());
        case 'release': return yield* serialised(b, doRelease());
      }
    },
  };
}

export const gpuDynamic: ImporterDriver = {
  name: 'gpu-dynamic',
  role: 'importer',
  description: 'DRM importer with dynamic attach: invalidation fences its in-flight work and defers the unmap',
  source: 'linux: drivers/gpu/drm/amd/amdgpu/amdgpu_dma_buf.c, drivers/gpu/drm/xe/xe_dma_buf.c',
  variants: VARIANTS,
  ops: ['import', 'dma', 'remap', 'release'],
  keys: ['pinned', 'speculative-reads'],
  dynamic: true,
  create,
};
