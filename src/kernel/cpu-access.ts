/**
 * CPU access to a dma-buf: begin/end_cpu_access, vmap/vunmap and mmap (rule book R47-R51).
 */
import { callEntry, type Proc } from '../sim/op.ts';
import { dmaBufCheckAlive, PAGE_SIZE, type DmaBuf, type DmaDataDirection, type VmArea } from './dma-buf.ts';
import { ERRNO } from './errno.ts';
import { MAX_SCHEDULE_TIMEOUT } from './fence.ts';
import { type Kernel } from './kernel.ts';
import { dmaResvAssertHeld, dmaResvAssertNotHeld, dmaResvLock, dmaResvUnlock, dmaResvUsageRw, dmaResvWaitTimeout } from './resv.ts';

/**
 * R47: resv free. Calls the exporter's begin_cpu_access (its error is returned as is), then
 * waits for the fences of dma_resv_usage_rw(write), write = TO_DEVICE or BIDIRECTIONAL.
 * Returns 0 or a negative errno.
 */
export function* dmaBufBeginCpuAccess(k: Kernel, buf: DmaBuf, dir: DmaDataDirection): Proc<number> {
  dmaBufCheckAlive(k, buf, 'dma_buf_begin_cpu_access');
  dmaResvAssertNotHeld(k, buf.resv, 'dma_buf_begin_cpu_access', 'R47');
  yield callEntry('dma_buf_begin_cpu_access', `${buf.name} ${dir}`);
  if (buf.ops.beginCpuAccess) {
    const r = yield* buf.ops.beginCpuAccess(k, buf, dir);
    if (r < 0) return r;
  }
  const write = dir === 'DMA_BIDIRECTIONAL' || dir === 'DMA_TO_DEVICE';
  const w = yield* dmaResvWaitTimeout(k, buf.resv, dmaResvUsageRw(write), MAX_SCHEDULE_TIMEOUT);
  return w < 0 ? w : 0;
}

/** R48: resv free; the exporter's end_cpu_access result, or 0 without one. */
export function* dmaBufEndCpuAccess(k: Kernel, buf: DmaBuf, dir: DmaDataDirection): Proc<number> {
  dmaBufCheckAlive(k, buf, 'dma_buf_end_cpu_access');
  dmaResvAssertNotHeld(k, buf.resv, 'dma_buf_end_cpu_access', 'R48');
  yield callEntry('dma_buf_end_cpu_access', `${buf.name} ${dir}`);
  return buf.ops.endCpuAccess ? yield* buf.ops.endCpuAccess(k, buf, dir) : 0;
}

/** An iosys_map: the address a vmap handed out (0 = cleared). */
export interface IosysMap {
  vaddr: number;
}

/**
 * R49: dma_buf_vmap, resv held. A second vmap shares the cached address; the first calls
 * the exporter's vmap. Returns 0 or a negative errno; `map` gets the address. BUG on an
 * inconsistent cache.
 */
export function* dmaBufVmap(k: Kernel, buf: DmaBuf, map: IosysMap): Proc<number> {
  map.vaddr = 0;
  dmaBufCheckAlive(k, buf, 'dma_buf_vmap');
  dmaResvAssertHeld(k, buf.resv, 'dma_buf_vmap');
  yield callEntry('dma_buf_vmap', buf.name);
  if (!buf.ops.vmap) return -ERRNO.EINVAL;
  if (buf.vmappingCounter > 0) {
    buf.vmappingCounter++;
    if (buf.vmapPtr === 0) k.rt.bug('R49', `dma_buf_vmap(${buf.name}): counter ${buf.vmappingCounter - 1} but no cached address`);
    map.vaddr = buf.vmapPtr;
    return 0;
  }
  if (buf.vmapPtr !== 0) k.rt.bug('R49', `dma_buf_vmap(${buf.name}): an address is cached with counter 0`);
  const r = yield* buf.ops.vmap(k, buf);
  if (r < 0) {
    k.rt.report('api-misuse', 'R49', `WARN_ON_ONCE: vmap of ${buf.name} failed with ${r}`);
    return r;
  }
  buf.vmapPtr = r;
  buf.vmappingCounter = 1;
  map.vaddr = r;
  return 0;
}

/** R49: dma_buf_vunmap, resv held; BUG unless `map` is the cached address of a live vmap. */
export function* dmaBufVunmap(k: Kernel, buf: DmaBuf, map: IosysMap): Proc {
  dmaBufCheckAlive(k, buf, 'dma_buf_vunmap');
  dmaResvAssertHeld(k, buf.resv, 'dma_buf_vunmap');
  yield callEntry('dma_buf_vunmap', buf.name);
  if (buf.vmapPtr === 0) k.rt.bug('R49', `dma_buf_vunmap(${buf.name}): nothing is vmapped`);
  if (buf.vmappingCounter === 0) k.rt.bug('R49', `dma_buf_vunmap(${buf.name}): vmapping_counter is 0`);
  if (map.vaddr !== buf.vmapPtr) k.rt.bug('R49', `dma_buf_vunmap(${buf.name}): map ${map.vaddr} is not the cached address ${buf.vmapPtr}`);
  if (--buf.vmappingCounter === 0) {
    if (buf.ops.vunmap) yield* buf.ops.vunmap(k, buf, buf.vmapPtr);
    buf.vmapPtr = 0;
  }
}

/** R50: lock, R49, unlock. */
export function* dmaBufVmapUnlocked(k: Kernel, buf: DmaBuf, map: IosysMap): Proc<number> {
  dmaResvAssertNotHeld(k, buf.resv, 'dma_buf_vmap_unlocked', 'R50');
  yield* dmaResvLock(k, buf.resv);
  const r = yield* dmaBufVmap(k, buf, map);
  yield* dmaResvUnlock(k, buf.resv);
  return r;
}

export function* dmaBufVunmapUnlocked(k: Kernel, buf: DmaBuf, map: IosysMap): Proc {
  dmaResvAssertNotHeld(k, buf.resv, 'dma_buf_vunmap_unlocked', 'R50');
  yield* dmaResvLock(k, buf.resv);
  yield* dmaBufVunmap(k, buf, map);
  yield* dmaResvUnlock(k, buf.resv);
}

/** 2^64: pgoff + pages reaching it wraps the kernel's unsigned long (R51). */
const U64_WRAP = 2 ** 64;

/**
 * R51: dma_buf_mmap, resv free. -EINVAL without an mmap op or beyond the size, -EOVERFLOW
 * when pgoff + pages wraps; else points the vma at the buffer and calls the op.
 */
export function* dmaBufMmap(k: Kernel, buf: DmaBuf, vma: VmArea, pgoff: number): Proc<number> {
  dmaBufCheckAlive(k, buf, 'dma_buf_mmap');
  dmaResvAssertNotHeld(k, buf.resv, 'dma_buf_mmap', 'R51');
  yield callEntry('dma_buf_mmap', `${buf.name} pgoff ${pgoff} pages ${vma.pages}`);
  if (!buf.ops.mmap) return -ERRNO.EINVAL;
  if (pgoff + vma.pages >= U64_WRAP) return -ERRNO.EOVERFLOW;
  if (pgoff + vma.pages > Math.floor(buf.size / PAGE_SIZE)) return -ERRNO.EINVAL;
  vma.file = buf;
  vma.pgoff = pgoff;
  return yield* buf.ops.mmap(k, buf, vma);
}
