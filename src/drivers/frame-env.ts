/**
 * What the ported drivers (frame-vfio-pci.ts, frame-gpu-dynamic.ts) find in a data world's
 * context (`k.env`): their switches, their objects' references and slots, and the tables
 * of labels and guards they name by index (a string or a closure is no slot). The world
 * builder (scenario/frame-world.ts) fills it in.
 */
import type { FrameCtx } from '../sim/frame-ops.ts';
import type { StorePool } from '../sim/store.ts';
import type { FrameHwEnv } from '../hw/frame-region.ts';

/** vfio-pci's variant switches (vfio-pci.ts VfioSwitches), resolved for the selected version. */
export interface VfioFrameSwitches {
  readonly noFenceWait: boolean;
  /** the usage the revoke's fence wait covers, -1 for none */
  readonly waitUsage: number;
  readonly noUnmapWait: boolean;
  readonly timedUnmapWait: boolean;
  readonly acceptsNonRevocable: boolean;
  readonly noRevokedCheck: boolean;
  readonly unrevokeRace: boolean;
  readonly cleanupDrainsAll: boolean;
  /** 0 no pin op, 1 refuses every pin, 2 the v2 revocability check */
  readonly pin: number;
}

export interface VfioFrameEnv {
  readonly sw: VfioFrameSwitches;
  readonly buf: number;
  readonly priv: number;
  readonly bar: number;
  readonly tracker: number;
  readonly memoryLock: number;
  readonly comp: number;
  /** slot: the exporter's fd is open */
  readonly fdOpen: number;
}

/**
 * One importer of the data world, whatever its driver (gpu-dynamic, iommufd, rdma-pinned, rdma-odp): the objects every importer has
 * (state, attachment, engine, op lock, pools), its driver's switches, and the objects of
 * drivers that have them (a pool of capacity 0, slot 0 when the driver has none).
 */
export interface ImporterFrameEnv {
  /** the importer's own state object (GpuImporter, IommufdImporter, RdmaPinnedImporter, OdpImporter) */
  readonly st: number;
  readonly attachment: number;
  readonly engine: number;
  readonly opLock: number;
  /** its sg tables, fences, engine jobs, gpu-dynamic's unmapper work items, iommufd's IOVA ranges */
  readonly tables: StorePool;
  readonly fences: StorePool;
  readonly jobs: StorePool;
  readonly items: StorePool;
  readonly iovas: StorePool;
  /** iommufd's iopt_pages mutex */
  readonly pagesMutex: number;
  /** the importer ops index its attachments take (FrameKernel.importers + 1) */
  readonly ops: number;
  readonly context: number;
  readonly pinned: boolean;
  /** gpu-dynamic's switches (gpu-dynamic.ts GpuiSwitches) */
  readonly noFence: boolean;
  readonly remapInCallback: boolean;
  readonly pinnedIgnoresInvalidate: boolean;
  readonly eagerRemap: boolean;
  /** iommufd's switches (iommufd.ts IommufdSwitches), `pins` resolved for the version (D-IOMMUFD-1) */
  readonly pins: boolean;
  readonly noUnpin: boolean;
  readonly unpinUnlocked: boolean;
  /** rdma-pinned: it has a (log-only) callback in this version (rdma-pinned.ts callbackForm) */
  readonly logsInvalidate: boolean;
  /** rdma-odp's switches (rdma-odp.ts OdpSwitches) */
  readonly ignoresInvalidate: boolean;
  readonly noUnmap: boolean;
  /** by scenario op (IMP_OPS order): the function id of the driver's import, dma, remap, release; -1 for an op it lacks */
  readonly opFns: readonly number[];
  /** rdma-odp: the function id of a work request's transfer (DmaJob.run), -1 for other drivers */
  readonly workRequest: number;
}

/** What an importer's fence is for (DmaFence.kind), by its name: `gpu0-job1`, `gpu0-teardown2`, `iommu0-wr1`. */
export const FENCE_KINDS = ['job', 'teardown', 'wr'] as const;
export const FENCE_JOB = 0;
export const FENCE_TEARDOWN = 1;
export const FENCE_WR = 2;

export interface DriverFrameEnv extends FrameHwEnv {
  readonly vfio: VfioFrameEnv;
  readonly imps: readonly ImporterFrameEnv[];
}

export type DriverCtx = FrameCtx<DriverFrameEnv>;

/** Labels of driver steps, by the index the subset passes (FrameKernel.labels). */
export const DRIVER_LABELS = [
  'vfio_pci_dma_buf_move(revoked=true)', 'vfio_pci_dma_buf_move returned', 'vfio_pci_dma_buf_cleanup', 'vfio_pci_dma_buf_cleanup returned',
  'memory disabled', 'D3hot: memory off', 'memory enabled after reset', 'memory enabled', 'device closed',
] as const;
export const L_MOVE_TRUE = 0;
export const L_MOVE_RETURNED = 1;
export const L_CLEANUP = 2;
export const L_CLEANUP_RETURNED = 3;
export const L_MEM_DISABLED = 4;
export const L_D3 = 5;
export const L_RESET_ENABLED = 6;
export const L_ENABLED = 7;
export const L_CLOSED = 8;

/** Exporter op codes of a scenario step (ExporterOp) and revoke triggers (REVOKE_TRIGGERS order). */
export const EXP_OPS = ['revoke', 'unrevoke', 'evict', 'unplug', 'close'] as const;
export const IMP_OPS = ['import', 'dma', 'remap', 'release'] as const;
export const OP_REVOKE = 0;
export const OP_UNREVOKE = 1;
export const OP_CLOSE = 4;
export const OP_IMPORT = 0;
export const OP_DMA = 1;
export const OP_REMAP = 2;
export const OP_RELEASE = 3;
export const TRIGGER_LABELS = ['PCI_COMMAND: MEM cleared', 'PCIe FLR', 'VFIO_DEVICE_RESET', 'bus hot reset', 'D3hot entry'] as const;
export const TRIGGER_MEM_DISABLE = 0;
export const TRIGGER_D3 = 4;

/** Guards of the ported drivers' waits, by index (FrameCtx.guards): each takes the importer index. */
export const G_UNMAPPER_IDLE = 0;
export const G_UNMAPPER_FLUSHED = 1;
export const G_REMAP_PENDING = 2;
export const G_REMAP_IDLE = 3;
