/**
 * gpu exporter, amdgpu/xe-like (rule book §5.2, D-GPU-*): a buffer object in VRAM or GTT
 * whose moves invalidate unpinned attachments, a copy engine that moves it after the
 * fences, and hot unplug that revokes every attachment.
 * (linux: drivers/gpu/drm/amd/amdgpu/amdgpu_dma_buf.c, amdgpu_object.c:amdgpu_bo_move_notify,
 * drivers/gpu/drm/xe/xe_dma_buf.c, xe_bo.c:xe_bo_move_notify)
 */
import { sharedRead, sharedWrite, waitUntil } from '../sim/completion.ts';
import { callEntry, local, type Proc } from '../sim/op.ts';
import { dmaBufExport, dmaBufPut, type DmaBuf, type DmaBufAttachment, type DmaBufOps, type SgTable } from '../kernel/dma-buf.ts';
import { ERRNO } from '../kernel/errno.ts';
import { dmaFenceContextAlloc, dmaFenceInit, MAX_SCHEDULE_TIMEOUT } from '../kernel/fence.ts';
import { isVersion, nextTableName, type Kernel } from '../kernel/kernel.ts';
import { dmaBufInvalidateMappings } from '../kernel/mapping.ts';
import { dmaResvAddFence, dmaResvFences, dmaResvLock, dmaResvReserveFences, dmaResvUnlock, dmaResvWaitTimeout, DmaResvUsage } from '../kernel/resv.ts';
import { engineThread, newEngine, submitJob, type DmaEngine } from '../hw/engine.ts';
import { newRevokeTracker, revokeBeganOp, revokeFencedOp, revokeReturnedOp, type RevokeTracker } from '../hw/oracle.ts';
import { newRegion, setRegionState, type MemRegion } from '../hw/region.ts';
import { variantSwitches, type DriverEnv, type ExporterDriver, type ExporterInstance, type ExporterOp, type Variant } from './types.ts';

interface GpuSwitches {
  /** contract variant (seed: Thomas Hellström 2026-01-19 09:27, 17:24): D-GPU-4 also on pinned BOs */
  movesPinned: boolean;
  /** rule book §5.2 proposed: moves without R43 (the classic stale-mapping bug) */
  noInvalidate: boolean;
}

/** Every variant, declared once: `list drivers`, the loader and `create` read this list. */
const VARIANTS: readonly Variant<GpuSwitches>[] = [
  { name: 'correct', description: 'invalidates before every move, never moves a pinned BO, unplug revokes and waits for unmaps', switches: { movesPinned: false, noInvalidate: false } },
  { name: 'moves-pinned', description: 'evicts a pinned BO too (seed: Thomas Hellström 2026-01-19 09:27 and 17:24)', switches: { movesPinned: true, noInvalidate: false } },
  { name: 'no-invalidate-before-move', description: 'moves without dma_buf_invalidate_mappings: stale mappings (rule book §5.2)', switches: { movesPinned: false, noInvalidate: true } },
];

interface GpuBo {
  /** index into `places`: VRAM, then GTT, then system RAM */
  place: number;
  readonly places: readonly MemRegion[];
  pinCount: number;
  /** D-GPU-5 unplug: later attach/map -> -ENODEV (read by attach without the resv) */
  gone: boolean;
  readonly goneObj: number;
  /** live tables handed out (unplug waits for 0; map/unmap run under resv, the wait does not) */
  maps: number;
  readonly mapsObj: number;
  readonly copy: DmaEngine;
  readonly copyContext: number;
  copies: number;
  readonly tracker: RevokeTracker;
}

function bo(buf: DmaBuf): GpuBo {
  return buf.priv as GpuBo;
}

/**
 * D-GPU-4 (resv held): R43 first, then a copy ordered after every fence in the resv (the
 * old region turns `moving` when it starts), its fence added KERNEL, the old region freed
 * when it signals. Returns false when there is no placement left to move to.
 */
