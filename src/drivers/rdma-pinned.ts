/**
 * rdma-pinned importer, umem_dmabuf without on-demand paging (rule book §5.5, D-RDMAP-*):
 * pins and maps at registration, the NIC uses the table until deregistration; it cannot
 * take an invalidation. (linux: drivers/infiniband/core/umem_dmabuf.c)
 */
import { sharedRead, sharedWrite } from '../sim/completion.ts';
import { local, type Proc } from '../sim/op.ts';
import type { DmaBufAttachment, DmaBufAttachOps, SgTable } from '../kernel/dma-buf.ts';
import { ERRNO } from '../kernel/errno.ts';
import { MAX_SCHEDULE_TIMEOUT } from '../kernel/fence.ts';
import type { Kernel, KernelVersion } from '../kernel/kernel.ts';
import { dmaBufMapAttachment, dmaBufPin, dmaBufUnmapAttachment, dmaBufUnpin } from '../kernel/mapping.ts';
import { dmaResvLock, dmaResvUnlock, dmaResvWaitTimeout, DmaResvUsage } from '../kernel/resv.ts';
import { engineThread, prefetchThread } from '../hw/engine.ts';
import { judgeSubmission } from '../hw/oracle.ts';
import { detachAndPut, getAndAttach, importDmaRelease, importerBase, submitPrivate, waitOwnJobs } from './common.ts';
import { variantSwitches, type DriverEnv, type ExporterInstance, type ImporterConfig, type ImporterDriver, type ImporterInstance, type Variant } from './types.ts';

type CallbackForm = 'stub' | 'sentinel' | 'absent';

interface PinnedSwitches {
  /** the warning-only stub callback in every version */
  readonly keepsStub: boolean;
}

/** Every variant, declared once: `list drivers`, the loader and `create` read this list. */
const VARIANTS: readonly Variant<PinnedSwitches>[] = [
  { name: 'correct', description: 'by version: pre/v2 warning-only stub, v3 unsupported-invalidate sentinel, landed no callback (list: v6 cover letter)', switches: { keepsStub: false } },
  { name: 'pre-sentinel', description: 'keeps the warning-only stub callback, so it looks revocable (seed: Christian König 2026-01-19 10:56)', switches: { keepsStub: true } },
];

/**
 * D-RDMAP-2 by version: `[pre,v2]` a warning-only stub, `[v3]` the sentinel
 * dma_buf_unsupported_invalidate_mappings, `[landed]` no callback. pre-sentinel keeps the
 * stub in every version (seed: Christian König 2026-01-19 10:56 asked to drop it; seed:
 * Jason Gunthorpe 2026-01-19 16:44 proposed the sentinel).
 */
function callbackForm(version: KernelVersion, sw: PinnedSwitches): CallbackForm {
  if (sw.keepsStub || version === 'pre' || version === 'v2') return 'stub';
  return version === 'v3' ? 'sentinel' : 'absent';
}

/** The callback of `variant` in `version`, as the data world's model reads it (frame-rdma-pinned.ts). */
export function pinnedCallbackForm(version: KernelVersion, variant: string): CallbackForm {
  return callbackForm(version, variantSwitches(VARIANTS, variant));
}

