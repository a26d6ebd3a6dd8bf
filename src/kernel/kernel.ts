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
}

export function newKernel(rt: Runtime, version: KernelVersion, moveNotify = false): Kernel {
  return { rt, version, configMoveNotify: version === 'v3' || version === 'landed' ? true : moveNotify, nextFenceContext: 1, nextStamp: 1 };
}

/** Whether the selected version is one of `versions` (a `[pre,v2]` tag of the rule book). */
export function isVersion(k: Kernel, ...versions: KernelVersion[]): boolean {
  return versions.includes(k.version);
}

/** A WARN of the rule book: api-misuse, and the caller carries on (P7). */
export function warn(k: Kernel, rule: string, message: string): void {
  k.rt.report('api-misuse', rule, `WARN: ${message}`);
}
