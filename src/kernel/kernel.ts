/**
 * The simulated kernel of one execution: the runtime, the version of the revoke series it
 * implements (rule book §0 "Kernel axis") and allocators shared by the core objects.
 */
import type { Runtime } from '../sim/runtime.ts';

export const KERNEL_VERSIONS = ['pre', 'v2', 'v3', 'landed'] as const;
export type KernelVersion = (typeof KERNEL_VERSIONS)[number];

export interface Kernel {
  readonly rt: Runtime;
  readonly version: KernelVersion;
  /** CONFIG_DMABUF_MOVE_NOTIFY: a build option before v3, always on after (§0) */
  readonly configMoveNotify: boolean;
  /** next fresh fence context (R1) */
  nextFenceContext: number;
  /** next ww acquire stamp */
  nextStamp: number;
  /** per thread: depth of dma_fence_begin_signalling sections (R13) */
  readonly signalling: Map<number, number>;
  /** the fd table of dma_buf_fd / dma_buf_get (R31): fd -> object */
  readonly fds: Map<number, unknown>;
  nextFd: number;
  /** next kernel virtual address handed out by an exporter's vmap (R49) */
  nextVaddr: number;
  /**
   * sg tables an exporter built for each device so far: a table is named for its device's
   * own count (`gpu0-sgt2`), as the data world numbers a device's tables, so that a name
   * does not depend on other threads' allocations
   */
  readonly tableSeq: Map<string, number>;
}

/**
 * The kernel state of one execution. A signalling section is a lockdep map the thread
 * holds (dma_fence_begin_signalling acquires dma_fence_lockdep_map), so a scenario thread
 * that returns inside one is P7 like one returning with a lock.
 */
export function newKernel(rt: Runtime, version: KernelVersion, moveNotify = false): Kernel {
  const k: Kernel = { rt, version, configMoveNotify: version === 'v3' || version === 'landed' ? true : moveNotify, nextFenceContext: 1, nextStamp: 1,
    signalling: new Map(), fds: new Map(), nextFd: 3, nextVaddr: 0x1000, tableSeq: new Map() };
  rt.atThreadExit((tid) => {
    if ((k.signalling.get(tid) ?? 0) > 0) rt.report('api-misuse', 'P7', `${rt.currentName} returns to user space inside a fence signalling section (no dma_fence_end_signalling; lockdep: lock held when returning to user space!)`);
  });
  return k;
}

/** The name of the next sg table an exporter builds for device `dev` (Kernel.tableSeq). */
export function nextTableName(k: Kernel, dev: string): string {
  const n = (k.tableSeq.get(dev) ?? 0) + 1;
  k.tableSeq.set(dev, n);
  return `${dev}-sgt${n}`;
}

/** Whether the selected version is one of `versions` (a `[pre,v2]` tag of the rule book). */
export function isVersion(k: Kernel, ...versions: KernelVersion[]): boolean {
  return versions.includes(k.version);
}

/** Whether the current thread is inside a fence signalling critical section (R13). */
export function inSignalling(k: Kernel): boolean {
  return (k.signalling.get(k.rt.current) ?? 0) > 0;
}

/** A WARN of the rule book: api-misuse, and the caller carries on (P7). */
export function warn(k: Kernel, rule: string, message: string): void {
  k.rt.report('api-misuse', rule, `WARN: ${message}`);
}
