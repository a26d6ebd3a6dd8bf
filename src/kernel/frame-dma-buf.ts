/**
 * dma_buf objects, export and references in the compiled function* subset (rule book
 * S9-S17, R30-R32): the data-world form of kernel/dma-buf.ts (the fd table of R31 is not
 * ported yet). An exporter's ops are program function ids in the kernel's table
 * (frame-kernel.ts ExporterOpsTable), called with `invoke`.
 * (linux: drivers/dma-buf/dma-buf.c)
 */
import { invoke, sched, type FrameProc } from '../sim/frame-ops.ts';
import { simBug, simReport } from '../sim/frame-sim.ts';
import { structAlloc, type Ref } from '../sim/struct.ts';
import type { StorePool } from '../sim/store.ts';
import { ERRNO } from './errno.ts';
import { warn, type KernelCtx } from './frame-kernel.ts';
import type { DmaResv } from './frame-resv.ts';

export const DMA_TO_DEVICE = 0;
export const DMA_FROM_DEVICE = 1;
export const DMA_BIDIRECTIONAL = 2;

/** struct dma_buf (S9) */
export interface DmaBuf {
  refcount: number;
  released: boolean;
  /** the exporter's op table (FrameKernel.exporters) */
  ops: number;
  /** the exporter's private object */
  priv: number;
  resv: Ref<DmaResv>;
  /** the attachment list, newest first (S9, R43): its head; each links the next; protected by resv */
  attachments: Ref<DmaBufAttachment>;
  vmappingCounter: number;
  /** naming data for the world's bufName */
  name: number;
}

/** struct dma_buf_attachment (S15): the importer owns the object, attach fills it in. */
export interface DmaBufAttachment {
  dmabuf: Ref<DmaBuf>;
  /** the importer's op table + 1 (FrameKernel.importers); 0 for a static attachment */
  importerOps: number;
  importerPriv: number;
  next: Ref<DmaBufAttachment>;
  peer2peer: boolean;
  onList: boolean;
  pins: number;
  /** live mappings (tables with `mapped` set) */
  mappings: number;
  pinnedOnMap: number;
  detached: boolean;
  /** naming data for the world's devName and attachmentName */
  dev: number;
}

/**
 * struct sg_table (S18): the exporter allocates it. The core's fields, then what the
 * hardware layer reads and keeps about the memory it points at (hw/frame-region.ts,
 * frame-oracle.ts): the region (a reference the kernel does not look into), its
 * placement generation, the revokes begun before it was built (instead of the generator
 * form's event index), the KERNEL fence it must wait for (R42), and its span of region
 * disables and the speculative reads taken through it (S21).
 */
export interface SgTable {
  attachment: Ref<DmaBufAttachment>;
  dir: number;
  live: boolean;
  /** a live mapping of its attachment (the generator form's `a.mappings` set) */
  mapped: boolean;
  /** naming data for the world's tableName */
  seq: number;
  region: number;
  epoch: number;
  /** revokes of the exporter's tracker begun before the table was built (frame-oracle.ts) */
  revokesBefore: number;
  /** the KERNEL fence present when it was handed out (R42), 0 for none */
  ready: number;
  /** the exporter built it onto its region (its span below exists) */
  spanned: boolean;
  /** region disables when the exporter built it and took it back (DISABLES_OPEN while handed out) */
  spanFrom: number;
  spanTo: number;
  /** speculative reads its device's prefetcher took through it (S21) */
  taken: number;
}

export function bufName(k: KernelCtx, buf: Ref<DmaBuf>): string {
  return k.env.kernel.bufName(k.s, buf);
}

export function tableName(k: KernelCtx, sgt: Ref<SgTable>): string {
  return k.env.kernel.tableName(k.s, sgt);
}

/** An event on `buf` (its detail the buffer's name, then `what`). */
export function bufEvent(k: KernelCtx, label: string, buf: Ref<DmaBuf>, what: string): void {
  if (k.out.records) k.out.event(k.tid, label, what === '' ? bufName(k, buf) : `${bufName(k, buf)} ${what}`);
}

