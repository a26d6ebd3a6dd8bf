/**
 * Pieces every importer model shares: the per-importer op lock (contract §1: operations on
 * one importer run one at a time), the fd read of `import`, and device jobs whose fences
 * stay private (iommufd, rdma and static importers publish none in the resv).
 */
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../sim/mutex.ts';
import { OpKind, type Proc } from '../sim/op.ts';
import { dmaBufDetach, dmaBufDynamicAttach } from '../kernel/attach.ts';
import { dmaBufPut, type DmaBuf, type DmaBufAttachment, type DmaBufAttachOps } from '../kernel/dma-buf.ts';
import { ERRNO } from '../kernel/errno.ts';
import { dmaFenceContextAlloc, dmaFenceInit, dmaFenceWaitTimeout, MAX_SCHEDULE_TIMEOUT, type DmaFence } from '../kernel/fence.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { dmaResvLock, dmaResvUnlock } from '../kernel/resv.ts';
import { newEngine, submitJob, type DmaEngine, type DmaJob } from '../hw/engine.ts';
import type { DriverEnv, ExporterInstance, ImporterInstance } from './types.ts';

export interface ImporterBase {
  readonly k: Kernel;
  readonly buf: DmaBuf;
  readonly dev: string;
  readonly opLock: Mutex;
  /** the attachment slot object (device threads watch it before the attachment exists) */
  readonly slot: number;
  readonly engine: DmaEngine;
  /** fences of jobs not yet waited for */
  jobs: DmaFence[];
  newFence(what: string): DmaFence;
}

export function importerBase(env: DriverEnv, dev: string, exp: ExporterInstance): ImporterBase {
  const { k, rt } = env;
  const engine = newEngine(rt, dev);
  engine.tracker = exp.tracker;
  const context = dmaFenceContextAlloc(k, 1);
  let seqno = 0;
  return {
    k, buf: exp.buf, dev, opLock: newMutex(rt, `${dev}.ops`, 'importer-ops'), slot: rt.newObject(`${dev}.attachment`), engine, jobs: [],
    newFence: (what: string) => dmaFenceInit(k, `${dev}-${what}${++seqno}`, context, seqno, `${dev} engine`),
  };
}

/**
 * The fd part of `import` (R31 dma_buf_get on the exporter's fd): the fd lookup and the
 * new reference are one step, as fget is; -EBADF once the exporter closed the fd.
 */
export function* dmaBufGetFd(b: { readonly buf: DmaBuf }, exp: ExporterInstance): Proc<number> {
  const buf = b.buf;
  const ok = (yield {
    kind: OpKind.Write, obj: buf.id, write: true, label: 'dma_buf_get', detail: `${buf.name} fd`,
    // fdOpen is written only by ordinary writes of the file object: a commuting get reads it stably
    counter: { delta: 1, value: () => buf.refcount, held: true },
    apply: () => {
      if (!exp.fdOpen) return false;
      buf.refcount++;
      return true;
    },
  }) as boolean;
  return ok ? 0 : -ERRNO.EBADF;
}

/**
 * The start of an importer's `import`: the fd reference, then R33 with the importer's ops
 * (R34 with null); a refused attach drops the reference again. Returns the attachment or
 * a negative errno.
 */
export function* getAndAttach(b: ImporterBase, exp: ExporterInstance, dev: string, ops: DmaBufAttachOps | null, priv: unknown): Proc<DmaBufAttachment | number> {
  const g = yield* dmaBufGetFd(b, exp);
  if (g < 0) return g;
  const a = yield* dmaBufDynamicAttach(b.k, b.buf, dev, ops, priv, b.slot);
  if (typeof a === 'number') yield* dmaBufPut(b.k, b.buf);
  return a;
}

/**
 * The end of every importer's release and of an import it undoes: R35 detach (resv not
 * held), then the fd reference is dropped (R31), then `forget` clears the importer's own
 * record of the attachment. Returns 0.
 */
export function* detachAndPut(b: { readonly k: Kernel; readonly buf: DmaBuf }, a: DmaBufAttachment, forget?: () => void): Proc<number> {
  yield* dmaBufDetach(b.k, b.buf, a);
  yield* dmaBufPut(b.k, b.buf);
  forget?.();
  return 0;
}

/** Queues one transfer whose completion fence the importer keeps to itself. */
export function* submitPrivate(b: ImporterBase, job: Omit<DmaJob, 'name' | 'fence' | 'deps'> & { deps?: readonly DmaFence[] }): Proc {
  const f = b.newFence('wr');
  b.jobs.push(f);
  yield* submitJob(b.engine, { name: f.name, deps: [], ...job, fence: f });
}

/** Waits until the device finished every job submitted so far (the importer's own fences). */
export function* waitOwnJobs(b: ImporterBase): Proc {
  for (const f of b.jobs) yield* dmaFenceWaitTimeout(b.k, f, MAX_SCHEDULE_TIMEOUT);
  b.jobs = [];
}

/** Runs `body` with the importer's op lock held (contract §1). */
export function* serialised(b: ImporterBase, body: Proc<number>): Proc<number> {
  yield* mutexLock(b.k.rt, b.opLock);
  const r = yield* body;
  yield* mutexUnlock(b.k.rt, b.opLock);
  return r;
}

/** Runs `body` with the buffer's reservation lock held (a remap: R38 wants it held). */
export function* resvLocked(b: { readonly k: Kernel; readonly buf: DmaBuf }, body: Proc<number>): Proc<number> {
  yield* dmaResvLock(b.k, b.buf.resv);
  const r = yield* body;
  yield* dmaResvUnlock(b.k, b.buf.resv);
  return r;
}

/**
 * The scenario ops of an importer that can import, submit and release but not remap
 * (rule book §5 table: iommufd, rdma-pinned, static), each serialised on the importer.
 */
export function importDmaRelease(
  b: ImporterBase, dev: string, attachOps: DmaBufAttachOps | null,
  ops: { doImport: () => Proc<number>; doDma: (count: number, write: boolean) => Proc<number>; doRelease: () => Proc<number> },
): ImporterInstance {
  return {
    id: dev,
    attachOps,
    *op(name, args): Proc<number> {
      switch (name) {
        case 'import': return yield* serialised(b, ops.doImport());
        case 'dma': return yield* serialised(b, ops.doDma(args.count ?? 1, args.write ?? true));
        case 'release': return yield* serialised(b, ops.doRelease());
        default: return -ERRNO.EOPNOTSUPP;
      }
    },
  };
}
