/**
 * Device DMA engines (rule book S21) in the compiled function* subset, the data-world form
 * of the engine thread of hw/engine.ts: one background thread per importer device runs
 * the queued jobs in submission order, waits for each job's dependencies, performs the
 * transfer and signals the job's fence. A job's driver-specific work is a function id (a
 * transfer run instead of the table access, invoked with the job) or an index into the
 * world's action table (run after it), not a closure; a transfer goes through a table or
 * an IOMMU range (frame-iommu.ts).
 */
import { invoke, sched, waitGt, type FrameProc } from '../sim/frame-ops.ts';
import { addr, structAlloc, type AnyRef, type Ref } from '../sim/struct.ts';
import type { StorePool } from '../sim/store.ts';
import { devName } from '../kernel/frame-attach.ts';
import type { DmaBufAttachment, SgTable } from '../kernel/frame-dma-buf.ts';
import { dmaFenceSignal, dmaFenceWaitTimeout, MAX_SCHEDULE_TIMEOUT, type DmaFence } from '../kernel/frame-fence.ts';
import { dmaAccess, type RevokeTracker } from './frame-oracle.ts';
import { iovaAccess, type IommuMapping } from './frame-iommu.ts';
import type { HwCtx } from './frame-region.ts';

/** A job: what the engine does, in the order the importer queued it. */
export interface DmaJob {
  /** a transfer through this table, 0 for a job without one */
  table: Ref<SgTable>;
  write: boolean;
  /** signalled when the job is done, 0 for an unfenced job */
  fence: Ref<DmaFence>;
  /** fences the job waits for before it runs (R42: the KERNEL fences at submission) */
  dep0: Ref<DmaFence>;
  dep1: Ref<DmaFence>;
  /** a transfer through an IOVA range (iommufd) instead of a table, 0 for none */
  iova: Ref<IommuMapping>;
  /** a transfer run instead of the table access: a function id invoked with the job, -1 for none */
  run: number;
  /** run after the transfer: an index into the world's action table, -1 for none */
  action: number;
  next: Ref<DmaJob>;
  /** naming data for the world's jobName: an object's slot (the importers name a job by its fence) */
  name: AnyRef;
}

export interface DmaEngine {
  head: Ref<DmaJob>;
  tail: Ref<DmaJob>;
  queued: number;
  /** jobs run so far */
  ran: number;
  /** the device the engine belongs to (its attachment, for names) */
  dev: Ref<DmaBufAttachment>;
  tracker: Ref<RevokeTracker>;
}

export function jobName(k: HwCtx, j: Ref<DmaJob>): string {
  return k.env.hw.jobName(k.s, j);
}

/** A job from `pool` (a full pool is a model bug), not yet queued. */
export function newJob(k: HwCtx, pool: StorePool, table: Ref<SgTable>, write: boolean, fence: Ref<DmaFence>, name: AnyRef): Ref<DmaJob> {
  const j = structAlloc(k.s, pool) as Ref<DmaJob>;
  if (j === 0) throw new Error(`model bug: job pool ${pool.name} is full (${pool.cap})`);
  j.table = table;
  j.write = write;
  j.fence = fence;
  j.run = -1;
  j.action = -1;
  j.name = name;
  return j;
}

/** Queues a job (the doorbell write): one step. */
export function* submitJob(k: HwCtx, e: Ref<DmaEngine>, j: Ref<DmaJob>): FrameProc {
  yield sched();
  if (k.out.records) k.out.event(k.tid, 'submit', `${devName(k, e.dev)} ${jobName(k, j)}`);
  if (e.tail === 0) e.head = j;
  else e.tail.next = j;
  e.tail = j;
  e.queued++;
}

/** Takes the next job off the queue. */
export function popJob(k: HwCtx, e: Ref<DmaEngine>): Ref<DmaJob> {
  const j = e.head;
  e.head = j.next;
  if (e.head === 0) e.tail = 0 as Ref<DmaJob>;
  j.next = 0 as Ref<DmaJob>;
  e.queued--;
  return j;
}

/** Runs the world's action `action` of job `j` (after its transfer). */
export function runAction(k: HwCtx, j: Ref<DmaJob>): void {
  if (j.action >= 0) k.env.hw.actions[j.action]!(k, j);
}

/** The engine thread: idles while the queue is empty (a background thread). */
export function* engineThread(k: HwCtx, e: Ref<DmaEngine>): FrameProc {
  for (;;) {
    yield waitGt(addr(e.queued), 0);
    if (k.out.records) k.out.event(k.tid, 'engine idle', devName(k, e.dev));
    yield sched();
    if (k.out.records) k.out.event(k.tid, 'engine fetch', devName(k, e.dev));
    const j = popJob(k, e);
    if (j.dep0 !== 0) yield* dmaFenceWaitTimeout(k, j.dep0, MAX_SCHEDULE_TIMEOUT);
    if (j.dep1 !== 0) yield* dmaFenceWaitTimeout(k, j.dep1, MAX_SCHEDULE_TIMEOUT);
    if (j.run >= 0) yield* invoke(k, j.run, j);
    else if (j.iova !== 0) yield* iovaAccess(k, e.dev, j.iova, j.write, e.tracker);
    else if (j.table !== 0) yield* dmaAccess(k, e.dev, j.table, j.write, e.tracker);
    runAction(k, j);
    e.ran++;
    if (j.fence !== 0) yield* dmaFenceSignal(k, j.fence);
  }
}
