/**
 * Memory regions with a lifetime (rule book S19): a PCI BAR that VFIO disables, VRAM and
 * GTT placements, system RAM. A state change is a write of the region; every DMA reads it.
 */
import { OpKind, type Proc } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { MemTarget } from '../kernel/dma-buf.ts';

export type RegionKind = 'bar' | 'vram' | 'gtt' | 'sysram';
export type RegionState = 'enabled' | 'moving' | 'disabled' | 'freed';

export interface MemRegion extends MemTarget {
  readonly kind: RegionKind;
  state: RegionState;
}

export function newRegion(rt: Runtime, name: string, kind: RegionKind, state: RegionState = 'enabled'): MemRegion {
  return { id: rt.newObject(name), name, kind, state, epoch: 0 };
}

/** Changes the region's state (memory enable/disable, move start, free). */
export function* setRegionState(region: MemRegion, state: RegionState, label: string, mark?: string): Proc {
  yield {
    kind: OpKind.Write, obj: region.id, write: true, label, detail: `${region.name} ${state}`, mark,
    apply: () => {
      if (state === 'moving' || state === 'freed') region.epoch++;
      region.state = state;
    },
  };
}
