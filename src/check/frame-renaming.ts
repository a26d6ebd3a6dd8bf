/**
 * The renamings of identical importers a scenario allows (check/frame-symmetry.ts): the
 * importer permutations inside classes of identical importers whose induced thread
 * permutation exists, each with the permutation of slots it moves a state by.
 */
import type { FrameWorld } from '../scenario/frame-world.ts';
import type { Scenario } from '../scenario/types.ts';
import { SlotValue } from '../scenario/frame-members.ts';
import { FrameOpKind } from '../sim/frame-ops.ts';

/** A renaming: importer i becomes imp[i], thread t becomes tid[t], slot j moves to slot[j]. */
export interface Renaming {
  readonly imp: Int32Array;
  readonly tid: Int32Array;
  readonly slot: Int32Array;
}

/** The renamings of `w` besides the identity, and the classes of identical importers (indices in order). */
export function scenarioRenamings(sc: Scenario, w: FrameWorld): { renamings: Renaming[]; classes: number[][] } {
  const cls = sc.importers.map((im) => JSON.stringify([im.driver, im.variant, im.peer2peer, im.pinned, im.speculativeReads ?? true]));
  const renamings: Renaming[] = [];
  for (const p of classPermutations(cls)) {
    if (p.every((x, i) => x === i)) continue;
    const t = w.members.threadImage(p);
    if (t === null) continue;
    renamings.push(renaming(w, p, t));
  }
  return { renamings, classes: [...new Set(cls)].map((c) => cls.flatMap((x, i) => (x === c ? [i] : []))) };
}

/** Every permutation of 0..n-1 that keeps each index in its class. */
function classPermutations(cls: readonly string[]): number[][] {
  const out: number[][] = [];
  const cur: number[] = [];
  const used = new Set<number>();
  const rec = (i: number) => {
    if (i === cls.length) { out.push([...cur]); return; }
    for (let j = 0; j < cls.length; j++) {
      if (used.has(j) || cls[j] !== cls[i]) continue;
      used.add(j);
      cur.push(j);
      rec(i + 1);
      cur.pop();
      used.delete(j);
    }
  };
  rec(0);
  return out;
}

function renaming(w: FrameWorld, imp: readonly number[], tid: readonly number[]): Renaming {
  const m = w.members;
  const slot = Int32Array.from({ length: w.layout.size }, (_, i) => i);
  const move = (from: readonly { base: number; len: number }[], to: readonly { base: number; len: number }[]) => {
    from.forEach((r, k) => {
      const d = to[k]!;
      if (d.len !== r.len) throw new Error(`internal: member ranges of ${w.layout.slotName(r.base)} and ${w.layout.slotName(d.base)} differ in length`);
      for (let j = 0; j < r.len; j++) slot[r.base + j] = d.base + j;
    });
  };
  imp.forEach((to, i) => move(m.importers[i]!, m.importers[to]!));
  tid.forEach((to, t) => move(m.threads[t]!, m.threads[to]!));
  for (let i = 0; i < slot.length; i++) {
    if (m.kinds[slot[i]!] !== m.kinds[i]) throw new Error(`internal: ${w.layout.slotName(i)} and its image ${w.layout.slotName(slot[i]!)} hold values of different kinds`);
  }
  return { imp: Int32Array.from(imp), tid: Int32Array.from(tid), slot };
}

/** The value `v` of a slot of kind `k` under renaming `r` (0 stays 0 in every kind). */
export function renameValue(r: Renaming, k: number, v: number): number {
  switch (k) {
    case SlotValue.REF: return v > 0 && v < r.slot.length ? r.slot[v]! : v;
    case SlotValue.REF4: return v > 0 && v >> 2 < r.slot.length ? (r.slot[v >> 2]! << 2) | (v & 3) : v;
    case SlotValue.IMP: return v >= 1 && v <= r.imp.length ? r.imp[v - 1]! + 1 : v;
    case SlotValue.TID: return v >= 1 && v <= r.tid.length ? r.tid[v - 1]! + 1 : v;
    default: return v;
  }
}

/** A pending op's first argument names a slot for a lock, an unlock and the waits on a slot (frame-ops.ts), nothing else. */
export function opArgKind(op: number): number {
  return op === FrameOpKind.Lock || op === FrameOpKind.Unlock || op === FrameOpKind.WaitEq || op === FrameOpKind.WaitGt ? SlotValue.REF : SlotValue.PLAIN;
}

// module-local copies: read on every write of a search (an imported enum member is a property read under tsx)
const V_REF = SlotValue.REF;
const V_REF4 = SlotValue.REF4;
const V_IMP = SlotValue.IMP;
const V_TID = SlotValue.TID;

/**
 * Value `v` of kind `k` in a slot of importer `o`, with what names a member made relative
 * to `o` (its own, another's), so that a renaming permutes importer signatures; `owner`
 * and `position` are frame-members.ts's tables, `threadSp` each thread's stack-pointer
 * slot. Collisions only cost reduction.
 */
export function relativeValue(owner: Int8Array, position: Int32Array, importers: number, threadSp: Int32Array, k: number, v: number, o: number): number {
  const size = owner.length;
  if (k === V_REF || k === V_REF4) {
    const at = k === V_REF4 ? v >> 2 : v;
    if (at <= 0 || at >= size || owner[at]! < 0) return v;
    return (owner[at] === o ? 0x10000000 : 0x20000000) ^ position[at]! ^ (k === V_REF4 ? (v & 3) << 26 : 0);
  }
  if (k === V_IMP && v >= 1 && v <= importers) return v - 1 === o ? 0x30000000 : 0x40000000;
  if (k === V_TID && v >= 1 && v <= threadSp.length) {
    const t = threadSp[v - 1]!;
    return owner[t] === o ? 0x50000000 ^ position[t]! : owner[t]! >= 0 ? 0x60000000 ^ position[t]! : v;
  }
  return v;
}
