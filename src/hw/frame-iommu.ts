/**
 * IOMMU mappings (rule book S20) in the compiled function* subset, the data-world form of
 * hw/iommu.ts: an importer's IOVA range onto a region, present or unmapped. A device
 * access through an unmapped range faults in the IOMMU and never reaches memory, so it is
 * no access for the oracle (P3: "faults and is not an access").
 */
import { sched, type FrameProc } from '../sim/frame-ops.ts';
import type { Ref } from '../sim/struct.ts';
import { devName } from '../kernel/frame-attach.ts';
import type { DmaBufAttachment } from '../kernel/frame-dma-buf.ts';
import { judgePath, revokesSoFar, type RevokeTracker } from './frame-oracle.ts';
import { regionName, type HwCtx, type MemRegion } from './frame-region.ts';

/** An IOVA range: the importer owns the object (from its pool) and maps it. */
export interface IommuMapping {
  region: Ref<MemRegion>;
  present: boolean;
  /** revokes of the exporter's tracker begun before the range was made (frame-oracle.ts) */
  revokesBefore: number;
  dev: Ref<DmaBufAttachment>;
  /** the device's count of ranges when this one was made: its name `DEV-iovaN` */
  seq: number;
}

export function iovaName(k: HwCtx, m: Ref<IommuMapping>): string {
  return `${devName(k, m.dev)}-iova${m.seq}`;
}

/**
 * Maps `region` at the importer's range object `m` (iommu_map), the device's `seq`-th:
 * the object is filled in, then one step makes it present. Returns `m`.
 */
export function* iommuMap(k: HwCtx, m: Ref<IommuMapping>, dev: Ref<DmaBufAttachment>, region: Ref<MemRegion>, seq: number, tr: Ref<RevokeTracker>): FrameProc<number> {
  m.region = region;
  m.dev = dev;
  m.seq = seq;
  m.revokesBefore = revokesSoFar(k, tr);
  yield sched();
  if (k.out.records) k.out.event(k.tid, 'iommu_map', `${iovaName(k, m)} -> ${regionName(k, region)}`);
  m.present = true;
  return m;
}

/** iommu_unmap with the IOTLB flushed before it returns: later accesses fault. One step. */
export function* iommuUnmap(k: HwCtx, m: Ref<IommuMapping>): FrameProc {
  yield sched();
  if (k.out.records) k.out.event(k.tid, 'iommu_unmap', `${iovaName(k, m)} (IOTLB flushed)`);
  m.present = false;
}

/** A transfer through an IOVA range: reaches the region only while the range is present. */
export function* iovaAccess(k: HwCtx, dev: Ref<DmaBufAttachment>, m: Ref<IommuMapping>, write: boolean, tr: Ref<RevokeTracker>): FrameProc {
  yield sched();
  if (k.out.records) k.out.event(k.tid, write ? 'dma write' : 'dma read', `${regionName(k, m.region)} via ${iovaName(k, m)}`);
  if (m.present) {
    judgePath(k, dev, m.region, m.revokesBefore, true, 0, iovaName(k, m), write, false, tr);
    return;
  }
  if (k.out.records) k.out.event(k.tid, 'IOMMU fault', `${devName(k, dev)} ${iovaName(k, m)} is unmapped: no access`);
}
