/**
 * rdma-odp importer, mlx5 on-demand paging (rule book §5.6, D-ODP-*): dynamic attach, the
 * NIC translates through a device mapping that the callback zaps synchronously; a zapped
 * access page-faults and a fault worker maps again.
 * (linux: drivers/infiniband/hw/mlx5/mr.c, odp.c; drivers/infiniband/core/umem_dmabuf.c)
 */
import { retireWork, sharedWrite, waitOp, waitUntil } from '../sim/completion.ts';
import { local, OpKind, type Op, type Proc } from '../sim/op.ts';
import type { DmaBufAttachment, DmaBufAttachOps, SgTable } from '../kernel/dma-buf.ts';
import { ERRNO } from '../kernel/errno.ts';
import { MAX_SCHEDULE_TIMEOUT } from '../kernel/fence.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { dmaBufMapAttachment, dmaBufUnmapAttachment } from '../kernel/mapping.ts';
import { dmaResvLock, dmaResvUnlock, dmaResvWaitTimeout, DmaResvUsage } from '../kernel/resv.ts';
import { engineThread, prefetchThread } from '../hw/engine.ts';
import { accessFootprint, judgeAccess, judgeSubmission, type Access } from '../hw/oracle.ts';
import type { MemRegion } from '../hw/region.ts';
import { detachAndPut, getAndAttach, importerBase, resvLocked, serialised, submitPrivate } from './common.ts';
import { variantSwitches, type DriverEnv, type ExporterInstance, type ImporterConfig, type ImporterDriver, type ImporterInstance, type Variant } from './types.ts';

interface OdpSwitches {
  /** contract variant (RV2, B12): the callback returns without zapping or unmapping */
  ignoresInvalidate: boolean;
  /** rule book §5.6 proposed: zaps the NIC but never unmaps (P9 under the landed VFIO wait) */
  noUnmap: boolean;
}

/** Every variant, declared once: `list drivers`, the loader and `create` read this list. */
const VARIANTS: readonly Variant<OdpSwitches>[] = [
  { name: 'correct', description: 'callback zaps the mkey (waits for the UMR) and unmaps; faults map again (rule book D-ODP-3)', switches: { ignoresInvalidate: false, noUnmap: false } },
  { name: 'ignores-invalidate', description: 'callback returns without zapping or unmapping (rule book RV2, B12)', switches: { ignoresInvalidate: true, noUnmap: false } },
  { name: 'zap-no-unmap', description: 'callback zaps but never unmaps: safe for the NIC, but VFIO waits for an unmap (rule book §5.6)', switches: { ignoresInvalidate: false, noUnmap: true } },
];

interface OdpState {
  a: DmaBufAttachment | null;
  /** the table the NIC translation points at, null when none is live */
  table: SgTable | null;
  /** the NIC translation (mkey) is programmed */
  xlat: boolean;
  /**
   * the table the mkey was last programmed with: what the NIC reaches while `xlat`. Only
   * mkey ops write it (with `xlat`), so a NIC access that reads the mkey knows its table.
   */
  mkeyTable: SgTable | null;
  /** tables whose invalidate callback ran (P3(a) observer) */
  notified: Set<SgTable>;
  closing: boolean;
  faults: number;
}

/** The switches of `variant`, as the data world's model reads them (frame-rdma-odp.ts). */
export function odpSwitches(variant: string): Readonly<OdpSwitches> {
  return variantSwitches(VARIANTS, variant);
}

