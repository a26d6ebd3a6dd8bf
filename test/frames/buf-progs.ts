// Generated programs over the subset's dma-buf core (src/kernel/frame-dma-buf.ts,
// frame-attach.ts, frame-mapping.ts) with a test exporter and importers whose ops are
// subset functions called through their ids. `npm run frames` compiles this file to
// buf-progs.frames.ts; test/frames-buf.test.ts runs the same programs on the generator
// kernel with the same exporter and importers written as generators.
import { sched, type FrameCtx, type FrameProc } from '../../src/sim/frame-ops.ts';
import { threadExit } from '../../src/sim/frame-sim.ts';
import { structAlloc, type Ref } from '../../src/sim/struct.ts';
import type { StorePool } from '../../src/sim/store.ts';
import type { FrameKernelEnv } from '../../src/kernel/frame-kernel.ts';
import { fenceThreadExit } from '../../src/kernel/frame-fence.ts';
import { dmaBufGet, dmaBufPut, type DmaBuf, type DmaBufAttachment, type SgTable } from '../../src/kernel/frame-dma-buf.ts';
import { attachmentName, dmaBufAttachRevocable, dmaBufDetach, dmaBufDynamicAttach } from '../../src/kernel/frame-attach.ts';
import { dmaBufInvalidateMappings, dmaBufMapAttachment, dmaBufMapAttachmentUnlocked, dmaBufUnmapAttachment, dmaBufUnmapAttachmentUnlocked } from '../../src/kernel/frame-mapping.ts';
import { dmaBufPin, dmaBufUnpin } from '../../src/kernel/frame-pin.ts';
import { dmaResvLock, dmaResvUnlock } from '../../src/kernel/frame-resv.ts';
import { length, note, word, type ProgResults } from './prog-code.ts';

/** Instruction codes: code * 16 + device. */
export const ATTACH = 0;
export const DETACH = 1;
export const PIN = 2;
export const UNPIN = 3;
export const MAP = 4;
export const UNMAP = 5;
export const MAP_UNLOCKED = 6;
export const UNMAP_UNLOCKED = 7;
export const LOCK = 8;
export const UNLOCK = 9;
export const INVALIDATE = 10;
export const GET = 11;
export const PUT = 12;
export const REVOCABLE = 13;

export interface BufProgEnv extends FrameKernelEnv, ProgResults {
  readonly buf: number;
  /** by device: its attachment object, its state slot (0 never attached, 1 attached, 2 detached, 3 attaching), its last table's slot, its table counter's slot */
  readonly attachments: readonly number[];
  readonly state: readonly number[];
  readonly lastTable: readonly number[];
  readonly tableSeq: readonly number[];
  readonly tables: StorePool;
}

export type BufProgCtx = FrameCtx<BufProgEnv>;

export function buffer(k: BufProgCtx): Ref<DmaBuf> {
  return k.env.buf as Ref<DmaBuf>;
}

export function attachmentOf(k: BufProgCtx, d: number): Ref<DmaBufAttachment> {
  return k.env.attachments[d]! as Ref<DmaBufAttachment>;
}

export function testOpEvent(k: BufProgCtx, label: string, a: Ref<DmaBufAttachment>): void {
  if (k.out.records) k.out.event(k.tid, label, attachmentName(k, a));
}

// --- the test exporter's ops and the importers' callback, each one step ---

export function* expAttach(k: BufProgCtx, buf: Ref<DmaBuf>, a: Ref<DmaBufAttachment>): FrameProc<number> {
  yield sched();
  testOpEvent(k, 'exp_attach', a);
  return 0;
}

export function* expDetach(k: BufProgCtx, buf: Ref<DmaBuf>, a: Ref<DmaBufAttachment>): FrameProc {
  yield sched();
  testOpEvent(k, 'exp_detach', a);
}

export function* expPin(k: BufProgCtx, a: Ref<DmaBufAttachment>): FrameProc<number> {
  yield sched();
  testOpEvent(k, 'exp_pin', a);
  return 0;
}

export function* expUnpin(k: BufProgCtx, a: Ref<DmaBufAttachment>): FrameProc {
  yield sched();
  testOpEvent(k, 'exp_unpin', a);
}

/** map_dma_buf: a new table `DEV-sgtN`, N counting the device's tables. */
export function* expMap(k: BufProgCtx, a: Ref<DmaBufAttachment>, dir: number): FrameProc<number> {
  yield sched();
  testOpEvent(k, 'exp_map', a);
  return newTable(k, a, dir);
}

