// Generated programs over the subset's hardware layer (src/hw/frame-region.ts,
// frame-oracle.ts, frame-prefetch.ts): tables built onto regions and taken back, region
// state changes, a revoke tracker's progress, device accesses and fence signals, with a
// prefetcher per device in the background. `npm run frames` compiles this file to
// hw-progs.frames.ts; test/frames-hw.test.ts runs the same programs on hw/*.ts.
import type { FrameCtx, FrameProc } from '../../src/sim/frame-ops.ts';
import { threadExit } from '../../src/sim/frame-sim.ts';
import { structAlloc, type Ref } from '../../src/sim/struct.ts';
import type { StorePool } from '../../src/sim/store.ts';
import { dmaFenceSignal, fenceThreadExit, type DmaFence } from '../../src/kernel/frame-fence.ts';
import type { DmaBufAttachment, SgTable } from '../../src/kernel/frame-dma-buf.ts';
import { regionMapTable, regionUnmapTable, setRegionState, type FrameHwEnv, type MemRegion } from '../../src/hw/frame-region.ts';
import { dmaAccess, revokeBegan, revokeFenced, revokesSoFar, revokeReturned, type RevokeTracker } from '../../src/hw/frame-oracle.ts';
import { newJob, submitJob, type DmaEngine, type DmaJob } from '../../src/hw/frame-engine.ts';
import { iommuMap, iommuUnmap, type IommuMapping } from '../../src/hw/frame-iommu.ts';
import { dmaFenceInit } from '../../src/kernel/frame-fence.ts';
import { length, word, type ProgCode } from './prog-code.ts';

/** Instruction codes: code * 256 + a * 16 + b. */
export const MAP = 0;
export const UNMAP = 1;
export const STATE = 2;
export const BEGAN = 3;
export const FENCED = 4;
export const RETURNED = 5;
export const ACCESS = 6;
export const SIGNAL = 7;
/** a job on device a's engine through its last table (b bit 0: a write, bit 1: after f0), fenced */
export const SUBMIT = 8;
/** device a maps region b at a new IOVA range, unmaps its last range, submits a fenced job through it (b: a write) */
export const IOMAP = 9;
export const IOUNMAP = 10;
export const SUBMIT_IOVA = 11;

export interface HwProgEnv extends FrameHwEnv, ProgCode {
  readonly devices: readonly number[];
  readonly regionRefs: readonly number[];
  readonly tracker: number;
  readonly fence: number;
  readonly pool: StorePool;
  /** by device: the slot of its last table, and of its table counter */
  readonly lastTable: readonly number[];
  readonly tableSeq: readonly number[];
  /** by device: its engine, job pool, job counter's slot; the pool of the jobs' fences */
  readonly engines: readonly number[];
  readonly jobPools: readonly StorePool[];
  readonly jobSeq: readonly number[];
  readonly jobFences: StorePool;
  /** by device: its IOVA range pool, its range counter's slot, its last range's slot */
  readonly iovaPools: readonly StorePool[];
  readonly iovaSeq: readonly number[];
  readonly lastIova: readonly number[];
}

export type HwProgCtx = FrameCtx<HwProgEnv>;

export function device(k: HwProgCtx, d: number): Ref<DmaBufAttachment> {
  return k.env.devices[d]! as Ref<DmaBufAttachment>;
}

export function region(k: HwProgCtx, r: number): Ref<MemRegion> {
  return k.env.regionRefs[r]! as Ref<MemRegion>;
}

export function tracker(k: HwProgCtx): Ref<RevokeTracker> {
  return k.env.tracker as Ref<RevokeTracker>;
}

export function lastTable(k: HwProgCtx, d: number): Ref<SgTable> {
  return k.s.get(k.env.lastTable[d]!) as Ref<SgTable>;
}

/** The exporter builds a table of device `d` onto `r` (the map op's code before its region step). */
export function newTable(k: HwProgCtx, d: number, r: Ref<MemRegion>, ready: boolean): Ref<SgTable> {
  const seq = k.env.tableSeq[d]!;
  k.s.set(seq, k.s.get(seq) + 1);
  const t = structAlloc(k.s, k.env.pool) as Ref<SgTable>;
  if (t === 0) throw new Error('model bug: test table pool is full');
  t.attachment = device(k, d);
  t.live = true;
  t.seq = k.s.get(seq);
  t.region = r;
  t.epoch = r.epoch;
  t.revokesBefore = revokesSoFar(k, tracker(k));
  t.ready = ready ? k.env.fence : 0;
  k.s.set(k.env.lastTable[d]!, t);
  return t;
}