/**
 * R30: a buffer with refcount 1 over `resv`, from `pool`. Returns its reference, or
 * -EINVAL (with a WARN) when map, unmap or release is missing, `priv` is null, or pin
 * and unpin are not paired.
 */
export function dmaBufExport(k: KernelCtx, pool: StorePool, ops: number, priv: number, resv: Ref<DmaResv>, name: number, display: string): number {
  const t = k.env.kernel.exporters[ops]!;
  if (priv === 0 || t.map < 0 || t.unmap < 0 || t.release < 0) {
    const missing = [priv === 0 ? 'priv' : '', t.map < 0 ? 'map_dma_buf' : '', t.unmap < 0 ? 'unmap_dma_buf' : '', t.release < 0 ? 'release' : ''].filter((x) => x !== '');
    warn(k, 'R30', `dma_buf_export(${display}): missing ${missing.join(', ')}`);
    return -ERRNO.EINVAL;
  }
  if ((t.pin < 0) !== (t.unpin < 0)) {
    warn(k, 'R30', `dma_buf_export(${display}): pin and unpin must both be set or both unset`);
    return -ERRNO.EINVAL;
  }
  const buf = structAlloc(k.s, pool) as Ref<DmaBuf>;
  if (buf === 0) throw new Error(`model bug: buffer pool ${pool.name} is full (${pool.cap})`);
  buf.refcount = 1;
  buf.ops = ops;
  buf.priv = priv;
  buf.resv = resv;
  buf.name = name;
  return buf;
}

/** R31: any use of a released buffer is api-misuse; returns whether `buf` is alive. */
export function dmaBufCheckAlive(k: KernelCtx, buf: Ref<DmaBuf>, fn: string): boolean {
  if (!buf.released) return true;
  simReport(k, 'api-misuse', 'R31', `${fn}(${bufName(k, buf)}) on a released buffer`);
  return false;
}

/** S10 / R46: an exporter is dynamic iff it can pin. */
export function dmaBufIsDynamic(k: KernelCtx, buf: Ref<DmaBuf>): boolean {
  return k.env.kernel.exporters[buf.ops]!.pin >= 0;
}

/** R31: a new file reference (dma_buf_get on an fd the caller has). One step. */
export function* dmaBufGet(k: KernelCtx, buf: Ref<DmaBuf>): FrameProc {
  yield sched();
  bufEvent(k, 'dma_buf_get', buf, '');
  if (buf.refcount <= 0 || buf.released) simReport(k, 'api-misuse', 'R31', `dma_buf_get(${bufName(k, buf)}) on a released buffer`);
  buf.refcount++;
}

/** R31, R32: drops a reference (one step); the last one releases the buffer through the exporter's release op. */
export function* dmaBufPut(k: KernelCtx, buf: Ref<DmaBuf>): FrameProc {
  yield sched();
  bufEvent(k, 'dma_buf_put', buf, '');
  if (buf.refcount <= 0) {
    simReport(k, 'api-misuse', 'R31', `dma_buf_put(${bufName(k, buf)}) drops the refcount below zero`);
    return;
  }
  buf.refcount--;
  if (buf.refcount !== 0) return;
  if (buf.vmappingCounter !== 0) simBug(k, 'R32', `release of ${bufName(k, buf)} with vmapping_counter ${buf.vmappingCounter}`);
  yield* invoke(k, k.env.kernel.exporters[buf.ops]!.release, buf);
  const n = attachmentCount(k, buf);
  if (n > 0) warn(k, 'R32', `release of ${bufName(k, buf)} with ${n} attachment(s) still on its list`);
  buf.released = true;
}

/** The attachments on `buf`'s list. */
export function attachmentCount(k: KernelCtx, buf: Ref<DmaBuf>): number {
  let n = 0;
  for (let a = buf.attachments; a !== 0; a = a.next) n++;
  return n;
}
