/**
 * Symmetry of identical members (importers, threads) in a data world: a state and the
 * state with the members renamed are explored once. The representative sorts the
 * members' segments (equal-length runs of slots holding everything a member owns,
 * its threads' control state included) and renames every reference to a member held
 * outside the segments. Members whose segments are equal are ordered so that the renamed
 * references are the smallest (every order of each run of equal segments is tried: at most
 * 4! for the four importers of S5). The representative is then the smallest image among
 * those with sorted segments, the same for every state of an orbit, so the number of
 * states stored does not depend on the order the search visits them in (the parallel
 * search's workers, stateful-parallel.ts, rely on it). Before, ties kept the members'
 * order, and an orbit could be stored twice (7,579 instead of 7,572 states at S1 when the
 * threads were tried in another order). A list the model keeps sorted is compared sorted
 * and sorted again by the group's `normalise`, so that renaming its entries gives the
 * state the model would hold (260,195 or 258,156 states at S3, by order, before).
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
  /**
   * Restores the model's canonical order of lists whose order it does not keep (refs
   * marked `unordered`) after their entries were renamed; runs on the representative.
   */
  readonly normalise?: (s: Store) => void;
}

/**
 * Reference slots of one kind: 0 is no reference, v > 0 is local object
 * (v - 1) % stride of owner floor((v - 1) / stride) (stride 1: the owner itself).
 */
export interface MemberRefs {
  readonly slots: readonly number[];
  readonly stride: number;
  /**
   * the slots are a list the model keeps sorted (its order is not state the rule book
   * observes): ties between members compare its renamed entries as a sorted list, and the
   * group's `normalise` sorts it again in the representative
   */
  readonly unordered?: boolean;
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
    let ties = false;
    for (let p = 1; p < n && sorted; p++) {
      const c = compareSegments(s, g.bases[p - 1]!, g.bases[p]!, g.len);
      sorted = c <= 0;
      if (c === 0) ties = true;
    }
    if (sorted && !(ties && g.refs.length > 0)) continue;
    // insertion sort, stable: a handful of members
    const order: number[] = [];
    for (let a = 0; a < n; a++) {
      let b = a;
      order.push(a);
      for (; b > 0 && compareSegments(s, g.bases[order[b - 1]!]!, g.bases[a]!, g.len) > 0; b--) order[b] = order[b - 1]!;
      order[b] = a;
    }
    if (g.refs.length > 0) breakTies(s, g, order);
    const pos: number[] = new Array<number>(n);
    for (let p = 0; p < n; p++) pos[order[p]!] = p;
    const permuted = order.some((m, p) => m !== p);
    if (permuted) moved = true;
    for (let p = 0; p < n; p++) {
      const m = order[p]!;
      if (m === p) continue;
      const from = g.bases[m]!;
      const to = g.bases[p]!;
      for (let j = 0; j < g.len; j++) dst.set(to + j, s[from + j]!);
    }
    for (const { slots, stride } of g.refs) {
      for (const r of slots) {
        const v = s[r]!;
        const w = renamed(g, pos, n, v, stride);
        if (w !== v) dst.set(r, w);
      }
    }
    if (g.normalise && permuted) g.normalise(dst);
  }
  return moved;
}

/** The member reference `v` (of `stride`) names, or -1 (no reference, or another owner). */
function memberOf(g: SymmetryGroup, n: number, v: number, stride: number): number {
  if (v <= 0) return -1;
  const owner = Math.floor((v - 1) / stride);
  return g.owners ? g.owners.indexOf(owner) : owner < n ? owner : -1;
}

/** Reference `v` (of `stride`) after member m moved to position pos[m]. */
function renamed(g: SymmetryGroup, pos: readonly number[], n: number, v: number, stride: number): number {
  const m = memberOf(g, n, v, stride);
  if (m < 0 || pos[m] === m) return v;
  return (g.owners ? g.owners[pos[m]!]! : pos[m]!) * stride + ((v - 1) % stride) + 1;
}

/**
 * Reorders each run of equal segments in the sorted `order` so that the renamed
 * references, read in the group's slot order, are the smallest.
 */
function breakTies(s: Int32Array, g: SymmetryGroup, order: number[]): void {
  const n = order.length;
  // members some reference names: a run of equal segments none of whose members is named
  // gives the same image in every order (the common case: idle importers)
  let named = 0;
  for (const { slots, stride } of g.refs) {
    for (const r of slots) {
      const m = memberOf(g, n, s[r]!, stride);
      if (m >= 0) named |= 1 << m;
    }
  }
  if (named === 0) return;
  const runs: [number, number][] = [];
  for (let a = 0; a < n;) {
    let b = a + 1;
    let hit = (named >> order[a]!) & 1;
    while (b < n && compareSegments(s, g.bases[order[a]!]!, g.bases[order[b]!]!, g.len) === 0) hit |= (named >> order[b++]!) & 1;
    if (b - a > 1 && hit) runs.push([a, b]);
    a = b;
  }
  if (runs.length === 0) return;
  const pos = new Array<number>(n);
  const refsOf = (o: readonly number[]): number[] => {
    for (let p = 0; p < n; p++) pos[o[p]!] = p;
    const out: number[] = [];
    for (const { slots, stride, unordered } of g.refs) {
      const vs = slots.map((r) => renamed(g, pos, n, s[r]!, stride));
      // zeros (empty entries) last, as the list keeps them
      if (unordered) vs.sort((x, y) => (x === 0 ? 1 : y === 0 ? -1 : x - y));
      out.push(...vs);
    }
    return out;
  };
  let best = order.slice();
  let bestRefs = refsOf(best);
  const cur = order.slice();
  const less = (x: readonly number[], y: readonly number[]) => {
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]!;
    return false;
  };
  // every order of every run (Heap's algorithm would do fewer swaps; n <= 4 members)
  const permute = (ri: number): void => {
    if (ri === runs.length) {
      const r = refsOf(cur);
      if (less(r, bestRefs)) { best = cur.slice(); bestRefs = r; }
      return;
    }
    const [a, b] = runs[ri]!;
    const rec = (i: number): void => {
      if (i === b) { permute(ri + 1); return; }
      for (let j = i; j < b; j++) {
        [cur[i], cur[j]] = [cur[j]!, cur[i]!];
        rec(i + 1);
        [cur[i], cur[j]] = [cur[j]!, cur[i]!];
      }
    };
    rec(a);
  };
  permute(0);
  for (let p = 0; p < n; p++) order[p] = best[p]!;
}