/** A fenced job of device `d` through its last table (`dep`: after f0); its fence is `dD-jobN`. */
export function newDeviceJob(k: HwProgCtx, d: number, write: boolean, dep: boolean): Ref<DmaJob> {
  const seq = k.env.jobSeq[d]!;
  k.s.set(seq, k.s.get(seq) + 1);
  const f = dmaFenceInit(k, k.env.jobFences, 2, k.s.get(seq), false, d, k.s.get(seq));
  const j = newJob(k, k.env.jobPools[d]!, lastTable(k, d), write, f, 0);
  if (dep) j.dep0 = k.env.fence as Ref<DmaFence>;
  return j;
}

export function lastIova(k: HwProgCtx, d: number): Ref<IommuMapping> {
  return k.s.get(k.env.lastIova[d]!) as Ref<IommuMapping>;
}

/** Device `d`'s next IOVA range object (the importer's pool), counted. */
export function newIova(k: HwProgCtx, d: number): Ref<IommuMapping> {
  const seq = k.env.iovaSeq[d]!;
  k.s.set(seq, k.s.get(seq) + 1);
  const m = structAlloc(k.s, k.env.iovaPools[d]!) as Ref<IommuMapping>;
  if (m === 0) throw new Error('model bug: test IOVA pool is full');
  return m;
}

/** The range becomes the device's last once its map returned (as the generator form's assignment). */
export function setLastIova(k: HwProgCtx, d: number, m: number): void {
  k.s.set(k.env.lastIova[d]!, m);
}

export function iovaSeq(k: HwProgCtx, d: number): number {
  return k.s.get(k.env.iovaSeq[d]!);
}

/** A fenced job of device `d` through its last IOVA range. */
export function newIovaJob(k: HwProgCtx, d: number, write: boolean): Ref<DmaJob> {
  const j = newDeviceJob(k, d, write, false);
  j.table = 0 as Ref<SgTable>;
  j.iova = lastIova(k, d);
  return j;
}

export function engineOf(k: HwProgCtx, d: number): Ref<DmaEngine> {
  return k.env.engines[d]! as Ref<DmaEngine>;
}

export function* hwThread(k: HwProgCtx): FrameProc {
  for (let i = 0; i < length(k); i++) {
    const w = word(k, i);
    const a = (w >> 4) & 15;
    const b = w & 15;
    switch (w >> 8) {
      case MAP: {
        const t = newTable(k, a & 1, region(k, b & 1), b >= 2);
        yield* regionMapTable(k, region(k, b & 1), t);
        break;
      }
      case UNMAP: {
        const t = lastTable(k, a);
        if (t !== 0) {
          t.live = false;
          yield* regionUnmapTable(k, t.region as Ref<MemRegion>, t);
        }
        break;
      }
      case STATE:
        yield* setRegionState(k, region(k, a), b, 0);
        break;
      case BEGAN:
        yield* revokeBegan(k, tracker(k), 1);
        break;
      case FENCED:
        yield* revokeFenced(k, tracker(k));
        break;
      case RETURNED:
        yield* revokeReturned(k, tracker(k), 2);
        break;
      case ACCESS:
        if (lastTable(k, a) !== 0) yield* dmaAccess(k, device(k, a), lastTable(k, a), b === 1, tracker(k));
        break;
      case SUBMIT: {
        const j = newDeviceJob(k, a, (b & 1) === 1, (b & 2) === 2);
        yield* submitJob(k, engineOf(k, a), j);
        break;
      }
      case IOMAP: {
        const m = newIova(k, a);
        const r = yield* iommuMap(k, m, device(k, a), region(k, b & 1), iovaSeq(k, a), tracker(k));
        setLastIova(k, a, r);
        break;
      }
      case IOUNMAP:
        if (lastIova(k, a) !== 0) yield* iommuUnmap(k, lastIova(k, a));
        break;
      case SUBMIT_IOVA:
        if (lastIova(k, a) !== 0) yield* submitJob(k, engineOf(k, a), newIovaJob(k, a, b === 1));
        break;
      default:
        yield* dmaFenceSignal(k, k.env.fence as Ref<DmaFence>);
    }
  }
  threadExit(k);
  fenceThreadExit(k);
}
