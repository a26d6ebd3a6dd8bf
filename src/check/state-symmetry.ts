/**
 * Symmetry of identical members (importers, threads) in a data world: a state and the
 * state with the members renamed are explored once. The representative sorts the
 * members' segments (equal-length runs of slots holding everything a member owns,
 * its threads' control state included) and renames every reference to a member held
 * outside the segments. Ties keep the members' order: the representative is then not the
 * smallest image, and two images of one state may both be stored, which costs states but
 * never loses one (every representative is an image of the state under a permutation the
 * model is symmetric under).
 *
 * The model's duty, not checked here: identical members run identical code, nothing
 * compares member ids, and segments hold no reference to another member.
 */
import type { Store } from '../sim/store.ts';

export interface SymmetryGroup {
  readonly name: string;
  /** first slot of each member's segment */
  readonly bases: readonly number[];
  /** slots per segment */
  readonly len: number;
  /** slots outside the segments that may refer to a member, by kind of reference */
  readonly refs: readonly MemberRefs[];
  /** the owner number of each member in references (default: the member's index); other owners are left alone */
  readonly owners?: readonly number[];
}

/**
 * Reference slots of one kind: 0 is no reference, v > 0 is local object
 * (v - 1) % stride of owner floor((v - 1) / stride) (stride 1: the owner itself).
 */
export interface MemberRefs {
  readonly slots: readonly number[];
  readonly stride: number;
}

function compareSegments(s: Int32Array, a: number, b: number, len: number): number {
  for (let j = 0; j < len; j++) {
    const d = s[a + j]! - s[b + j]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Writes into `dst` the representative of `src` under `groups` (through the write
 * barrier, so `dst`'s hash lanes are the representative's fingerprint). Returns whether
 * some group was permuted. Groups must not share slots: each group reads `src`.
 */
export function canonicalise(src: Store, dst: Store, groups: readonly SymmetryGroup[]): boolean {
  dst.copyFrom(src);
  let moved = false;
  const s = src.slots;
  for (const g of groups) {
    const n = g.bases.length;
    let sorted = true;
    for (let p = 1; p < n && sorted; p++) sorted = compareSegments(s, g.bases[p - 1]!, g.bases[p]!, g.len) <= 0;
    if (sorted) continue;
    moved = true;
    // insertion sort, stable: a handful of members
    const order: number[] = [];
    for (let a = 0; a < n; a++) {
      let b = a;
      order.push(a);
      for (; b > 0 && compareSegments(s, g.bases[order[b - 1]!]!, g.bases[a]!, g.len) > 0; b--) order[b] = order[b - 1]!;
      order[b] = a;
    }
    const pos: number[] = new Array<number>(n);
    for (let p = 0; p < n; p++) {
      const m = order[p]!;
      pos[m] = p;
      if (m === p) continue;
      const from = g.bases[m]!;
      const to = g.bases[p]!;
      for (let j = 0; j < g.len; j++) dst.set(to + j, s[from + j]!);
    }
    for (const { slots, stride } of g.refs) {
      for (const r of slots) {
        const v = s[r]!;
        if (v <= 0) continue;
        const owner = Math.floor((v - 1) / stride);
        const m = g.owners ? g.owners.indexOf(owner) : owner < n ? owner : -1;
        if (m < 0 || pos[m] === m) continue;
        dst.set(r, (g.owners ? g.owners[pos[m]!]! : pos[m]!) * stride + ((v - 1) % stride) + 1);
      }
    }
  }
  return moved;
}