export function newTable(k: BufProgCtx, a: Ref<DmaBufAttachment>, dir: number): number {
  const seq = k.env.tableSeq[a.dev]!;
  k.s.set(seq, k.s.get(seq) + 1);
  const t = structAlloc(k.s, k.env.tables) as Ref<SgTable>;
  if (t === 0) throw new Error('model bug: test table pool is full');
  t.attachment = a;
  t.dir = dir;
  t.live = true;
  t.seq = k.s.get(seq);
  return t;
}

export function* expUnmap(k: BufProgCtx, a: Ref<DmaBufAttachment>, sgt: Ref<SgTable>, dir: number): FrameProc {
  yield sched();
  testOpEvent(k, 'exp_unmap', a);
}

export function* expRelease(k: BufProgCtx, buf: Ref<DmaBuf>): FrameProc {
  yield sched();
  if (k.out.records) k.out.event(k.tid, 'exp_release', 'buf');
}

export function* impInvalidate(k: BufProgCtx, a: Ref<DmaBufAttachment>): FrameProc {
  yield sched();
  testOpEvent(k, 'imp_invalidate', a);
}

/** Whether device `d` has an attachment object in use (attached once, or attaching). */
export function everAttached(k: BufProgCtx, d: number): boolean {
  return k.s.get(k.env.state[d]!) !== 0;
}

export function setState(k: BufProgCtx, d: number, v: number): void {
  k.s.set(k.env.state[d]!, v);
}

export function lastTable(k: BufProgCtx, d: number): Ref<SgTable> {
  return k.s.get(k.env.lastTable[d]!) as Ref<SgTable>;
}

export function setLastTable(k: BufProgCtx, d: number, t: number): void {
  k.s.set(k.env.lastTable[d]!, t);
}

/** A thread: device d0 attaches dynamically with a callback, d1 statically, d2 dynamically without one. */
export function* bufThread(k: BufProgCtx): FrameProc {
  const buf = buffer(k);
  for (let i = 0; i < length(k); i++) {
    const d = word(k, i) & 15;
    const a = attachmentOf(k, d);
    const op = word(k, i) >> 4;
    // an instruction on a device that never attached is skipped (in both runtimes)
    if (op <= UNMAP_UNLOCKED || op === REVOCABLE) {
      if (op === ATTACH ? k.s.get(k.env.state[d]!) === 1 : !everAttached(k, d)) continue;
    }
    switch (op) {
      case ATTACH: {
        // state 3 while the attach runs: the object is the new attachment's from its start
        const before = k.s.get(k.env.state[d]!);
        setState(k, d, 3);
        const r = yield* dmaBufDynamicAttach(k, buf, a, d === 1 ? 0 : d === 0 ? 1 : 2, 0, d);
        note(k, r);
        setState(k, d, r === 0 ? 1 : before);
        if (r === 0) setLastTable(k, d, 0);
        break;
      }
      case DETACH:
        yield* dmaBufDetach(k, buf, a);
        setState(k, d, 2);
        break;
      case PIN: {
        const r = yield* dmaBufPin(k, a);
        note(k, r);
        break;
      }
      case UNPIN:
        yield* dmaBufUnpin(k, a);
        break;
      case MAP: {
        const t = yield* dmaBufMapAttachment(k, a, 2);
        note(k, t > 0 ? 1 : t);
        if (t > 0) setLastTable(k, d, t);
        break;
      }
      case UNMAP:
        if (lastTable(k, d) !== 0) yield* dmaBufUnmapAttachment(k, a, lastTable(k, d), 2);
        break;
      case MAP_UNLOCKED: {
        const t = yield* dmaBufMapAttachmentUnlocked(k, a, 2);
        note(k, t > 0 ? 1 : t);
        if (t > 0) setLastTable(k, d, t);
        break;
      }
      case UNMAP_UNLOCKED:
        if (lastTable(k, d) !== 0) yield* dmaBufUnmapAttachmentUnlocked(k, a, lastTable(k, d), 2);
        break;
      case LOCK:
        yield* dmaResvLock(k, buf.resv);
        break;
      case UNLOCK:
        yield* dmaResvUnlock(k, buf.resv);
        break;
      case INVALIDATE:
        yield* dmaBufInvalidateMappings(k, buf);
        break;
      case GET:
        yield* dmaBufGet(k, buf);
        break;
      case PUT:
        yield* dmaBufPut(k, buf);
        break;
      default:
        note(k, dmaBufAttachRevocable(k, a) ? 1 : 0);
    }
  }
  threadExit(k);
  fenceThreadExit(k);
}
