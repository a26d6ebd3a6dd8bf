/**
 * The kernel of a data world (docs/design.md "Port plan", slice 3): what kernel/kernel.ts
 * keeps in the `Kernel` object, as store slots (per-thread signalling depth, the next
 * fence context) and fixed tables (the version, how objects are named in events, the
 * callback functions by id). Subset code reaches it as `k.env.kernel`.
 */
import type { FrameCtx } from '../sim/frame-ops.ts';
import { simReport, type FrameSim, type FrameSimEnv } from '../sim/frame-sim.ts';
import type { Store, StoreLayout } from '../sim/store.ts';
import type { KernelVersion } from './kernel.ts';

/**
 * A fence callback's function (struct dma_fence_cb.func), run by the signalling thread
 * with the fence's lock held (R4); registered by id, since the state holds ids, not closures.
 */
export type FenceCallbackFn = (k: KernelCtx, fence: number, cb: number) => void;

/**
 * An exporter's ops (struct dma_buf_ops) as program function ids of subset functions, -1
 * for an op the exporter does not have; `hooks` are the model's observers (P5), plain
 * functions run inside the step.
 */
export interface ExporterOpsTable {
  readonly name: string;
  readonly attach: number;
  readonly detach: number;
  readonly pin: number;
  readonly unpin: number;
  readonly map: number;
  readonly unmap: number;
  readonly release: number;
  attached?(k: KernelCtx, buf: number, a: number): void;
}

/** An importer's ops (struct dma_buf_attach_ops): the invalidate callback's function id or -1 (S14). */
export interface ImporterOpsTable {
  readonly allowPeer2peer: boolean;
  readonly invalidate: number;
  /** v3: the callback is dma_buf_unsupported_invalidate_mappings (R45 treats it as absent) */
  readonly unsupported: boolean;
}

export interface FrameKernel {
  readonly version: KernelVersion;
  /** first of the per-thread slots of dma_fence_begin_signalling depth (R13) */
  readonly signalling: number;
  /** slot of the next fresh fence context (R1) */
  readonly nextContext: number;
  /** a fence's and a callback's name in events and messages, from their fields */
  fenceName(s: Store, fence: number): string;
  callbackName(s: Store, cb: number): string;
  /** callback functions by id (DmaFenceCb.func) */
  readonly callbacks: readonly FenceCallbackFn[];
  /** CONFIG_DMABUF_MOVE_NOTIFY (kernel.ts) */
  readonly configMoveNotify: boolean;
  /** exporter and importer op tables, by the index a buffer's `ops` and an attachment's `importerOps` hold (the latter + 1; 0 for a static attachment) */
  readonly exporters: readonly ExporterOpsTable[];
  readonly importers: readonly ImporterOpsTable[];
  /** names in events: a buffer, an attachment (`gpu0-attach`), its device, an sg table */
  bufName(s: Store, buf: number): string;
  attachmentName(s: Store, a: number): string;
  devName(s: Store, a: number): string;
  tableName(s: Store, sgt: number): string;
  /** labels of driver steps, by the index a subset function is passed (a string is no slot) */
  readonly labels: readonly string[];
  /** slot of the next ww acquire stamp; the acquire contexts, their names; the guard of a context queued on a lock */
  readonly nextStamp: number;
  readonly contexts: readonly number[];
  ctxName(s: Store, ctx: number): string;
  readonly wwGuard: number;
}

export interface FrameKernelEnv extends FrameSimEnv {
  readonly kernel: FrameKernel;
}

/** The context of kernel code in the subset. */
export type KernelCtx = FrameCtx<FrameKernelEnv>;

/** Registers the kernel's slots: the per-thread signalling depths (each the thread's own), the fence context and ww stamp counters. */
export function frameKernelSlots(layout: StoreLayout, sim: FrameSim): { signalling: number; nextContext: number; nextStamp: number } {
  const signalling = layout.size;
  sim.threadNames.forEach((n, tid) => layout.field(`${n}.signalling`, 1, { local: tid }));
  const nextContext = layout.field('kernel.next_fence_context');
  const nextStamp = layout.field('kernel.next_ww_stamp');
  return { signalling, nextContext, nextStamp };
}

/** Whether the selected version is one of `versions` (a `[pre,v2]` tag of the rule book). */
export function isVersion(k: KernelCtx, v: KernelVersion): boolean {
  return k.env.kernel.version === v;
}

/** A WARN of the rule book: api-misuse, and the caller carries on (P7; kernel.ts warn). */
export function warn(k: KernelCtx, rule: string, message: string): void {
  simReport(k, 'api-misuse', rule, `WARN: ${message}`);
}

/** The name of fence `f` for events and messages. */
export function fenceName(k: KernelCtx, f: number): string {
  return k.env.kernel.fenceName(k.s, f);
}

export function callbackName(k: KernelCtx, cb: number): string {
  return k.env.kernel.callbackName(k.s, cb);
}

/** An event on fence `f` (its detail the fence's name, and a callback's when given). */
export function fenceEvent(k: KernelCtx, label: string, f: number, cb = 0): void {
  if (k.out.records) k.out.event(k.tid, label, cb === 0 ? fenceName(k, f) : `${fenceName(k, f)} ${callbackName(k, cb)}`);
}

/** The running thread's signalling depth slot (R13). */
export function signallingSlot(k: KernelCtx): number {
  return k.env.kernel.signalling + k.tid;
}
