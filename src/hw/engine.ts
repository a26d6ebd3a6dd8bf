/**
 * Device DMA engines (rule book S21): one background thread per importer device that runs
 * queued jobs in submission order, performs each transfer, and signals the job's fence.
 * A prefetcher thread models speculative reads through tables not yet unmapped.
 */
import { waitOp } from '../sim/completion.ts';
import { local, OpKind, type Proc } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { SgTable } from '../kernel/dma-buf.ts';
import { dmaFenceSignal, dmaFenceWaitTimeout, MAX_SCHEDULE_TIMEOUT, type DmaFence } from '../kernel/fence.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { IommuMapping } from './iommu.ts';
import { accessFootprint, judgeAccess, type Access, type RevokeTracker } from './oracle.ts';
import { armedReads, type MemRegion } from './region.ts';

export interface DmaJob {
  readonly name: string;
  /** a transfer through `table`, or a driver action run on the engine (page-table teardown) */
  readonly table: SgTable | null;
  readonly write: boolean;
  /** fences the job waits for before it runs (R42: the KERNEL fences at submission) */
  readonly deps: readonly DmaFence[];
  /** signalled when the job is done; null for unfenced jobs */
  readonly fence: DmaFence | null;
  readonly action?: () => void;
  /** a transfer through an IOMMU range (iommufd): faults without access once unmapped */
  readonly iova?: IommuMapping;
  /** a driver-specific transfer run on the engine instead of the table access (ODP faults) */
  readonly run?: () => Proc;
}

export interface DmaEngine {
  readonly id: number;
  readonly device: string;
  readonly queue: DmaJob[];
  tracker: RevokeTracker | null;
  /** jobs run so far */
  ran: number;
}

export function newEngine(rt: Runtime, device: string): DmaEngine {
  return { id: rt.newObject(`${device}.engine`), device, queue: [], tracker: null, ran: 0 };
}

/** Queues a job (the doorbell write). */
export function* submitJob(e: DmaEngine, job: DmaJob): Proc {
  yield { kind: OpKind.Write, obj: e.id, write: true, label: 'submit', detail: `${e.device} ${job.name}`, apply: () => { e.queue.push(job); } };
}

/** The device access op: reads the region, the table and the revoke state. */
export function* dmaAccess(rt: Runtime, a: Access, label: string): Proc {
  yield {
    kind: OpKind.Dma, obj: a.region.id, write: false, also: accessFootprint(a), label,
    detail: `${a.region.name} via ${a.table.name}`,
    apply: () => { judgeAccess(rt, a); },
  };
}

/** A transfer through an IOVA range: reaches the region only while the range is present. */
export function* iovaAccess(rt: Runtime, e: DmaEngine, m: IommuMapping, write: boolean): Proc {
  const a: Access = { device: e.device, table: m, region: m.region, write, speculative: false, tracker: e.tracker };
  const reached = yield {
    kind: OpKind.Dma, obj: m.region.id, write: false, also: accessFootprint(a), label: write ? 'dma write' : 'dma read',
    detail: `${m.region.name} via ${m.name}`,
    apply: () => {
      if (!m.present) return false;
      judgeAccess(rt, a);
      return true;
    },
  };
  if (!reached) yield local('IOMMU fault', `${e.device} ${m.name} is unmapped: no access`);
}

/** The engine thread body: idles while the queue is empty (a background thread). */
export function* engineThread(k: Kernel, e: DmaEngine): Proc {
  for (;;) {
    yield waitOp(e.id, 'engine idle', e.device, () => e.queue.length > 0, 'idle');
    const job = (yield {
      kind: OpKind.Write, obj: e.id, write: true, label: 'engine fetch', detail: e.device, role: 'bookkeeping', apply: () => e.queue.shift(),
    }) as DmaJob;
    for (const d of job.deps) yield* dmaFenceWaitTimeout(k, d, MAX_SCHEDULE_TIMEOUT);
    if (job.run) yield* job.run();
    else if (job.iova) yield* iovaAccess(k.rt, e, job.iova, job.write);
    else if (job.table) {
      const t = job.table;
      yield* dmaAccess(k.rt, { device: e.device, table: t, region: t.region as MemRegion, write: job.write, speculative: false, tracker: e.tracker }, job.write ? 'dma write' : 'dma read');
    }
    job.action?.();
    e.ran++;
    if (job.fence) yield* dmaFenceSignal(k, job.fence);
  }
}

/**
 * The prefetcher (S21, RV5): a speculative read through a table of this importer at most
 * once per table and disable of its region. A read is armed when the region goes
 * `disabled` while the exporter has the table handed out, and stays armed until taken: if
 * the importer unmapped the table first, the read finds it gone and touches nothing. (An arm that a later unmap would
 * disable again hides the race from a partial-order search; this one cannot.) `watch`
 * lists every object the choice depends on: the importer's attachment slot and the
 * exporter's regions.
 */
export function* prefetchThread(k: Kernel, e: DmaEngine, regions: readonly MemRegion[], slot: number): Proc {
  const done = new Set<string>();
  const candidate = (): { table: SgTable; key: string } | null => {
    for (const r of regions) {
      for (const x of armedReads(r, e.device)) if (!done.has(x.key)) return x;
    }
    return null;
  };
  const watch = [slot, ...regions.map((r) => r.id)];
  const also = e.tracker ? [...watch, e.tracker.id] : watch;
  for (;;) {
    yield {
      kind: OpKind.Dma, obj: e.id, write: false, also, label: 'speculative read', detail: e.device, blockReason: 'idle', role: 'speculative',
      enabled: () => candidate() !== null,
      apply: () => {
        const x = candidate()!;
        done.add(x.key);
        const t = x.table;
        if (!t.live) return;
        judgeAccess(k.rt, { device: e.device, table: t, region: t.region as MemRegion, write: false, speculative: true, tracker: e.tracker });
      },
    };
  }
}
