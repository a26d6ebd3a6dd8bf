/**
 * gpu-dynamic's release (rule book D-GPUI-4) in the compiled function* subset: wait for
 * the importer's own jobs, unmap what it still owns, wait for the deferred unmapper,
 * unpin, detach and put (gpu-dynamic.ts doRelease).
 * `npm run frames` compiles this file to frame-gpu-release.frames.ts.
 */
import { waitEq, type FrameProc } from '../sim/frame-ops.ts';
import { addr, type ImpIdx, type Ref } from '../sim/struct.ts';
import { ERRNO } from '../kernel/errno.ts';
import { dmaFenceWaitTimeout, MAX_SCHEDULE_TIMEOUT } from '../kernel/frame-fence.ts';
import { DMA_BIDIRECTIONAL, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import { dmaBufUnmapAttachment } from '../kernel/frame-mapping.ts';
import { dmaBufUnpin } from '../kernel/frame-pin.ts';
import { dmaResvLock, dmaResvUnlock } from '../kernel/frame-resv.ts';
import { detachAndPut } from './frame-importer.ts';
import { FENCE_JOB, type DriverCtx } from './frame-env.ts';
import { buffer, devEvent, fenceAt, importer } from './frame-gpu-dynamic.ts';

/** Waits for importer `imp`'s job fences with seqno from..to-1 (teardown fences skipped). */
export function* waitJobs(k: DriverCtx, imp: ImpIdx, from: number, to: number): FrameProc {
  let seq = from;
  while (seq <= to) {
    const f = fenceAt(k, imp, seq);
    if (seq > 0 && f.kind === FENCE_JOB) yield* dmaFenceWaitTimeout(k, f, MAX_SCHEDULE_TIMEOUT);
    seq++;
  }
}

/** D-GPUI-4: wait for own jobs, unmap what it still owns, wait for the deferred unmapper, detach, put. */
export function* doRelease(k: DriverCtx, imp: ImpIdx): FrameProc<number> {
  const st = importer(k, imp);
  const buf = buffer(k);
  const a = st.a;
  if (a === 0) return -ERRNO.ENOENT;
  yield* waitJobs(k, imp, st.jobFrom, st.fences);
  yield* dmaResvLock(k, buf.resv);
  // under resv: the invalidate callback reads the window (the fences its unmap waits for)
  st.jobFrom = st.fences + 1;
  st.closing = true;
  if (st.table !== 0) {
    yield* dmaBufUnmapAttachment(k, a, st.table, DMA_BIDIRECTIONAL);
    st.table = 0 as Ref<SgTable>;
  }
  st.valid = false;
  yield* dmaResvUnlock(k, buf.resv);
  if (k.env.imps[imp]!.eagerRemap) {
    yield waitEq(addr(st.remapRunning), 0);
    devEvent(k, 'cancel remap work', imp, '');
  }
  yield waitEq(addr(st.pending), 0);
  devEvent(k, 'flush deferred unmapper', imp, '');
  if (st.pinned) {
    yield* dmaResvLock(k, buf.resv);
    yield* dmaBufUnpin(k, a);
    st.pinned = false;
    yield* dmaResvUnlock(k, buf.resv);
  }
  yield* detachAndPut(k, buf, a);
  st.a = 0 as Ref<DmaBufAttachment>;
  return 0;
}