function* moveBo(k: Kernel, buf: DmaBuf, sw: GpuSwitches, to: number, why: string): Proc<boolean> {
  const b = bo(buf);
  if (to >= b.places.length || to === b.place) return false;
  yield callEntry('ttm_bo_move', `${b.places[b.place]!.name} -> ${b.places[to]!.name} (${why})`);
  if (!sw.noInvalidate) yield* dmaBufInvalidateMappings(k, buf);
  const old = b.places[b.place]!;
  const deps = dmaResvFences(buf.resv, DmaResvUsage.BOOKKEEP);
  const c = dmaFenceInit(k, `copy${++b.copies}`, b.copyContext, b.copies, 'gpu copy engine');
  dmaResvReserveFences(k, buf.resv, 1);
  yield* dmaResvAddFence(k, buf.resv, c, DmaResvUsage.KERNEL);
  yield* submitJob(b.copy, { name: c.name, table: null, write: true, deps, fence: c, run: () => setRegionState(old, 'moving', 'copy starts') });
  yield* submitJob(b.copy, { name: `free ${old.name}`, table: null, write: true, deps: [], fence: null, run: () => setRegionState(old, 'freed', 'old placement freed') });
  b.place = to;
  return true;
}

/** Whether the attachment can reach the placement (VRAM only over P2P). */
function reachable(b: GpuBo, a: DmaBufAttachment, place: number): boolean {
  return b.places[place]!.kind !== 'vram' || a.peer2peer;
}

function gpuOps(sw: GpuSwitches): DmaBufOps {
  return {
    /** D-GPU-1: P2P distance is usable in the model; refused after unplug. */
    *attach(_k: Kernel, buf: DmaBuf, a: DmaBufAttachment): Proc<number> {
      const b = bo(buf);
      const gone = yield* sharedRead(b.goneObj, 'amdgpu_dma_buf_attach', a.dev, () => b.gone);
      return gone ? -ERRNO.ENODEV : 0;
    },
    /** D-GPU-2 (resv held): leave VRAM if an attachment cannot reach it, then pin. */
    *pin(k: Kernel, a: DmaBufAttachment): Proc<number> {
      const buf = a.dmabuf;
      const b = bo(buf);
      const noVram = buf.attachments.some((x) => !x.peer2peer) || !a.peer2peer || (isVersion(k, 'pre', 'v2') && !k.configMoveNotify);
      if (noVram && b.places[b.place]!.kind === 'vram') {
        if (b.pinCount > 0) return -ERRNO.EINVAL;
        yield* moveBo(k, buf, sw, b.place + 1, `pin for ${a.dev}`);
      }
      b.pinCount++;
      yield callEntry('amdgpu_bo_pin', `${a.dev} pin_count=${b.pinCount}`);
      return 0;
    },
    *unpin(_k: Kernel, a: DmaBufAttachment): Proc {
      const b = bo(a.dmabuf);
      b.pinCount--;
      yield callEntry('amdgpu_bo_unpin', `${a.dev} pin_count=${b.pinCount}`);
    },
    /** D-GPU-3 (resv held): validate into a reachable placement (unpinned), build the table. */
    *mapDmaBuf(k: Kernel, a: DmaBufAttachment, dir): Proc<SgTable | number> {
      const buf = a.dmabuf;
      const b = bo(buf);
      if (b.gone) return -ERRNO.ENODEV;
      if (!reachable(b, a, b.place)) {
        if (b.pinCount > 0) return -ERRNO.EBUSY;
        yield* moveBo(k, buf, sw, b.place + 1, `map for ${a.dev}`);
      }
      const region = b.places[b.place]!;
      const ready = dmaResvFences(buf.resv, DmaResvUsage.KERNEL);
      yield* sharedWrite(b.mapsObj, 'amdgpu_dma_buf_map', `${a.dev} ${region.name}`, () => { b.maps++; });
      const id = k.rt.newObject(`sgt-${a.dev}`);
      /** GPU placements never go `disabled`: no speculative read is armed (S21), no span kept */
      return { id, name: nextTableName(k, a.dev), attachment: a, dir, region, epoch: region.epoch, createdAt: k.rt.events.length, readyAfter: ready, live: true };
    },
    *unmapDmaBuf(_k: Kernel, a: DmaBufAttachment): Proc {
      const b = bo(a.dmabuf);
      yield* sharedWrite(b.mapsObj, 'amdgpu_dma_buf_unmap', a.dev, () => { b.maps--; });
    },
    *release(): Proc {
      yield callEntry('amdgpu_dma_buf_release');
    },
  };
}

