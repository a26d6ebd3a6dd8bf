/**
 * Pieces every ported importer shares (the data-world form of common.ts): the fd read of
 * `import`, attach with an undo, detach and put, the per-importer op lock, and the KERNEL
 * fences a job must wait for. `npm run frames` compiles this file to frame-importer.frames.ts.
 */
import { invoke, sched, type FrameProc } from '../sim/frame-ops.ts';
import { mutexLock, mutexUnlock } from '../sim/frame-mutex.ts';
import type { AnyRef, ImpIdx, Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import { bufName, dmaBufPut, type DmaBuf, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import { dmaBufDetach, dmaBufDynamicAttach } from '../kernel/frame-attach.ts';
import { entryFence, entryUsage, fenceCount, KERNEL } from '../kernel/frame-resv.ts';
import { dmaFenceInit, dmaFenceWaitTimeout, MAX_SCHEDULE_TIMEOUT, type DmaFence } from '../kernel/frame-fence.ts';
import { newJob, submitJob, type DmaEngine, type DmaJob } from '../hw/frame-engine.ts';
import type { IommuMapping } from '../hw/frame-iommu.ts';
import { FENCE_WR, OP_DMA, type DriverCtx } from './frame-env.ts';

/**
 * The fd part of `import` (R31 dma_buf_get on the exporter's fd): the fd lookup and the
 * new reference are one step, as fget is. Returns 0, or -EBADF once the exporter closed the fd.
 */
export function* dmaBufGetFd(k: DriverCtx, buf: Ref<DmaBuf>): FrameProc<number> {
  yield sched();
  if (k.out.records) k.out.event(k.tid, 'dma_buf_get', `${bufName(k, buf)} fd`);
  if (k.s.get(k.env.vfio.fdOpen) === 0) return -ERRNO.EBADF;
  buf.refcount++;
  return 0;
}

/** The start of `import`: the fd reference, then R33 with the importer's ops; a refused attach drops the reference. Returns 0 or a negative errno. */
export function* getAndAttach(k: DriverCtx, buf: Ref<DmaBuf>, imp: ImpIdx, priv: AnyRef): FrameProc<number> {
  const g = yield* dmaBufGetFd(k, buf);
  if (g < 0) return g;
  const r = yield* dmaBufDynamicAttach(k, buf, k.env.imps[imp]!.attachment as Ref<DmaBufAttachment>, k.env.imps[imp]!.ops, priv, imp);
  if (r < 0) yield* dmaBufPut(k, buf);
  return r;
}

/** The end of a release: R35 detach (resv not held), then the fd reference is dropped (R31). */
export function* detachAndPut(k: DriverCtx, buf: Ref<DmaBuf>, a: Ref<DmaBufAttachment>): FrameProc {
  yield* dmaBufDetach(k, buf, a);
  yield* dmaBufPut(k, buf);
}

/** Takes importer `imp`'s op lock (contract §1: operations on one importer run one at a time). */
export function* opLock(k: DriverCtx, imp: ImpIdx): FrameProc {
  yield* mutexLock(k, k.env.imps[imp]!.opLock);
}

export function* opUnlock(k: DriverCtx, imp: ImpIdx): FrameProc {
  yield* mutexUnlock(k, k.env.imps[imp]!.opLock);
}

/** The KERNEL fences of `buf`'s resv as job `j`'s dependencies (R42; the engine waits for two at most). */
export function setKernelDeps(k: DriverCtx, buf: Ref<DmaBuf>, j: Ref<DmaJob>): void {
  const n = fenceCount(k, buf.resv);
  let deps = 0;
  for (let i = 0; i < n; i++) {
    if (entryUsage(k, buf.resv, i) !== KERNEL) continue;
    if (deps === 0) j.dep0 = entryFence(k, buf.resv, i);
    else if (deps === 1) j.dep1 = entryFence(k, buf.resv, i);
    else throw new Error('model bug: a job waits for more than two KERNEL fences');
    deps++;
  }
}

/** Waits for importer `imp`'s fences with seqno from..to (common.ts waitOwnJobs: a seqno range of its own pool; 0 is none). */
export function* waitFences(k: DriverCtx, imp: ImpIdx, from: number, to: number): FrameProc {
  let seq = from;
  while (seq <= to) {
    if (seq > 0) yield* dmaFenceWaitTimeout(k, (k.env.imps[imp]!.fences.base + (seq - 1) * k.env.imps[imp]!.fences.width) as Ref<DmaFence>, MAX_SCHEDULE_TIMEOUT);
    seq++;
  }
}

/**
 * Queues one transfer of importer `imp` whose fence it keeps to itself (common.ts
 * submitPrivate: iommufd, rdma and static importers publish none in the resv): the fence
 * `DEV-wr<seqno>` from its pool, a job through `table`, through `iova` (0 for none) or
 * running function id `run` (-1 for none), then the doorbell (one step).
 */
export function* submitPrivate(k: DriverCtx, imp: ImpIdx, seqno: number, table: Ref<SgTable>, iova: Ref<IommuMapping>, run: number, write: boolean): FrameProc {
  const f: Ref<DmaFence> = dmaFenceInit(k, k.env.imps[imp]!.fences, k.env.imps[imp]!.context, seqno, false, imp + 1, FENCE_WR);
  const j = newJob(k, k.env.imps[imp]!.jobs, table, write, f, f);
  j.iova = iova;
  j.run = run;
  yield* submitJob(k, k.env.imps[imp]!.engine as Ref<DmaEngine>, j);
}

/**
 * A scenario's importer op `op` (frame-env.ts IMP_OPS) on importer `imp`: its driver's
 * function for it (`opFns`, function ids), serialised on the importer (contract §1).
 * Returns the op's result, or -EOPNOTSUPP without the lock for an op the driver lacks.
 */
export function* importerOp(k: DriverCtx, imp: ImpIdx, op: number, count: number, write: boolean): FrameProc<number> {
  const fn = k.env.imps[imp]!.opFns[op]!;
  if (fn < 0) return -ERRNO.EOPNOTSUPP;
  yield* opLock(k, imp);
  let r = 0;
  if (op === OP_DMA) r = yield* invoke(k, fn, imp, count, write);
  else r = yield* invoke(k, fn, imp);
  yield* opUnlock(k, imp);
  return r;
}
