/**
 * Memory regions with a lifetime (rule book S19) in the compiled function* subset, the
 * data-world form of hw/region.ts: a PCI BAR VFIO disables, VRAM and GTT placements.
 * The spans of the tables built onto a region are fields of the tables (SgTable.spanFrom,
 * spanTo), so that arming a speculative read needs no map in the state.
 */
import { sched, type FrameProc } from '../sim/frame-ops.ts';
import { structName, type Ref } from '../sim/struct.ts';
import type { FrameKernelEnv } from '../kernel/frame-kernel.ts';
import type { FrameCtx } from '../sim/frame-ops.ts';
import type { Store } from '../sim/store.ts';
import type { SgTable } from '../kernel/frame-dma-buf.ts';
import { tableName } from '../kernel/frame-dma-buf.ts';

export const ENABLED = 0;
export const MOVING = 1;
export const DISABLED = 2;
export const FREED = 3;
export const STATE_NAMES = ['enabled', 'moving', 'disabled', 'freed'] as const;

/** A table still handed out: its span is open. */
export const DISABLES_OPEN = 0x7fffffff;

/** A region: its state, placement generation (S19) and how often it went disabled. */
export interface MemRegion {
  state: number;
  epoch: number;
  disables: number;
}

/**
 * What the hardware adds to the kernel's context: every table in table-id order (the
 * order the prefetcher looks at them in), the exporter's regions, by device the slot
 * counting the speculative reads armed through its tables and not yet taken, and how jobs
 * are named and what driver actions they run.
 */
export interface FrameHwEnv extends FrameKernelEnv {
  readonly hw: {
    readonly tables: readonly number[];
    /** by device, the tables it can have (its pool), if the world keeps one: the prefetcher then reads no other device's tables */
    readonly deviceTables?: readonly (readonly number[])[];
    readonly regions: readonly number[];
    readonly pendingReads: readonly number[];
    /** a job's name in events, from its fields; the driver actions jobs run, by index (DmaJob.action) */
    jobName(s: Store, job: number): string;
    readonly actions: readonly ((k: HwCtx, job: number) => void)[];
  };
}

export type HwCtx = FrameCtx<FrameHwEnv>;

/** The region's name (its object is registered by name, `structAt`). */
export function regionName(k: HwCtx, r: Ref<MemRegion>): string {
  return structName(k.s, r);
}

/** The world's label `label` (labels of driver steps are strings in a table, passed by index). */
export function labelText(k: HwCtx, label: number): string {
  return k.env.kernel.labels[label]!;
}

/** Changes the region's state (memory enable/disable, move start, free): one step. */
export function* setRegionState(k: HwCtx, r: Ref<MemRegion>, state: number, label: number): FrameProc {
  yield sched();
  if (k.out.records) k.out.event(k.tid, labelText(k, label), `${regionName(k, r)} ${STATE_NAMES[state]}`);
  if (state === MOVING || state === FREED) r.epoch++;
  if (state === DISABLED && r.state !== DISABLED) {
    r.disables++;
    armReads(k, r);
  }
  r.state = state;
}

/** A disable of `r`: one more speculative read armed through each table handed out onto it. */
export function armReads(k: HwCtx, r: Ref<MemRegion>): void {
  for (const t of k.env.hw.tables) {
    const tt = t as Ref<SgTable>;
    if (tt.region !== r || tt.spanTo !== DISABLES_OPEN) continue;
    const slot = k.env.hw.pendingReads[tt.attachment.dev]!;
    k.s.set(slot, k.s.get(slot) + 1);
  }
}

/** The exporter hands out `t` onto `r` (map_dma_buf): one step; its span opens. */
export function* regionMapTable(k: HwCtx, r: Ref<MemRegion>, t: Ref<SgTable>): FrameProc<number> {
  yield sched();
  if (k.out.records) k.out.event(k.tid, 'build sg table', `${tableName(k, t)} -> ${regionName(k, r)}`);
  const before = armedCount(k, t);
  t.region = r;
  t.spanned = true;
  t.spanFrom = r.disables;
  t.spanTo = DISABLES_OPEN;
  notePending(k, t, before);
  return t;
}

/** The exporter takes `t` back (unmap_dma_buf): one step; its span closes. */
export function* regionUnmapTable(k: HwCtx, r: Ref<MemRegion>, t: Ref<SgTable>): FrameProc {
  yield sched();
  if (k.out.records) k.out.event(k.tid, 'free sg table', `${tableName(k, t)} -> ${regionName(k, r)}`);
  if (!t.spanned) return;
  const before = armedCount(k, t);
  t.spanTo = r.disables;
  notePending(k, t, before);
}

/** Keeps the device's count of armed reads equal to the sum over its tables after `t`'s span changed (a second unmap moves its end). */
export function notePending(k: HwCtx, t: Ref<SgTable>, before: number): void {
  const slot = k.env.hw.pendingReads[t.attachment.dev]!;
  k.s.set(slot, k.s.get(slot) + armedCount(k, t) - before);
}

/**
 * The speculative reads armed through `t` and not yet taken: the disables of its region
 * inside its span (one read each, S21) past those its prefetcher took.
 */
export function armedCount(k: HwCtx, t: Ref<SgTable>): number {
  if (!t.spanned) return 0;
  const r = t.region as Ref<MemRegion>;
  const last = Math.min(t.spanTo, r.disables);
  return Math.max(0, last - t.spanFrom - t.taken);
}
