/**
 * The Spin twins' protocol as dmabuf-lab models it, written as a data world for the
 * stateful search: a measurement artefact (docs/design.md "Measured first"), not a second
 * model of the drivers. It follows src/drivers/vfio-pci.ts (kernel `landed`, variants
 * `correct` and `v2-no-wait`, trigger mem-disable), N gpu-dynamic importers (variant
 * `correct`, speculative reads on) running import, K transfers and release, and the core
 * functions they call (src/kernel/{attach,mapping,resv,dma-buf}.ts), with the lists
 * ordered as there: the dma-buf's attachments newest first, the reservation object's
 * fences in the order added with dma_resv_add_fence's slot reuse, the engine's queue in
 * submission order, the deferred unmapper's queue.
 *
 * Threads (as in a scenario): the reset thread, and per importer its user thread, DMA
 * engine, deferred unmapper and prefetcher. Each `case` below is one transaction at
 * the granularity Lipton's conditions allow: right movers (lock acquires, waits on
 * signalled fences or empty queues, queue fetches), at most one access to state no lock
 * protects (the non-mover), then left movers (unlock, complete, retire). Where
 * dmabuf-lab waits fence by fence, the twin waits for all in one guard (the waits are
 * right movers in a row). `simplifications` in run.ts lists what else is left out.
 *
 * The layout declares each slot's protection (sim/txn.ts), so the stateful search checks
 * these transaction boundaries as the twin runs: the resv is a lock slot that importers'
 * sections take and drop inside their transaction; fence signalled bits and the resv's
 * fence list form one atomic object (`fences`: a signal changes which fences are
 * pending); the BAR's memory state, the speculative-read arming and the mappings as the
 * hardware sees them form another (`BAR0`: a DMA access reads them at one instant); the
 * revoke tracker flags are the oracle's ghost state.
 */
import { Store, StoreLayout, type StorePool } from '../../src/sim/store.ts';
import { listGet, listIndexOf, listLength, listPushBack, listPushFront, listRemoveAt, listSet, storeList, type StoreList } from '../../src/sim/store-list.ts';
import type { StatefulModel, ViolationSink } from '../../src/check/stateful.ts';
import type { SymmetryGroup } from '../../src/check/state-symmetry.ts';
import { frameContexts, frameFinished, frameStart, frameStep, frameThread, linkFrames } from '../../src/sim/frames.ts';
import type { ResetEnv } from './revoke-frames.ts';
import { FN, frames } from './revoke-frames.frames.ts';

export type TwinVariant = 'correct' | 'v2-no-wait';

const WRITE = 1;
const BOOKKEEP = 3;

/** Reset thread program points (vfio_pci_dma_buf_move(revoked=true), then the memory disable). */
const enum X { BEGIN, INVALIDATE, FENCE_WAIT, KREF_PUT, UNMAP_WAIT, RETURN, DISABLE, DONE }
/** User thread: import (attach op, list insert, map), transfers at SUBMIT + j, release. */
const U_IMPORT = 0;
const U_ATTACH = 1;
const U_MAP = 2;
const U_SUBMIT = 3;

/** Per-importer fields, offsets in the importer's segment. */
const enum F { UPC, ATTACHED, TABLE, VALID, JOB_FENCES, SIGNALED, ENGINE_CUR, PENDING, ARMED, SIZE }
/** Table fields. */
const enum T { LIVE, PRE, SIZE }

export interface Twin extends StatefulModel {
  readonly importers: number;
  readonly transfers: number;
}

export interface TwinOptions {
  /**
   * The state a full port would keep canonical: the reservation object's list holds the
   * pending fences sorted (signalled ones dropped), and a detached importer's dead
   * objects (its tables, its fences' signalled bits) are freed. Argued in
   * docs/design.md "Canonical lists"; test/stateful-twin.test.ts checks the verdicts
   * and property sets against the ordered twin.
   */
  readonly canonical?: boolean;
  /**
   * Runs the reset thread as compiled from its function* subset source
   * (revoke-frames.ts, docs/design.md "Authoring models") instead of the hand-written
   * step function: its control state is then frames in the store, not `reset.pc`.
   */
  readonly frames?: boolean;
}

