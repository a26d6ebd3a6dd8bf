/**
 * Memory regions with a lifetime (rule book S19): a PCI BAR that VFIO disables, VRAM and
 * GTT placements, system RAM. A state change is a write of the region; every DMA reads it.
 */
import { OpKind, type Proc } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { MemTarget, SgTable } from '../kernel/dma-buf.ts';

export type RegionKind = 'bar' | 'vram' | 'gtt' | 'sysram';
export type RegionState = 'enabled' | 'moving' | 'disabled' | 'freed';

/** The part of a table's life the exporter saw: region disables before and at its unmap. */
export interface TableSpan {
  readonly table: SgTable;
  /** `disables` when the exporter built the table */
  readonly from: number;
  /** `disables` when the exporter took it back (unmap), Infinity while handed out */
  to: number;
}

export interface MemRegion extends MemTarget {
  readonly kind: RegionKind;
  state: RegionState;
  /** how many times the region went `disabled` */
  disables: number;
  /**
   * Every table the exporter built onto the region (S18). A disable that falls inside a
   * table's span arms one speculative read through it (S21); the arm stays until the
   * importer's prefetcher takes it, even if the table was unmapped meanwhile, so that a
   * partial-order search sees the read race with that unmap.
   */
  readonly spans: Map<number, TableSpan>;
}

export function newRegion(rt: Runtime, name: string, kind: RegionKind, state: RegionState = 'enabled'): MemRegion {
  return { id: rt.newObject(name), name, kind, state, epoch: 0, disables: 0, spans: new Map() };
}

/** Changes the region's state (memory enable/disable, move start, free). */
export function* setRegionState(region: MemRegion, state: RegionState, label: string, mark?: string): Proc {
  yield {
    kind: OpKind.Write, obj: region.id, write: true, label, detail: `${region.name} ${state}`, mark,
    apply: () => {
      if (state === 'moving' || state === 'freed') region.epoch++;
      if (state === 'disabled' && region.state !== 'disabled') region.disables++;
      region.state = state;
    },
  };
}

/**
 * The exporter hands out `t` onto `region` (map_dma_buf): a read of the region, so that it
 * is ordered against every state change. Returns `t`.
 */
export function* regionMapTable<T extends SgTable>(region: MemRegion, t: T): Proc<T> {
  yield {
    kind: OpKind.Read, obj: region.id, write: false, label: 'build sg table', detail: `${t.name} -> ${region.name}`,
    apply: () => { region.spans.set(t.id, { table: t, from: region.disables, to: Infinity }); },
  };
  return t;
}

/** The exporter takes `t` back (unmap_dma_buf); a read of the region as for the map. */
export function* regionUnmapTable(region: MemRegion, t: SgTable): Proc {
  yield {
    kind: OpKind.Read, obj: region.id, write: false, label: 'free sg table', detail: `${t.name} -> ${region.name}`,
    apply: () => {
      const s = region.spans.get(t.id);
      if (s) s.to = region.disables;
    },
  };
}

/**
 * Disables of `region` that fell inside the span of a table of `device`, as arm keys, the
 * tables in the order they were made (object id), not the order their maps ran in: the
 * order a data world's table pool gives (hw/frame-prefetch.ts).
 */
export function armedReads(region: MemRegion, device: string): { table: SgTable; key: string }[] {
  const out: { table: SgTable; key: string }[] = [];
  for (const s of [...region.spans.values()].sort((a, b) => a.table.id - b.table.id)) {
    if (s.table.attachment.dev !== device) continue;
    const last = Math.min(s.to, region.disables);
    for (let d = s.from + 1; d <= last; d++) out.push({ table: s.table, key: `${s.table.id}:d${d}` });
  }
  return out;
}
