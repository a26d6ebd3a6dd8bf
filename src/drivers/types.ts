/**
 * What a driver model provides to a scenario: the exporter or importer operations of the
 * scenario contract (spec/scenario-format.md §1) and the background threads it runs.
 */
import type { Proc } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { DmaBuf, DmaBufAttachment, DmaBufAttachOps } from '../kernel/dma-buf.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { RevokeTracker } from '../hw/oracle.ts';
import type { MemRegion } from '../hw/region.ts';

export type ExporterOp = 'revoke' | 'unrevoke' | 'evict' | 'unplug' | 'close';
export type ImporterOp = 'import' | 'dma' | 'remap' | 'release';
/** What makes a revoking exporter revoke (rule book D-VFIO-8); `revoke: {trigger: ...}` names one. */
export const REVOKE_TRIGGERS = ['mem-disable', 'flr', 'reset', 'hot-reset', 'd3'] as const;
export type RevokeTrigger = (typeof REVOKE_TRIGGERS)[number];

export interface BackgroundThread {
  readonly name: string;
  readonly body: () => Proc<unknown>;
}

export interface DriverEnv {
  readonly k: Kernel;
  readonly rt: Runtime;
  /** registers a driver-internal worker (a background thread, P9) */
  background(name: string, body: () => Proc<unknown>): void;
}

/** An exporter op returns 0 or a negative errno (a failed op is traced, not a violation). */
export interface ExporterInstance {
  readonly buf: DmaBuf;
  /** every region the buffer can live in (device threads watch them) */
  readonly regions: readonly MemRegion[];
  /** revoke progress for the oracle; null for exporters that never revoke */
  readonly tracker: RevokeTracker | null;
  /** the exporter's fd is open (import's dma_buf_get reads it; close writes it) */
  fdOpen: boolean;
  op(name: ExporterOp, args: { trigger?: RevokeTrigger }): Proc<number>;
  /**
   * VFIO's private physical-range interface for iommufd (D-VFIO-5), resv held: the region
   * or a negative errno. Absent for every other exporter (iommufd then gets -EOPNOTSUPP).
   */
  privateMap?(a: DmaBufAttachment): Proc<MemRegion | number>;
}

export interface ImporterConfig {
  readonly id: string;
  readonly variant: string;
  readonly peer2peer: boolean;
  readonly pinned: boolean;
  readonly speculativeReads: boolean | undefined;
}

export interface ImporterInstance {
  readonly id: string;
  /**
   * The importer ops this driver passes to dma_buf_dynamic_attach in this kernel version
   * (callback present, absent, or the v3 sentinel); null for an importer that attaches
   * with dma_buf_attach. A `call` attach naming the importer as `dev` uses them (contract
   * §1). The callback touches the driver's own mapping only for the driver's own
   * attachment (the one whose importer_priv is the driver's state).
   */
  readonly attachOps: DmaBufAttachOps | null;
  op(name: ImporterOp, args: { count?: number; write?: boolean }): Proc<number>;
}

export interface VariantInfo {
  readonly name: string;
  readonly description: string;
  /** kernel versions it exists in (all when absent) */
  readonly kernels?: readonly string[];
}

/**
 * A variant with the switches its driver's `create` reads: one record a variant, so that
 * the name `list drivers` prints, the loader accepts and the driver runs cannot drift apart.
 */
export interface Variant<S> extends VariantInfo {
  readonly switches: S;
}

/** The switches of variant `name`; the loader has refused every name not in `variants`. */
export function variantSwitches<S>(variants: readonly Variant<S>[], name: string): S {
  const v = variants.find((x) => x.name === name);
  if (!v) throw new Error(`internal: no variant "${name}" (the loader checks variant names)`);
  return v.switches;
}

export interface DriverInfo {
  readonly name: string;
  readonly role: 'exporter' | 'importer';
  readonly description: string;
  readonly source: string;
  readonly variants: readonly VariantInfo[];
  /** the scenario ops this driver supports; the rest are validation errors */
  readonly ops: readonly (ExporterOp | ImporterOp)[];
  /** importer keys beyond id/driver/variant/peer2peer it accepts */
  readonly keys?: readonly ('pinned' | 'speculative-reads')[];
  readonly dynamic?: boolean;
}

export interface ExporterDriver extends DriverInfo {
  readonly role: 'exporter';
  create(env: DriverEnv, variant: string): ExporterInstance;
}

export interface ImporterDriver extends DriverInfo {
  readonly role: 'importer';
  create(env: DriverEnv, cfg: ImporterConfig, exp: ExporterInstance): ImporterInstance;
}
