/**
 * Memory regions with a lifetime (rule book S19): a PCI BAR that VFIO disables, VRAM and
 * GTT placements, system RAM. A state change is a write of the region; every DMA reads it.
 */
import { OpKind, type Proc } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { MemTarget, SgTable } from '../kernel/dma-buf.ts';

export type RegionKind = 'bar' | 'vram' | 'gtt' | 'sysram';
export type RegionState = 'enabled' | 'moving' | 'disabled' | 'freed';

export interface MemRegion extends MemTarget {
  readonly kind: RegionKind;
  state: RegionState;
  /** tables the exporter built onto this region (exporters register them, S18) */
  readonly tables: SgTable[];
  /**
   * Speculative reads armed by a state change to `disabled` while a table onto the region
   * was live (S21): each stays armed until the importer's prefetcher takes it, even if the
   * table is unmapped meanwhile, so that the explorer sees the read race with that unmap.
   */
  readonly armed: { readonly table: SgTable; readonly key: string }[];
}

export function newRegion(rt: Runtime, name: string, kind: RegionKind, state: RegionState = 'enabled'): MemRegion {
  return { id: rt.newObject(name), name, kind, state, epoch: 0, tables: [], armed: [] };
}

/** Changes the region's state (memory enable/disable, move start, free). */
export function* setRegionState(region: MemRegion, state: RegionState, label: string, mark?: string): Proc {
  yield {
    kind: OpKind.Write, obj: region.id, write: true, label, detail: `${region.name} ${state}`, mark,
    apply: () => {
      if (state === 'moving' || state === 'freed') region.epoch++;
      region.state = state;
      if (state === 'disabled') {
        for (const t of region.tables) if (t.live) region.armed.push({ table: t, key: `${t.id}:${state}:${region.epoch}` });
      }
    },
  };
}

/** Registers a table the exporter built onto `region` (for the prefetcher's arming). */
export function regionTable<T extends SgTable>(region: MemRegion, t: T): T {
  region.tables.push(t);
  return t;
}
