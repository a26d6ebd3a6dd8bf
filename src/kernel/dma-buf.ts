/**
 * dma_buf objects, export and references (rule book S9-S17, R30-R32).
 */
import { callEntry, OpKind, type Proc } from '../sim/op.ts';
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
  /** resv free (R51) */
  mmap?(k: Kernel, buf: DmaBuf, vma: VmArea): Proc<number>;
  /** held (R49); a kernel address or a negative errno */
  vmap?(k: Kernel, buf: DmaBuf): Proc<number>;
  /** held (R49) */
  vunmap?(k: Kernel, buf: DmaBuf, vaddr: number): Proc;
  /** resv free (R47) */
  beginCpuAccess?(k: Kernel, buf: DmaBuf, dir: DmaDataDirection): Proc<number>;
  /** resv free (R48) */
  endCpuAccess?(k: Kernel, buf: DmaBuf, dir: DmaDataDirection): Proc<number>;
}

/** The part of a vm_area_struct dma_buf_mmap looks at (R51). */
export interface VmArea {
  readonly pages: number;
  pgoff: number;
  file: DmaBuf | null;
}

export const PAGE_SIZE = 4096;

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
  /** the cached vmap address (R49), 0 when none */
  vmapPtr: number;
  /** bytes (R51) */
  readonly size: number;
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
  /** checked by R30: map_dma_buf, unmap_dma_buf and release are mandatory */
  readonly ops: Partial<DmaBufOps> | null;
  readonly priv: unknown;
  readonly resv?: DmaResv;
  /** bytes; one page when absent */
  readonly size?: number;
}

/**
 * R30: a buffer with refcount 1 and its own reservation object unless one is given.
 * Returns -EINVAL (with a WARN) when pin/unpin are not paired.
 */
export function dmaBufExport(k: Kernel, info: DmaBufExportInfo): DmaBuf | number {
  const ops = info.ops;
  if (info.priv === null || info.priv === undefined || !ops || !ops.mapDmaBuf || !ops.unmapDmaBuf || !ops.release) {
    const missing = !ops ? ['ops'] : (['mapDmaBuf', 'unmapDmaBuf', 'release'] as const).filter((o) => !ops[o]).map((o) => OP_NAMES[o]);
    if (info.priv === null || info.priv === undefined) missing.unshift('priv');
    warn(k, 'R30', `dma_buf_export(${info.name}): missing ${missing.join(', ')}`);
    return -ERRNO.EINVAL;
  }
  if (!ops.pin !== !ops.unpin) {
    warn(k, 'R30', `dma_buf_export(${info.name}): pin and unpin must both be set or both unset`);
    return -ERRNO.EINVAL;
  }
  return {
    id: k.rt.newObject(`${info.name}.file`), name: info.name, exporter: info.exporter, ops: ops as DmaBufOps, priv: info.priv,
    resv: info.resv ?? dmaResvInit(k, `${info.name}.resv`), refcount: 1, attachments: [], vmappingCounter: 0, vmapPtr: 0,
    size: info.size ?? PAGE_SIZE, released: false, hooks: {},
  };
}

/** Kernel spelling of the exporter op fields. */
export const OP_NAMES: Record<keyof DmaBufOps, string> = {
  attach: 'attach', detach: 'detach', pin: 'pin', unpin: 'unpin', mapDmaBuf: 'map_dma_buf', unmapDmaBuf: 'unmap_dma_buf',
  release: 'release', mmap: 'mmap', vmap: 'vmap', vunmap: 'vunmap', beginCpuAccess: 'begin_cpu_access', endCpuAccess: 'end_cpu_access',
};

/** R31: any use of a released buffer is api-misuse; returns whether `buf` is alive. */
export function dmaBufCheckAlive(k: Kernel, buf: DmaBuf, fn: string): boolean {
  if (!buf.released) return true;
  k.rt.report('api-misuse', 'R31', `${fn}(${buf.name}) on a released buffer`);
  return false;
}

/** R31: dma_buf_fd installs an fd for `buf`, consuming the caller's reference. */
export function* dmaBufFd(k: Kernel, buf: DmaBuf): Proc<number> {
  const r = yield {
    kind: OpKind.Write, obj: buf.id, write: true, label: 'dma_buf_fd', detail: buf.name,
    apply: () => {
      dmaBufCheckAlive(k, buf, 'dma_buf_fd');
      const fd = k.nextFd++;
      k.fds.set(fd, buf);
      return fd;
    },
  };
  return r as number;
}

/** R31: dma_buf_get(fd): a new reference, -EBADF for no such fd, -EINVAL for another file. */
export function* dmaBufGetFd(k: Kernel, fd: number): Proc<DmaBuf | number> {
  const f = k.fds.get(fd);
  if (f === undefined) { yield callEntry('dma_buf_get', `fd ${fd} -EBADF`); return -ERRNO.EBADF; }
  if (!isDmaBuf(f)) { yield callEntry('dma_buf_get', `fd ${fd} -EINVAL`); return -ERRNO.EINVAL; }
  yield* dmaBufGet(k, f);
  return f;
}

function isDmaBuf(x: unknown): x is DmaBuf {
  return typeof x === 'object' && x !== null && 'attachments' in x && 'resv' in x;
}

/** S10 / R46: an exporter is dynamic iff it can pin. */
export function dmaBufIsDynamic(buf: DmaBuf): boolean {
  return buf.ops.pin !== undefined;
}

/** R31: a new file reference (dma_buf_get on an fd the caller has). */
export function* dmaBufGet(k: Kernel, buf: DmaBuf): Proc {
  yield {
    kind: OpKind.Write, obj: buf.id, write: true, label: 'dma_buf_get', detail: buf.name,
    counter: { delta: 1, value: () => buf.refcount, held: true },
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
    counter: { delta: -1, value: () => buf.refcount, held: true },
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
