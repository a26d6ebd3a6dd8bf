/**
 * dma_buf objects, export and references (rule book S9-S17, R30-R32).
 */
import { OpKind, type Proc } from '../sim/op.ts';
import { ERRNO } from './errno.ts';
import type { DmaFence } from './fence.ts';
import { warn, type Kernel } from './kernel.ts';
import { dmaResvInit, type DmaResv } from './resv.ts';

export type DmaDataDirection = 'DMA_TO_DEVICE' | 'DMA_FROM_DEVICE' | 'DMA_BIDIRECTIONAL';

/** What an sg table's addresses point at; hw/ defines the regions. */
export interface MemTarget {
  readonly id: number;
  readonly name: string;
  /** placement generation (S19) */
  epoch: number;
}

/** S18: an sg table built by the exporter's map_dma_buf. */
export interface SgTable {
  /** object id: the device reads it on every access, unmap writes it */
  readonly id: number;
  readonly name: string;
  readonly attachment: DmaBufAttachment;
  readonly dir: DmaDataDirection;
  readonly region: MemTarget;
  readonly epoch: number;
  /** event index at which the table was built */
  readonly createdAt: number;
  /** KERNEL fences present when it was handed out (R42) */
  readonly readyAfter: readonly DmaFence[];
  live: boolean;
}

/** Importer ops (S14): the callback is `move_notify` before the series. */
export interface DmaBufAttachOps {
  readonly allowPeer2peer: boolean;
  /** absent: the importer cannot be invalidated (`[landed]`) */
  readonly invalidateMappings?: (k: Kernel, a: DmaBufAttachment) => Proc;
  /** v3: the callback is dma_buf_unsupported_invalidate_mappings */
  readonly unsupported?: boolean;
}

/** Exporter ops (S9). Ops marked "held" run with the resv held (rule book §3.3). */
export interface DmaBufOps {
  attach?(k: Kernel, buf: DmaBuf, a: DmaBufAttachment): Proc<number>;
  detach?(k: Kernel, buf: DmaBuf, a: DmaBufAttachment): Proc;
  /** held */
  pin?(k: Kernel, a: DmaBufAttachment): Proc<number>;
  /** held */
  unpin?(k: Kernel, a: DmaBufAttachment): Proc;
  /** held; a table or a negative errno */
  mapDmaBuf(k: Kernel, a: DmaBufAttachment, dir: DmaDataDirection): Proc<SgTable | number>;
  /** held */
  unmapDmaBuf(k: Kernel, a: DmaBufAttachment, sgt: SgTable, dir: DmaDataDirection): Proc;
  release(k: Kernel, buf: DmaBuf): Proc;
}

/** Model-only observers an exporter installs (P5 is judged where attaches complete). */
export interface DmaBufHooks {
  attached?(k: Kernel, buf: DmaBuf, a: DmaBufAttachment): void;
  revokeBegins?(k: Kernel, buf: DmaBuf): void;
}

export interface DmaBuf {
  /** the file reference count object */
  readonly id: number;
  readonly name: string;
  readonly exporter: string;
  readonly ops: DmaBufOps;
  readonly priv: unknown;
  readonly resv: DmaResv;
  refcount: number;
  /** newest first; protected by resv (S9) */
  attachments: DmaBufAttachment[];
  vmappingCounter: number;
  released: boolean;
  hooks: DmaBufHooks;
}

export interface DmaBufAttachment {
  readonly id: number;
  readonly name: string;
  readonly dmabuf: DmaBuf;
  readonly dev: string;
  readonly importerOps: DmaBufAttachOps | null;
  readonly importerPriv: unknown;
  peer2peer: boolean;
  onList: boolean;
  pins: number;
  readonly mappings: Set<SgTable>;
  pinnedOnMap: number;
  detached: boolean;
}

export interface DmaBufExportInfo {
  readonly name: string;
  readonly exporter: string;
  readonly ops: DmaBufOps;
  readonly priv: unknown;
  readonly resv?: DmaResv;
}

/**
 * R30: a buffer with refcount 1 and its own reservation object unless one is given.
 * Returns -EINVAL (with a WARN) when pin/unpin are not paired.
 */
export function dmaBufExport(k: Kernel, info: DmaBufExportInfo): DmaBuf | number {
  if (!info.ops.pin !== !info.ops.unpin) {
    warn(k, 'R30', `dma_buf_export(${info.name}): pin and unpin must both be set or both unset`);
    return -ERRNO.EINVAL;
  }
  return {
    id: k.rt.newObject(`${info.name}.file`), name: info.name, exporter: info.exporter, ops: info.ops, priv: info.priv,
    resv: info.resv ?? dmaResvInit(k, `${info.name}.resv`), refcount: 1, attachments: [], vmappingCounter: 0,
    released: false, hooks: {},
  };
}

/** S10 / R46: an exporter is dynamic iff it can pin. */
export function dmaBufIsDynamic(buf: DmaBuf): boolean {
  return buf.ops.pin !== undefined;
}

/** R31: a new file reference (dma_buf_get on an fd the caller has). */
export function* dmaBufGet(k: Kernel, buf: DmaBuf): Proc {
  yield {
    kind: OpKind.Write, obj: buf.id, write: true, label: 'dma_buf_get', detail: buf.name,
    apply: () => {
      if (buf.refcount <= 0 || buf.released) k.rt.report('api-misuse', 'R31', `dma_buf_get(${buf.name}) on a released buffer`);
      buf.refcount++;
    },
  };
}

/** R31, R32: drops a reference; the last one releases the buffer. */
export function* dmaBufPut(k: Kernel, buf: DmaBuf): Proc {
  const last = (yield {
    kind: OpKind.Write, obj: buf.id, write: true, label: 'dma_buf_put', detail: buf.name,
    apply: () => {
      if (buf.refcount <= 0) {
        k.rt.report('api-misuse', 'R31', `dma_buf_put(${buf.name}) drops the refcount below zero`);
        return false;
      }
      return --buf.refcount === 0;
    },
  }) as boolean;
  if (!last) return;
  if (buf.vmappingCounter !== 0) k.rt.bug('R32', `release of ${buf.name} with vmapping_counter ${buf.vmappingCounter}`);
  yield* buf.ops.release(k, buf);
  if (buf.attachments.length > 0) warn(k, 'R32', `release of ${buf.name} with ${buf.attachments.length} attachment(s) still on its list`);
  buf.released = true;
}
