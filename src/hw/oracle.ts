/**
 * The access oracle (rule book S22, P1-P3, R42): judges every device access against the
 * region's state, the exporter's revoke progress and the table's life.
 */
import { OpKind, REVOKE_RETURNED, type Op } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { SgTable } from '../kernel/dma-buf.ts';
import type { MemRegion } from './region.ts';

/**
 * Revoke progress of one buffer under a revoking exporter (P1(c), P2): the event index
 * at which the latest returned revoke path began, and the latest revoke whose fence wait
 * is over. Mappings built before those points may no longer be used.
 */
export interface RevokeTracker {
  readonly id: number;
  readonly name: string;
  /** event index at which the running revoke path began, -1 if none runs */
  began: number;
  /** began-index of the latest revoke path that returned */
  returnedBegan: number;
  /** began-index of the latest revoke whose BOOKKEEP wait returned */
  fencedBegan: number;
}

export function newRevokeTracker(rt: Runtime, name: string): RevokeTracker {
  return { id: rt.newObject(`${name}.revoke`), name, began: -1, returnedBegan: -1, fencedBegan: -1 };
}

/** Marks the start of a revoking path (a write the oracle's reads are ordered against). */
export function revokeBeganOp(rt: Runtime, t: RevokeTracker, label: string): Op {
  return { kind: OpKind.Write, obj: t.id, write: true, label, detail: t.name, role: 'call', apply: () => { t.began = rt.events.length; } };
}

export function revokeFencedOp(t: RevokeTracker): Op {
  return { kind: OpKind.Write, obj: t.id, write: true, label: 'revoke fence wait done', detail: t.name, apply: () => { t.fencedBegan = t.began; } };
}

export function revokeReturnedOp(t: RevokeTracker, label: string): Op {
  return {
    kind: OpKind.Write, obj: t.id, write: true, label, detail: t.name, mark: REVOKE_RETURNED, role: 'return',
    apply: () => { t.returnedBegan = t.began; t.began = -1; },
  };
}

/**
 * What a device access goes through: an sg table (S18) or an IOMMU range (S20). Both
 * carry the event index of their creation and the KERNEL fences they must wait for.
 */
export type AccessPath = Pick<SgTable, 'id' | 'name' | 'createdAt' | 'readyAfter' | 'live'>;

export interface Access {
  readonly device: string;
  readonly table: AccessPath;
  readonly region: MemRegion;
  readonly write: boolean;
  readonly speculative: boolean;
  readonly tracker: RevokeTracker | null;
}

/** Objects a DMA access reads: what the oracle's verdict depends on. */
export function accessFootprint(a: Access): number[] {
  const o = [a.table.id, ...a.table.readyAfter.map((f) => f.id)];
  if (a.tracker) o.push(a.tracker.id);
  return o;
}

/** Judges one access (run inside the access op). Returns whether it broke a rule. */
export function judgeAccess(rt: Runtime, a: Access): boolean {
  const what = a.speculative ? 'speculative read' : a.write ? 'DMA write' : 'DMA read';
  const r = a.region;
  const before = rt.violations.length;
  const at = `${a.device} engine ${what} of ${r.name} through ${a.table.name}`;
  if (r.state === 'disabled' || (r.state === 'freed' && !a.speculative)) {
    rt.report('dma-after-revoke', 'P1', `${at}: the memory is ${r.state}`);
  } else if (r.state === 'moving' && !a.speculative) {
    rt.report('dma-after-revoke', 'P1', `${at}: the exporter is moving it`);
  } else if (a.tracker && a.table.createdAt < a.tracker.returnedBegan) {
    rt.report('dma-after-revoke', 'P1', `${at}: mapped before the revoke of ${a.tracker.name}, which has returned`);
  } else if (a.tracker && a.write && a.table.createdAt < a.tracker.fencedBegan) {
    rt.report('dma-after-revoke', 'P2', `${at}: a write after the exporter's fence wait of the revoke`);
  }
  if (!a.table.live) rt.report('use-after-invalidate', 'P3', `${at}: the table was already unmapped (R55)`);
  if (!a.speculative) {
    const pending = a.table.readyAfter.find((f) => !f.signaled);
    if (pending) rt.report('dma-after-revoke', 'R42', `${at}: before-ready, KERNEL fence ${pending.name} of the mapping has not signalled`);
  }
  return rt.violations.length > before;
}

/**
 * P3(a): an importer submits a new transfer through a mapping whose invalidate callback
 * has run and which was not replaced by a new R38 mapping since. Judged by the importer
 * at submission (the submission op must read the importer state the callback writes).
 */
export function judgeSubmission(rt: Runtime, device: string, path: AccessPath, invalidated: boolean): boolean {
  if (!invalidated) return false;
  rt.report('use-after-invalidate', 'P3', `${device} submits a transfer through ${path.name} after its invalidate callback ran, without mapping again`);
  return true;
}