function create(env: DriverEnv, variant: string): ExporterInstance {
  const { k, rt } = env;
  const sw = variantSwitches(VARIANTS, variant);
  const places = [newRegion(rt, 'VRAM', 'vram'), newRegion(rt, 'GTT', 'gtt'), newRegion(rt, 'SYSRAM', 'sysram')];
  const copy = newEngine(rt, 'gpu-copy');
  const tracker = newRevokeTracker(rt, 'gpu-bo');
  const b: GpuBo = {
    place: 0, places, pinCount: 0, gone: false, goneObj: rt.newObject('gpu.gone'), maps: 0, mapsObj: rt.newObject('gpu.maps'),
    copy, copyContext: dmaFenceContextAlloc(k, 1), copies: 0, tracker,
  };
  const exported = dmaBufExport(k, { name: 'gpu-bo', exporter: 'gpu', ops: gpuOps(sw), priv: b });
  if (typeof exported === 'number') throw new Error('gpu export failed');
  const buf: DmaBuf = exported;
  env.background('gpu-copy-engine', () => engineThread(k, copy));

  /** evict / revoke: D-GPU-4 unless pinned (D-GPU-5: correct never moves a pinned BO). */
  function* evict(): Proc<number> {
    yield* dmaResvLock(k, buf.resv);
    if (!b.gone && (b.pinCount === 0 || sw.movesPinned)) yield* moveBo(k, buf, sw, b.place + 1, 'evict');
    else yield local('evict skipped', b.gone ? 'device gone' : `pinned (pin_count=${b.pinCount})`);
    yield* dmaResvUnlock(k, buf.resv);
    return 0;
  }

  /** D-GPU-5 unplug: gone, R43 to every attachment, BOOKKEEP wait, unbounded unmap wait, free. */
  function* unplug(): Proc<number> {
    if (b.gone) return 0;
    yield revokeBeganOp(rt, tracker, 'amdgpu_device_unplug');
    yield* dmaResvLock(k, buf.resv);
    yield* sharedWrite(b.goneObj, 'gone = true', buf.name, () => { b.gone = true; });
    yield* dmaBufInvalidateMappings(k, buf);
    yield* dmaResvWaitTimeout(k, buf.resv, DmaResvUsage.BOOKKEEP, MAX_SCHEDULE_TIMEOUT);
    yield revokeFencedOp(tracker);
    yield* dmaResvUnlock(k, buf.resv);
    yield* waitUntil(b.mapsObj, 'wait for every unmap', buf.name, () => b.maps === 0, 'completion');
    yield revokeReturnedOp(tracker, 'unplug revoke returned');
    yield* setRegionState(places[b.place]!, 'freed', 'device memory gone');
    return 0;
  }

  const inst: ExporterInstance = {
    buf, regions: places, tracker, fdOpen: true,
    *op(name: ExporterOp): Proc<number> {
      switch (name) {
        case 'evict':
        case 'revoke': return yield* evict();
        case 'unplug': return yield* unplug();
        case 'close':
          yield* sharedWrite(buf.id, 'close dma-buf fd', buf.name, () => { inst.fdOpen = false; });
          yield* dmaBufPut(k, buf);
          return 0;
        default: return -ERRNO.EOPNOTSUPP;
      }
    },
  };
  return inst;
}

export const gpu: ExporterDriver = {
  name: 'gpu',
  role: 'exporter',
  description: 'exporter of a GPU buffer object in VRAM/GTT that moves it, invalidating unpinned attachments',
  source: 'linux: drivers/gpu/drm/amd/amdgpu/amdgpu_dma_buf.c, drivers/gpu/drm/xe/xe_dma_buf.c',
  variants: VARIANTS,
  ops: ['revoke', 'evict', 'unplug', 'close'],
  dynamic: true,
  create,
};
