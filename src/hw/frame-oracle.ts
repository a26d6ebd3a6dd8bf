/**
 * The access oracle (rule book S22, P1-P3, R42) in the compiled function* subset, the
 * data-world form of hw/oracle.ts. The generator form compares event indices (when a
 * table was built against when the latest returned revoke began); an event index is
 * history the state must not hold, so the tracker numbers its revokes instead and a
 * table keeps how many had begun before it was built (SgTable.revokesBefore): "built
 * before revoke r began" is `revokesBefore < r`.
 */
import { sched, type FrameProc } from '../sim/frame-ops.ts';
import { simReport } from '../sim/frame-sim.ts';
import { structName, type Ref } from '../sim/struct.ts';
import { devName } from '../kernel/frame-attach.ts';
import { tableName, type DmaBufAttachment, type SgTable } from '../kernel/frame-dma-buf.ts';
import type { DmaFence } from '../kernel/frame-fence.ts';
import { fenceName } from '../kernel/frame-kernel.ts';
import { DISABLED, FREED, labelText, MOVING, regionName, STATE_NAMES, type HwCtx, type MemRegion } from './frame-region.ts';

/** Revoke progress of one buffer under a revoking exporter (P1(c), P2). */
export interface RevokeTracker {
  /** revokes begun so far */
  count: number;
  /** the number of the revoke path running, 0 if none */
  running: number;
  /** the number of the latest revoke path that returned, 0 if none */
  returned: number;
  /** the number of the latest revoke whose BOOKKEEP wait returned, 0 if none */
  fenced: number;
}

export function trackerName(k: HwCtx, tr: Ref<RevokeTracker>): string {
  return structName(k.s, tr);
}

/** The start of a revoking path: one step. */
export function* revokeBegan(k: HwCtx, tr: Ref<RevokeTracker>, label: number): FrameProc {
  yield sched();
  if (k.out.records) k.out.event(k.tid, labelText(k, label), trackerName(k, tr));
  tr.count++;
  tr.running = tr.count;
}

/** The revoke's fence wait is over: one step. */
export function* revokeFenced(k: HwCtx, tr: Ref<RevokeTracker>): FrameProc {
  yield sched();
  if (k.out.records) k.out.event(k.tid, 'revoke fence wait done', trackerName(k, tr));
  tr.fenced = tr.running;
}

/** The revoking path returned to its caller (P1's revoke point): one step. */
export function* revokeReturned(k: HwCtx, tr: Ref<RevokeTracker>, label: number): FrameProc {
  yield sched();
  if (k.out.records) k.out.event(k.tid, labelText(k, label), trackerName(k, tr));
  tr.returned = tr.running;
  tr.running = 0;
}

/** What a table built now records of the tracker: the revokes begun so far. */
export function revokesSoFar(k: HwCtx, tr: Ref<RevokeTracker>): number {
  return tr === 0 ? 0 : tr.count;
}

/**
 * Judges one access of device `dev` through `t` (inside the access step) against the
 * region's state, the revoke progress of `tr` (0: the exporter does not revoke) and the
 * table's life. Returns whether it broke a rule.
 */
export function judgeAccess(k: HwCtx, dev: Ref<DmaBufAttachment>, t: Ref<SgTable>, write: boolean, speculative: boolean, tr: Ref<RevokeTracker>): boolean {
  return judgePath(k, dev, t.region as Ref<MemRegion>, t.revokesBefore, t.live, t.ready, tableName(k, t), write, speculative, tr);
}

/**
 * The judgement of an access through a path (an sg table, S18, or an IOVA range, S20)
 * onto region `r`: `revokesBefore` of the path, whether it is live, the KERNEL fence it
 * must wait for (0 for none), its name.
 */
export function judgePath(
  k: HwCtx, dev: Ref<DmaBufAttachment>, r: Ref<MemRegion>, revokesBefore: number, live: boolean, ready: number, path: string, write: boolean, speculative: boolean, tr: Ref<RevokeTracker>,
): boolean {
  const at = `${devName(k, dev)} engine ${speculative ? 'speculative read' : write ? 'DMA write' : 'DMA read'} of ${regionName(k, r)} through ${path}`;
  let broke = true;
  if (r.state === DISABLED || (r.state === FREED && !speculative)) simReport(k, 'dma-after-revoke', 'P1', `${at}: the memory is ${STATE_NAMES[r.state]}`);
  else if (r.state === MOVING && !speculative) simReport(k, 'dma-after-revoke', 'P1', `${at}: the exporter is moving it`);
  else if (tr !== 0 && revokesBefore < tr.returned) simReport(k, 'dma-after-revoke', 'P1', `${at}: mapped before the revoke of ${trackerName(k, tr)}, which has returned`);
  else if (tr !== 0 && write && revokesBefore < tr.fenced) simReport(k, 'dma-after-revoke', 'P2', `${at}: a write after the exporter's fence wait of the revoke`);
  else broke = false;
  if (!live) {
    simReport(k, 'use-after-invalidate', 'P3', `${at}: the table was already unmapped (R55)`);
    broke = true;
  }
  const f = ready as Ref<DmaFence>;
  if (!speculative && f !== 0 && !f.signaled) {
    simReport(k, 'dma-after-revoke', 'R42', `${at}: before-ready, KERNEL fence ${fenceName(k, f)} of the mapping has not signalled`);
    broke = true;
  }
  return broke;
}

/** A device access through `t`: one step (dmaAccess of engine.ts). */
export function* dmaAccess(k: HwCtx, dev: Ref<DmaBufAttachment>, t: Ref<SgTable>, write: boolean, tr: Ref<RevokeTracker>): FrameProc {
  yield sched();
  if (k.out.records) k.out.event(k.tid, write ? 'dma write' : 'dma read', `${regionName(k, t.region as Ref<MemRegion>)} via ${tableName(k, t)}`);
  judgeAccess(k, dev, t, write, false, tr);
}

/**
 * P3(a): an importer submits a new transfer through a mapping whose invalidate callback
 * has run and which was not replaced by a new R38 mapping since.
 */
export function judgeSubmission(k: HwCtx, dev: Ref<DmaBufAttachment>, t: Ref<SgTable>, invalidated: boolean): boolean {
  if (!invalidated) return false;
  simReport(k, 'use-after-invalidate', 'P3', `${devName(k, dev)} submits a transfer through ${tableName(k, t)} after its invalidate callback ran, without mapping again`);
  return true;
}