function create(env: DriverEnv, cfg: ImporterConfig, exp: ExporterInstance): ImporterInstance {
  const { k, rt } = env;
  const sw = variantSwitches(VARIANTS, cfg.variant);
  const b = importerBase(env, cfg.id, exp);
  const { buf, dev } = b;
  const st: OdpState = { a: null, table: null, xlat: false, mkeyTable: null, notified: new Set(), closing: false, faults: 0 };
  /** the NIC translation object: every NIC access reads it, zap and program write it */
  const xlatObj = rt.newObject(`${dev}.mkey`);
  const faultObj = rt.newObject(`${dev}.pagefault`);

  const zap = (label: string) => sharedWrite(xlatObj, label, `${dev} mkey (UMR completed)`, () => { st.xlat = false; });

  /** D-ODP-3 (resv held): zap synchronously, then unmap; another attachment's (a `call` attach) maps nothing of the MR's. */
  function* invalidate(kk: Kernel, a: DmaBufAttachment): Proc {
    const t = a.importerPriv === st ? st.table : null;
    if (!t) return;
    if (sw.ignoresInvalidate) {
      yield* sharedWrite(xlatObj, 'invalidate ignored', t.name, () => { st.notified.add(t); });
      return;
    }
    /** the zap is synchronous: the NIC has stopped when the UMR completes */
    yield* sharedWrite(xlatObj, 'mlx5r_umr_revoke_mr', `${dev} mkey (UMR completed)`, () => { st.notified.add(t); st.xlat = false; });
    if (sw.noUnmap) return;
    yield* dmaBufUnmapAttachment(kk, a, t, 'DMA_BIDIRECTIONAL');
    st.table = null;
  }
  const ops: DmaBufAttachOps = { allowPeer2peer: true, invalidateMappings: invalidate };

  /** D-ODP-1 map part (resv held): map if no live table, program the translation. */
  function* mapAndProgram(): Proc<number> {
    if (st.closing || !st.a) return -ERRNO.ENODEV;
    if (!st.table) {
      const t = yield* dmaBufMapAttachment(k, st.a, 'DMA_BIDIRECTIONAL');
      if (typeof t === 'number') return t;
      st.table = t;
      const w = yield* dmaResvWaitTimeout(k, buf.resv, DmaResvUsage.KERNEL, MAX_SCHEDULE_TIMEOUT);
      if (w < 0) return w;
    }
    const t = st.table;
    if (!st.xlat) yield* sharedWrite(xlatObj, 'program mkey', `${dev} -> ${t.name}`, () => { st.xlat = true; st.mkeyTable = t; st.notified.delete(t); });
    return 0;
  }

  function* doImport(): Proc<number> {
    if (st.a) return -ERRNO.EBUSY;
    const a = yield* getAndAttach(b, exp, dev, ops, st);
    if (typeof a === 'number') return a;
    st.a = a;
    st.closing = false;
    return yield* prefetch();
  }

  function* prefetch(): Proc<number> {
    if (!st.a) return -ERRNO.ENOENT;
    return yield* resvLocked(b, mapAndProgram());
  }

  /**
   * One NIC access through the translation: faults (no access) when zapped. It touches the
   * table the mkey points at when it runs, so its op is refreshed (Op.refresh): the mkey,
   * which it reads, is the only selector of that table.
   */
  function* nicAccess(write: boolean): Proc<boolean> {
    const accessOp = (): Op => {
      const t = st.xlat ? st.mkeyTable : null;
      return {
        kind: OpKind.Dma, obj: xlatObj, write: false, also: t ? [t.region.id, ...accessFootprint(access(t, write))] : undefined,
        label: write ? 'dma write' : 'dma read', detail: `${dev} via mkey`,
        apply: () => {
          if (!t) return false;
          judgeAccess(rt, access(t, write));
          return true;
        },
      };
    };
    return (yield { kind: OpKind.Dma, obj: xlatObj, write: false, label: '', refresh: accessOp }) as boolean;
  }
  const access = (t: SgTable, write: boolean): Access => ({ device: dev, table: t, region: t.region as MemRegion, write, speculative: false, tracker: exp.tracker });

  /** D-ODP-2: a work request; a zapped translation page-faults into the fault worker. */
  function* workRequest(write: boolean): Proc {
    if (yield* nicAccess(write)) return;
    yield* sharedWrite(faultObj, 'page fault', dev, () => { st.faults++; });
    yield* waitUntil(faultObj, 'wait page fault', dev, () => st.faults === 0, 'idle');
    if (!(yield* nicAccess(write))) yield local('work request completes in error', dev);
  }

  function* doDma(count: number, write: boolean): Proc<number> {
    if (!st.a) return -ERRNO.ENOENT;
    for (let i = 0; i < count; i++) {
      // The table is read when the post runs, not when it was queued: the fault worker may
      // have mapped a new one in between (the op reads xlatObj, which it writes).
      yield {
        kind: OpKind.Read, obj: xlatObj, write: false, label: 'post work request', detail: dev,
        apply: () => { const t = st.mkeyTable; if (t) judgeSubmission(rt, dev, t, st.notified.has(t) && st.xlat); },
      };
      yield* submitPrivate(b, { table: null, write, run: () => workRequest(write) });
    }
    return 0;
  }

  /** The page-fault work item (not a fence signaller: RDMA completions are no dma_fences). */
  function* faultWorker(): Proc {
    for (;;) {
      yield waitOp(faultObj, 'pagefault idle', dev, () => st.faults > 0, 'idle');
      yield* dmaResvLock(k, buf.resv);
      yield* mapAndProgram();
      yield* dmaResvUnlock(k, buf.resv);
      // faults > 0 since the worker woke (only this write lowers it): the waits end here
      yield* retireWork(faultObj, 'page fault handled', dev, () => { st.faults = 0; });
    }
  }

  /**
   * Release: under resv, mark the MR closing (a fault maps nothing more), zap (mkey revoked)
   * and unmap; then flush the fault worker, detach, put. The zap comes after `closing`: a
   * fault that ran between an earlier zap and the unmap would program the mkey again with
   * the table about to go (the kernel first stops faults from finding the mkey).
   */
  function* doRelease(): Proc<number> {
    const a = st.a;
    if (!a) return -ERRNO.ENOENT;
    yield* dmaResvLock(k, buf.resv);
    st.closing = true;
    yield* zap('mlx5_revoke_mr');
    if (st.table) yield* dmaBufUnmapAttachment(k, a, st.table, 'DMA_BIDIRECTIONAL');
    st.table = null;
    yield* dmaResvUnlock(k, buf.resv);
    yield* waitUntil(faultObj, 'flush page-fault work', dev, () => st.faults === 0, 'completion');
    return yield* detachAndPut(b, a, () => { st.a = null; });
  }

  env.background(`${dev}-engine`, () => engineThread(k, b.engine));
  env.background(`${dev}-pagefault`, faultWorker);
  if (cfg.speculativeReads ?? true) {
    env.background(`${dev}-prefetch`, () => prefetchThread(k, b.engine, exp.regions, b.slot));
  }
  return {
    id: dev,
    attachOps: ops,
    *op(name, args): Proc<number> {
      switch (name) {
        case 'import': return yield* serialised(b, doImport());
        case 'dma': return yield* serialised(b, doDma(args.count ?? 1, args.write ?? true));
        case 'remap': return yield* serialised(b, prefetch());
        case 'release': return yield* serialised(b, doRelease());
      }
    },
  };
}

export const rdmaOdp: ImporterDriver = {
  name: 'rdma-odp',
  role: 'importer',
  description: 'dynamic RDMA importer with on-demand paging: invalidation zaps the NIC translation synchronously',
  source: 'linux: drivers/infiniband/hw/mlx5/odp.c (mlx5_ib_dmabuf_invalidate_cb), umem_dmabuf.c',
  variants: VARIANTS,
  ops: ['import', 'dma', 'remap', 'release'],
  keys: ['speculative-reads'],
  dynamic: true,
  create,
};