/** N importers x K transfers against the vfio-pci revoke of `variant`. */
export function twinModel(n: number, k: number, variant: TwinVariant, opts: TwinOptions = {}): Twin {
  const canonical = opts.canonical ?? false;
  const layout = new StoreLayout();
  // thread indices: reset 0, importer i's user, engine, unmapper, prefetcher 1 + 4i ..
  const userT = (i: number) => 1 + 4 * i;
  const resvHeld = layout.lock('resv.owner');
  const underResv = { lock: resvHeld };
  const ghost = { ghost: true } as const;
  const fencesObj = { lock: resvHeld, unit: 'fences' };
  const bar = { lock: resvHeld, unit: 'BAR0' };
  const revoked = layout.field('vfio.revoked', 1, underResv);
  const began = layout.field('tracker.began', 1, ghost);
  const fenced = layout.field('tracker.fenced', 1, ghost);
  const returned = layout.field('tracker.returned', 1, ghost);
  const disabled = layout.field('BAR0.disabled', 1, { shared: 'BAR0' });
  const kref = layout.field('vfio.kref', 1, { shared: 'vfio.kref' });
  const comp = layout.field('vfio.comp.done', 1, { shared: 'vfio.kref' });
  const xpc = layout.field('reset.pc', 1, { local: 0 });
  const resetFrames = opts.frames ? frameThread(layout, 'reset', 3, frames.width, { local: 0 }) : undefined;
  const attachments = storeList(layout, 'vfio-buf.attachments', n, underResv);
  // a signalled slot is reused before an older fence of the context: one importer can hold several slots
  const fenceCap = n * (k + 1);
  const fenceRefs = storeList(layout, 'resv.fences', fenceCap, fencesObj);
  const fenceUsage = storeList(layout, 'resv.usage', fenceCap, fencesObj);
  // an importer's segment: its fields, tables, engine queue and unmapper queue, contiguous
  const seg: number[] = [];
  const tables: StorePool[] = [];
  const engineQ: StoreList[] = [];
  const unmapQ: StoreList[] = [];
  for (let i = 0; i < n; i++) {
    const b = layout.field(`gpu${i}`, F.SIZE, underResv);
    seg.push(b);
    layout.protect(b + F.UPC, 1, { local: userT(i) });
    layout.protect(b + F.SIGNALED, 1, { shared: 'fences' });
    layout.protect(b + F.ENGINE_CUR, 1, { local: userT(i) + 1 });
    layout.protect(b + F.ARMED, 1, { shared: 'BAR0' });
    tables.push(layout.pool(`gpu${i}.tables`, 2, T.SIZE, bar));
    engineQ.push(storeList(layout, `gpu${i}.engine.queue`, k + 1, { queue: userT(i) + 1 }));
    unmapQ.push(storeList(layout, `gpu${i}.unmapper.queue`, 2, { queue: userT(i) + 2 }));
  }
  const segLen = (seg[1] ?? layout.size) - seg[0]!;
  const fenceStride = k + 1; // fence ref: importer * (k + 1) + local index + 1; local k is the teardown
  const TEARDOWN = k;
  const threads = ['reset'];
  for (let i = 0; i < n; i++) threads.push(`gpu${i}-user`, `gpu${i}-engine`, `gpu${i}-unmapper`, `gpu${i}-prefetch`);

  const fld = (i: number, f: F) => seg[i]! + f;
  const tbl = (i: number, t: number, f: T) => Store.at(tables[i]!, t, f);
  /** Whether fence `ref` is signalled; `wait`: read as a wait's condition (a right mover). */
  const signaled = (s: Store, ref: number, wait = false) => {
    const i = Math.floor((ref - 1) / fenceStride);
    const at = fld(i, F.SIGNALED);
    return ((wait ? s.wait(at) : s.get(at)) & (1 << ((ref - 1) % fenceStride))) !== 0;
  };

  /** dma_resv_add_fence (R23): reuse the first slot that is signalled or an older fence of the context with usage >= ours. */
  function addFence(s: Store, i: number, f: number, usage: number): void {
    const ref = i * fenceStride + f + 1;
    const len = listLength(s, fenceRefs);
    for (let j = 0; j < len; j++) {
      const old = listGet(s, fenceRefs, j);
      const sameCtx = Math.floor((old - 1) / fenceStride) === i;
      const notLater = ((old - 1) % fenceStride) <= f;
      if (signaled(s, old) || (sameCtx && listGet(s, fenceUsage, j) >= usage && notLater)) {
        listSet(s, fenceRefs, j, ref);
        listSet(s, fenceUsage, j, usage);
        return;
      }
    }
    if (!listPushBack(s, fenceRefs, ref) || !listPushBack(s, fenceUsage, usage)) throw new Error('twin: resv fence list capacity');
    if (canonical) sortFences(s);
  }

  /** Canonical list: pending fences in order of (importer, fence); the insertion order is not kept. */
  function sortFences(s: Store): void {
    const len = listLength(s, fenceRefs);
    for (let a = 1; a < len; a++) {
      for (let b = a; b > 0 && listGet(s, fenceRefs, b - 1) > listGet(s, fenceRefs, b); b--) {
        const r = listGet(s, fenceRefs, b);
        const u = listGet(s, fenceUsage, b);
        listSet(s, fenceRefs, b, listGet(s, fenceRefs, b - 1));
        listSet(s, fenceUsage, b, listGet(s, fenceUsage, b - 1));
        listSet(s, fenceRefs, b - 1, r);
        listSet(s, fenceUsage, b - 1, u);
      }
    }
  }

  /** dma_fence_signal by importer i's engine; canonical: the signalled fence leaves the resv list. */
  function signal(s: Store, i: number, f: number): void {
    s.set(fld(i, F.SIGNALED), s.get(fld(i, F.SIGNALED)) | (1 << f));
    if (!canonical) return;
    const at = listIndexOf(s, fenceRefs, i * fenceStride + f + 1);
    if (at < 0) return;
    listRemoveAt(s, fenceRefs, at);
    listRemoveAt(s, fenceUsage, at);
  }

  function krefPut(s: Store, out: ViolationSink, who: string): void {
    const v = s.get(kref);
    if (v <= 0) { out.report('api-misuse', 'P7', `vfio-pci kref of BAR0 dma-buf drops below zero (${who})`); return; }
    s.set(kref, v - 1);
    if (v === 1) s.set(comp, s.get(comp) + 1);
  }

  /** R38 through vfio_pci_dma_buf_map (D-VFIO-3): -ENODEV while revoked, else kref + 1 and a new table. */
  function ensureMapped(s: Store, i: number, out: ViolationSink): boolean {
    if (s.get(fld(i, F.VALID)) && s.get(fld(i, F.TABLE))) return true;
    if (s.get(revoked)) return false;
    if (s.get(kref) === 0) out.report('api-misuse', 'P7', 'vfio-pci kref of BAR0 dma-buf incremented from zero');
    s.set(kref, s.get(kref) + 1);
    const t = s.alloc(tables[i]!);
    if (t < 0) throw new Error('twin: table pool capacity');
    s.set(tbl(i, t, T.LIVE), 1);
    s.set(tbl(i, t, T.PRE), s.get(began) ? 0 : 1);
    s.set(fld(i, F.TABLE), t + 1);
    s.set(fld(i, F.VALID), 1);
    return true;
  }

  /** R40 + vfio unmap (D-VFIO-4): the table dies, kref - 1. */
  function unmap(s: Store, i: number, t: number, out: ViolationSink, who: string): void {
    if (!s.get(tbl(i, t, T.LIVE))) { out.report('api-misuse', 'R40', `dma_buf_unmap_attachment(gpu${i}-attach): not a live mapping`); return; }
    s.set(tbl(i, t, T.LIVE), 0);
    krefPut(s, out, who);
  }

  /** D-GPUI-3, in the reset thread under the resv: fence the teardown, hand the table to the unmapper. */
  function invalidate(s: Store, i: number): void {
    const t = s.get(fld(i, F.TABLE));
    if (!t) return;
    s.set(fld(i, F.VALID), 0);
    addFence(s, i, TEARDOWN, BOOKKEEP);
    listPushBack(s, engineQ[i]!, TEARDOWN + 1);
    const after = (1 << TEARDOWN) | s.get(fld(i, F.JOB_FENCES));
    s.set(fld(i, F.TABLE), 0);
    if (!listPushBack(s, unmapQ[i]!, (after << 3) | t)) throw new Error('twin: unmapper queue capacity');
    s.set(fld(i, F.PENDING), s.get(fld(i, F.PENDING)) + 1);
  }

  /** The reset thread's effects, shared by the step function below and the compiled subset version (revoke-frames.ts). */
  let resetOut: ViolationSink = { report: () => {} };
  const env: ResetEnv = {
    resv: resvHeld,
    revokeBegan: (s) => s.set(began, 1),
    setRevoked: (s) => s.set(revoked, 1),
    invalidateMappings: (s) => { for (let j = 0; j < listLength(s, attachments); j++) invalidate(s, listGet(s, attachments, j) - 1); },
    fenceWaitDone: (s) => s.set(fenced, 1),
    krefPut: (s) => krefPut(s, resetOut, 'revoke'),
    completionConsume: (s) => s.set(comp, s.get(comp) - 1),
    revokeReturned: (s) => s.set(returned, 1),
    disableMemory(s) {
      // S21: a disable inside a handed-out table's span arms one speculative read through it
      s.set(disabled, 1);
      for (let i = 0; i < n; i++) {
        let armed = s.get(fld(i, F.ARMED));
        for (let t = 0; t < tables[i]!.cap; t++) if (s.get(tbl(i, t, T.LIVE))) armed |= 1 << t;
        s.set(fld(i, F.ARMED), armed);
      }
    },
  };
  /** The revoke's fence wait condition: every fence in the resv signalled (read as a wait, a right mover). */
  const fencesSignaled = (s: Store): boolean => {
    for (let j = 0; j < listLength(s, fenceRefs); j++) if (!signaled(s, listGet(s, fenceRefs, j), true)) return false;
    return true;
  };
  const guards = [fencesSignaled, (s: Store) => s.wait(comp) !== 0];
  const resetCtx = resetFrames && frameContexts(linkFrames(frames), resetFrames, 0, env, guards);

  function reset(s: Store, out: ViolationSink): boolean {
    resetOut = out;
    if (resetCtx) return frameStep(resetCtx(s));
    switch (s.get(xpc) as X) {
      case X.BEGIN:
        env.revokeBegan(s);
        s.set(xpc, X.INVALIDATE);
        return true;
      case X.INVALIDATE: {
        if (s.get(resvHeld)) return false;
        s.set(resvHeld, 1);
        env.setRevoked(s);
        env.invalidateMappings(s);
        if (variant === 'correct') s.set(xpc, X.FENCE_WAIT);
        else { s.set(resvHeld, 0); s.set(xpc, X.KREF_PUT); }
        return true;
      }
      case X.FENCE_WAIT:
        if (!fencesSignaled(s)) return false;
        env.fenceWaitDone(s);
        s.set(resvHeld, 0);
        s.set(xpc, X.KREF_PUT);
        return true;
      case X.KREF_PUT:
        env.krefPut(s);
        s.set(xpc, variant === 'correct' ? X.UNMAP_WAIT : X.RETURN);
        return true;
      case X.UNMAP_WAIT:
        if (s.wait(comp) === 0) return false;
        env.completionConsume(s);
        s.set(xpc, X.RETURN);
        return true;
      case X.RETURN:
        env.revokeReturned(s);
        s.set(xpc, X.DISABLE);
        return true;
      case X.DISABLE:
        env.disableMemory(s);
        s.set(xpc, X.DONE);
        return true;
      default:
        return false;
    }
  }

  function user(s: Store, i: number, out: ViolationSink): boolean {
    const pc = s.get(fld(i, F.UPC));
    const rel = U_SUBMIT + k;
    if (pc === U_IMPORT) {
      // vfio_pci_dma_buf_attach reads `revoked` without the resv (D-VFIO-2): the one non-mover
      s.set(fld(i, F.UPC), s.get(revoked) ? rel + 2 : U_ATTACH);
      return true;
    }
    if (pc > rel + 1) return false;
    // the waits come first: they are the transaction's enabling condition (right movers)
    if (pc === rel && (s.wait(fld(i, F.JOB_FENCES)) & ~s.wait(fld(i, F.SIGNALED))) !== 0) return false;
    if (pc === rel + 1 && s.wait(fld(i, F.PENDING)) !== 0) return false;
    if (s.get(resvHeld)) return false;
    s.set(resvHeld, userT(i) + 1);
    if (pc === U_ATTACH) {
      listPushFront(s, attachments, i + 1);
      s.set(fld(i, F.ATTACHED), 1);
    } else if (pc === U_MAP) {
      ensureMapped(s, i, out);
    } else if (pc < rel) {
      // D-GPUI-2: one job a transfer, its fence added WRITE under the resv
      if (ensureMapped(s, i, out)) {
        const j = pc - U_SUBMIT;
        addFence(s, i, j, WRITE);
        s.set(fld(i, F.JOB_FENCES), s.get(fld(i, F.JOB_FENCES)) | (1 << j));
        listPushBack(s, engineQ[i]!, 1 + j + fenceStride * s.get(fld(i, F.TABLE)));
      }
    } else if (pc === rel) {
      // D-GPUI-4: its own jobs are done (waited above), then unmap what it still owns under the resv
      s.set(fld(i, F.JOB_FENCES), 0);
      const t = s.get(fld(i, F.TABLE));
      if (t) { unmap(s, i, t - 1, out, `unmap by gpu${i}`); s.set(fld(i, F.TABLE), 0); }
      s.set(fld(i, F.VALID), 0);
    } else {
      // the deferred unmapper is flushed (waited above), then dma_buf_detach under the resv
      listRemoveAt(s, attachments, listIndexOf(s, attachments, i + 1));
      s.set(fld(i, F.ATTACHED), 0);
      for (let t = 0; t < tables[i]!.cap; t++) if (s.get(tbl(i, t, T.LIVE))) out.report('leak', 'R35', `gpu${i} detaches from vfio-buf with live mapping(s)`);
      if (canonical) {
        // every job of the importer is done and unmapped: nothing reads these again
        for (let t = 0; t < tables[i]!.cap; t++) if (s.get(tables[i]!.used) & (1 << t)) s.free(tables[i]!, t);
        s.set(fld(i, F.SIGNALED), 0);
      }
    }
    s.set(resvHeld, 0);
    s.set(fld(i, F.UPC), pc + 1);
    return true;
  }

  /** The access oracle (P1-P3) for one transfer through table t. */
  function judge(s: Store, i: number, t: number, out: ViolationSink): void {
    const at = `gpu${i} engine DMA write of BAR0 through gpu${i}-sgt`;
    const pre = s.get(tbl(i, t, T.PRE)) !== 0;
    if (s.get(disabled)) out.report('dma-after-revoke', 'P1', `${at}: the memory is disabled`);
    else if (pre && s.get(returned)) out.report('dma-after-revoke', 'P1', `${at}: mapped before the revoke of vfio-buf, which has returned`);
    else if (pre && s.get(fenced)) out.report('dma-after-revoke', 'P2', `${at}: a write after the exporter's fence wait of the revoke`);
    if (!s.get(tbl(i, t, T.LIVE))) out.report('use-after-invalidate', 'P3', `${at}: the table was already unmapped (R55)`);
  }

  function engine(s: Store, i: number, out: ViolationSink): boolean {
    const cur = s.get(fld(i, F.ENGINE_CUR));
    if (cur) {
      signal(s, i, cur - 1);
      s.set(fld(i, F.ENGINE_CUR), 0);
      return true;
    }
    const q = engineQ[i]!;
    if (listLength(s, q) === 0) return false;
    const job = listRemoveAt(s, q, 0);
    const f = (job - 1) % fenceStride;
    if (f === TEARDOWN) {
      signal(s, i, f);
      return true;
    }
    judge(s, i, Math.floor((job - 1) / fenceStride) - 1, out);
    s.set(fld(i, F.ENGINE_CUR), f + 1);
    return true;
  }

  function unmapper(s: Store, i: number, out: ViolationSink): boolean {
    const q = unmapQ[i]!;
    if (listLength(s, q) === 0) return false;
    const item = listGet(s, q, 0);
    if (((item >> 3) & ~s.wait(fld(i, F.SIGNALED))) !== 0 || s.get(resvHeld)) return false;
    s.set(resvHeld, userT(i) + 3);
    listRemoveAt(s, q, 0);
    if (s.get(fld(i, F.ATTACHED))) unmap(s, i, (item & 7) - 1, out, `unmap by gpu${i}-unmapper`);
    s.set(fld(i, F.PENDING), s.get(fld(i, F.PENDING)) - 1);
    s.set(resvHeld, 0);
    return true;
  }

  function prefetch(s: Store, i: number, out: ViolationSink): boolean {
    const armed = s.get(fld(i, F.ARMED));
    if (!armed) return false;
    const t = 31 - Math.clz32(armed & -armed);
    s.set(fld(i, F.ARMED), armed & ~(1 << t));
    if (s.get(tbl(i, t, T.LIVE))) out.report('dma-after-revoke', 'P1', `gpu${i} engine speculative read of BAR0 through gpu${i}-sgt: the memory is disabled`);
    return true;
  }

  // the shared lists name importers: attachments by importer, fences by (importer, local fence)
  const importersGroup: SymmetryGroup = {
    name: 'gpu', bases: seg, len: segLen,
    refs: [
      { slots: Array.from({ length: n }, (_, j) => attachments.len + 1 + j), stride: 1 },
      { slots: Array.from({ length: fenceCap }, (_, j) => fenceRefs.len + 1 + j), stride: fenceStride, unordered: canonical },
    ],
    ...(canonical ? { normalise: sortFences } : {}),
  };

  return {
    importers: n, transfers: k, layout, threads,
    init(s: Store): void {
      s.set(kref, 1);
      if (resetCtx) frameStart(resetCtx(s), frames, FN.resetThread, [variant === 'correct' ? 0 : 1]);
    },
    step(s: Store, t: number, out: ViolationSink): boolean {
      if (t === 0) return reset(s, out);
      const i = (t - 1) >> 2;
      switch ((t - 1) & 3) {
        case 0: return user(s, i, out);
        case 1: return engine(s, i, out);
        case 2: return unmapper(s, i, out);
        default: return prefetch(s, i, out);
      }
    },
    finished(s: Store, t: number): boolean {
      if (t === 0) return resetCtx ? frameFinished(resetCtx(s)) : s.get(xpc) === X.DONE;
      if ((t - 1) & 3) return true; // background threads may end idle
      return s.get(fld((t - 1) >> 2, F.UPC)) > U_SUBMIT + k + 1;
    },
    atEnd(s: Store, out: ViolationSink): void {
      if (!s.get(revoked) && s.get(kref) !== 1) out.report('leak', 'P6', `vfio-pci kref of BAR0 dma-buf is ${s.get(kref)} at the end, expected 1`);
    },
    symmetry: n > 1 ? [importersGroup] : [],
  };
}