function create(env: DriverEnv, cfg: ImporterConfig, exp: ExporterInstance): ImporterInstance {
  const { k } = env;
  const b = importerBase(env, cfg.id, exp);
  const { buf, dev } = b;
  const st = { a: null as DmaBufAttachment | null, table: null as SgTable | null, revoked: false, notified: new Set<SgTable>() };
  const form = callbackForm(k.version, variantSwitches(VARIANTS, cfg.variant));

  /**
   * The stub / sentinel: logs (a rate-limited message, no WARN) and changes nothing. The
   * P3(a) observer notes the invalidation of the driver's own table only.
   */
  const notifiedObj = k.rt.newObject(`${dev}.notified`);
  function* logOnly(_k: Kernel, a: DmaBufAttachment): Proc {
    const t = a.importerPriv === st ? st.table : null;
    if (t) yield* sharedWrite(notifiedObj, 'invalidate noted', t.name, () => { st.notified.add(t); });
    yield local('ibdev_warn_ratelimited', `${dev}: invalidate_mappings on pinned memory ignored`);
  }
  const ops: DmaBufAttachOps = form === 'absent'
    ? { allowPeer2peer: true }
    : { allowPeer2peer: true, invalidateMappings: logOnly, unsupported: form === 'sentinel' };

  /** D-RDMAP-1: attach, pin, map, wait KERNEL, all under one resv hold. */
  function* doImport(): Proc<number> {
    if (st.a) return -ERRNO.EBUSY;
    const a = yield* getAndAttach(b, exp, dev, ops, st);
    if (typeof a === 'number') return a;
    yield* dmaResvLock(k, buf.resv);
    const p = yield* dmaBufPin(k, a);
    if (p < 0) return yield* undo(a, p, null, false);
    if (st.revoked) return yield* undo(a, -ERRNO.EINVAL, null, true);
    const t = yield* dmaBufMapAttachment(k, a, 'DMA_BIDIRECTIONAL');
    if (typeof t === 'number') return yield* undo(a, t, null, true);
    const w = yield* dmaResvWaitTimeout(k, buf.resv, DmaResvUsage.KERNEL, MAX_SCHEDULE_TIMEOUT);
    if (w < 0) return yield* undo(a, w, t, true);
    yield* dmaResvUnlock(k, buf.resv);
    st.a = a;
    st.table = t;
    return 0;
  }

  function* undo(a: DmaBufAttachment, err: number, t: SgTable | null, pinned: boolean): Proc<number> {
    if (t) yield* dmaBufUnmapAttachment(k, a, t, 'DMA_BIDIRECTIONAL');
    if (pinned) yield* dmaBufUnpin(k, a);
    yield* dmaResvUnlock(k, buf.resv);
    yield* detachAndPut(b, a);
    return err;
  }

  /** Work requests: the NIC DMAs through the table (no fence in the resv). */
  function* doDma(count: number, write: boolean): Proc<number> {
    if (!st.a) return -ERRNO.ENOENT;
    if (!st.table) return -ERRNO.EINVAL;
    for (let i = 0; i < count; i++) {
      const t = st.table;
      /** P3(a): a work request posted after the (log-only) callback ran */
      if (form !== 'absent') yield* sharedRead(notifiedObj, 'post work request', `${dev} via ${t.name}`, () => judgeSubmission(k.rt, dev, t, st.notified.has(t)));
      yield* submitPrivate(b, { table: st.table, write });
    }
    return 0;
  }

  /** D-RDMAP-4: the NIC stops first, then D-RDMAP-3 (unmap, unpin once), detach, put. */
  function* doRelease(): Proc<number> {
    const a = st.a;
    if (!a) return -ERRNO.ENOENT;
    yield* waitOwnJobs(b);
    yield* dmaResvLock(k, buf.resv);
    if (!st.revoked) {
      if (st.table) yield* dmaBufUnmapAttachment(k, a, st.table, 'DMA_BIDIRECTIONAL');
      yield* dmaBufUnpin(k, a);
      st.revoked = true;
    }
    st.table = null;
    yield* dmaResvUnlock(k, buf.resv);
    return yield* detachAndPut(b, a, () => { st.a = null; st.revoked = false; });
  }

  env.background(`${dev}-engine`, () => engineThread(k, b.engine));
  if (cfg.speculativeReads ?? true) {
    env.background(`${dev}-prefetch`, () => prefetchThread(k, b.engine, exp.regions, b.slot));
  }
  return importDmaRelease(b, dev, ops, { doImport, doDma, doRelease });
}

export const rdmaPinned: ImporterDriver = {
  name: 'rdma-pinned',
  role: 'importer',
  description: 'pinned RDMA importer (umem_dmabuf, no ODP) that cannot take an invalidation',
  source: 'linux: drivers/infiniband/core/umem_dmabuf.c (ib_umem_dmabuf_get_pinned)',
  variants: VARIANTS,
  ops: ['import', 'dma', 'release'],
  keys: ['speculative-reads'],
  dynamic: true,
  create,
};
