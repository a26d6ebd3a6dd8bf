/**
 * IOMMU mappings (rule book S20): an importer's IOVA range onto a region, present or
 * unmapped. A device access through an unmapped range faults in the IOMMU and never
 * reaches memory, so it is no access for the oracle (P3: "faults and is not an access").
 */
import { OpKind, type Proc } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { MemRegion } from './region.ts';

export interface IommuMapping {
  /** object id: the device reads it on every access, unmap writes it */
  readonly id: number;
  readonly name: string;
  readonly region: MemRegion;
  /** event index at which the range was mapped */
  readonly createdAt: number;
  readonly readyAfter: readonly [];
  present: boolean;
  /** an IOVA range is never "unmapped by the importer" in the R55 sense: faults instead */
  readonly live: true;
}

/**
 * Maps `region` at a fresh IOVA range (iommu_map); returns the mapping, named for the
 * device's `seq`-th range (a count of the device's own, so that the name does not depend
 * on other threads, as in a data world: hw/frame-iommu.ts). The mapping op writes the
 * new range's object, so every later access is ordered after it.
 */
export function* iommuMap(rt: Runtime, device: string, region: MemRegion, seq: number): Proc<IommuMapping> {
  const id = rt.newObject(`${device}.iova`);
  const m: IommuMapping = { id, name: `${device}-iova${seq}`, region, createdAt: rt.events.length, readyAfter: [], present: false, live: true };
  yield { kind: OpKind.Write, obj: id, write: true, label: 'iommu_map', detail: `${m.name} -> ${region.name}`, apply: () => { m.present = true; } };
  return m;
}

/** iommu_unmap with the IOTLB flushed before it returns: later accesses fault. */
export function* iommuUnmap(m: IommuMapping): Proc {
  yield { kind: OpKind.Write, obj: m.id, write: true, label: 'iommu_unmap', detail: `${m.name} (IOTLB flushed)`, apply: () => { m.present = false; } };
}
