/**
 * Symmetry of identical importers in the data world (docs/design.md "Symmetry of the data
 * world"): a state and its images under every renaming of identical importers are stored
 * once, as the fingerprint of one representative image.
 *
 * A renaming is an importer permutation p that the scenario allows (importers of the same
 * driver, variant and flags, whose threads run the same steps up to the renaming: the
 * thread permutation it induces: frame-renaming.ts, scenario/frame-members.ts). Its image of a state moves
 * every slot an importer or a thread owns to the same slot of its image member, and
 * renames every value that names one: a `Ref` is mapped through the slot permutation, an
 * importer index or context and a thread index through p. Constant slots are left out:
 * an image keeps the initial values. The image's fingerprint is computed from the
 * non-zero slots without writing the image (0 is none in every kind, so a zero slot is a
 * zero slot in every image), with the store's own hash terms, so the identity's is the
 * state's incremental hash; the search's stores keep every image's fingerprint up to date
 * on each write instead (`attach`, `changed`), so a key costs O(renamings). The
 * representative sorts each class of importers by a signature their renaming permutes;
 * a tie takes the smallest fingerprint of all images.
 *
 * Soundness rests on each image being the state the renamed interleaving reaches: the
 * model code treats identical importers alike, compares no importer index by order, and
 * every slot has the kind of what it holds. The audit test (test/frame-symmetry.test.ts)
 * checks on small scenarios that the successors of every state's image are the images of
 * its successors, so that a slot with the wrong kind shows as a mismatch.
 */
import { hashSlots, slotHash1, slotHash2, type Store, type StoreLanes } from '../sim/store.ts';
import { SlotValue, VALUE_SLOT } from '../scenario/frame-members.ts';
import type { FrameWorld } from '../scenario/frame-world.ts';
import type { Scenario } from '../scenario/types.ts';
import { opArgKind, relativeValue, renameValue, scenarioRenamings, type Renaming } from './frame-renaming.ts';

/** What the stateful search asks of a symmetry: the representative key of a state. */
export interface StateCanon {
  /** renamings besides the identity */
  readonly images: number;
  /**
   * Gives store `s` the lanes the symmetry keeps up to date on every write, computed from
   * its slots (`copyFrom` a store that has them copies them)
   */
  attach(s: Store): void;
  /**
   * Sets `out`'s hash lanes to the fingerprint of the representative of `s`'s orbit
   * (and, with `exact`, `out`'s slots to it) and returns `out`.
   */
  key(s: Store, out: Store, exact: boolean): Store;
}

// the kinds as module constants: the hot loops read them without a property lookup
const K_PLAIN = SlotValue.PLAIN;
const K_CONST = SlotValue.CONST;
const K_FRAME = SlotValue.FRAME;
const K_OP_A = SlotValue.OP_A;
const KIND_OF_VALUE = VALUE_SLOT;

/**
 * The symmetry of `w`, built from scenario `sc`, with `init` its initial state; null when
 * no two importers are interchangeable.
 */
export function frameSymmetry(sc: Scenario, w: FrameWorld, init: Store): FrameCanon | null {
  const { renamings, classes } = scenarioRenamings(sc, w);
  return renamings.length === 0 ? null : new FrameCanon(w, renamings, init, classes);
}

/** The renamings of one world and the image fingerprints they give. */
export class FrameCanon implements StateCanon, StoreLanes {
  readonly images: number;
  /** by slot: the first slot of the frame it belongs to, -1 outside frames */
  private readonly frameOf: Int32Array;
  /** by slot: 1 a frame's function slot (its locals' kinds follow it), 2 a pending op's kind (its argument's follows it) */
  private readonly dependents: Uint8Array;
  /** hash lanes of the slots every image shares: the constants, and 0 in every other slot */
  private readonly base1: number;
  private readonly base2: number;
  /** scratch: the non-zero slots of the state being keyed (constants aside) and their kinds */
  private readonly nzSlot: Int32Array;
  private readonly nzKind: Uint8Array;
  private readonly kinds: Uint8Array;
  /** the members' owner and position tables (frame-members.ts), read on every write */
  private readonly owner: Int8Array;
  private readonly position: Int32Array;
  /** each thread's stack-pointer slot, which says who owns the thread */
  private readonly threadSp: Int32Array;
  private readonly rel = (k: number, v: number, o: number) => relativeValue(this.owner, this.position, this.sig.length, this.threadSp, k, v, o);

  /** a renaming's index by its importer permutation, as a number in base n (`sorted`) */
  private readonly byPerm = new Map<number, number>();
  /** per importer: the signature of its own slots, renaming-invariant (collect) */
  private readonly sig: Int32Array;

  constructor(private readonly w: FrameWorld, private readonly renamings: readonly Renaming[], private readonly init: Store, private readonly classes: readonly (readonly number[])[]) {
    this.images = renamings.length;
    renamings.forEach((r, i) => this.byPerm.set(r.imp.reduce((code, x) => code * r.imp.length + x, 0), i));
    this.sig = new Int32Array(w.members.importers.length);
    this.kinds = w.members.kinds;
    this.owner = w.members.owner;
    this.position = w.members.position;
    this.threadSp = Int32Array.from(w.members.frames, (th) => th.sp);
    let a = 0;
    let b = 0;
    for (let i = 0; i < this.kinds.length; i++) {
      const v = this.kinds[i] === K_CONST ? init.slots[i]! : 0;
      a ^= slotHash1(i, v);
      b ^= slotHash2(i, v);
    }
    this.base1 = a;
    this.base2 = b;
    this.nzSlot = new Int32Array(this.kinds.length);
    this.nzKind = new Uint8Array(this.kinds.length);
    this.zero1 = Int32Array.from(this.kinds, (_, i) => slotHash1(i, 0));
    this.zero2 = Int32Array.from(this.kinds, (_, i) => slotHash2(i, 0));
    this.frameOf = new Int32Array(this.kinds.length).fill(-1);
    this.dependents = new Uint8Array(this.kinds.length);
    for (const th of w.members.frames) {
      for (let f = 0; f < th.depth; f++) {
        const fr = th.frames + f * th.width;
        this.frameOf.fill(fr, fr, fr + th.width);
        this.dependents[fr] = 1;
      }
      this.dependents[th.op] = 2;
    }
    this.perm = new Int32Array(this.sig.length);
    this.scratch = new Int32Array(this.sig.length);
    this.fnKinds = w.prog.values.map((v) => Uint8Array.from(v, (c) => KIND_OF_VALUE[c]!));
  }

  /** scratch of `sorted`: the permutation, a class in signature order */
  private readonly perm: Int32Array;
  private readonly scratch: Int32Array;

  /**
   * Gives `s` the lanes this symmetry keeps (each renaming's image fingerprint, each
   * importer's signature) and computes them; every write then updates them (`changed`),
   * and a copy carries them.
   */
  attach(s: Store): void {
    s.keeper = this;
    s.lanes = new Int32Array(2 * this.images + this.sig.length);
    this.resync(s);
  }

  /** Computes `s`'s lanes from its slots. */
  resync(s: Store): void {
    const n = this.collect(s);
    const lanes = s.lanes!;
    for (let p = 0; p < this.images; p++) {
      const [a, b] = this.imageHash(s, p, n);
      lanes[2 * p] = a | 0;
      lanes[2 * p + 1] = b | 0;
    }
    lanes.set(this.sig, 2 * this.images);
  }

  /** The kind of frame or op-argument slot `i` of `x` when it depends on another slot (the frame's function, the op's kind). */
  private kindOf(x: Int32Array, i: number): number {
    const k = this.kinds[i]!;
    if (k === K_OP_A) return opArgKind(x[i - 1]!);
    if (k !== K_FRAME) return k;
    const fr = this.frameOf[i]!;
    const off = i - fr;
    // the function id and the program point are plain
    if (off < 2) return K_PLAIN;
    const fk = this.fnKinds[x[fr]!]!;
    return off - 2 < fk.length ? fk[off - 2]! : K_PLAIN;
  }

  /** by function id, each local's slot kind (the compiler's value kinds, looked up once) */
  private readonly fnKinds: readonly Uint8Array[];

  /**
   * Moves the lanes of `s` for slot `i` of kind `k` going from `old` to `v`; `d1`, `d2`
   * are the store's own hash deltas of the write, which an image shares when it keeps the
   * slot and its values in place (most writes: plain values, and the slots of members no
   * renaming moves), so that only moved or renamed terms are hashed again.
   */
  private account(s: Store, i: number, k: number, old: number, v: number, d1: number, d2: number): void {
    const lanes = s.lanes!;
    const plain = k === K_PLAIN;
    for (let p = 0; p < this.images; p++) {
      const r = this.renamings[p]!;
      const j = r.slot[i]!;
      const ro = plain ? old : renameValue(r, k, old);
      const rv = plain ? v : renameValue(r, k, v);
      if (j === i && ro === old && rv === v) {
        lanes[2 * p] ^= d1;
        lanes[2 * p + 1] ^= d2;
        continue;
      }
      lanes[2 * p] ^= slotHash1(j, ro) ^ slotHash1(j, rv);
      lanes[2 * p + 1] ^= slotHash2(j, ro) ^ slotHash2(j, rv);
    }
    const o = this.owner[i]!;
    if (o < 0) return;
    const pos = this.position[i]!;
    // a zero slot has no term in a signature (collect skips it)
    let d = 0;
    if (old !== 0) d ^= slotHash1(pos, this.rel(k, old, o));
    if (v !== 0) d ^= slotHash1(pos, this.rel(k, v, o));
    lanes[2 * this.images + o] ^= d;
  }

  changed(s: Store, i: number, old: number, v: number, d1: number, d2: number): void {
    const k = this.kinds[i]!;
    if (k === K_CONST) throw new Error(`internal: constant slot ${this.w.layout.slotName(i)} written while symmetry keeps lanes`);
    const x = s.slots;
    const dep = this.dependents[i]!;
    if (dep === 0) { this.account(s, i, this.kindOf(x, i), old, v, d1, d2); return; }
    // the slots whose kind this one decides: taken out under the old kind, put back under the new
    const from = dep === 1 ? i + 2 : i + 1;
    const to = dep === 1 ? i + this.w.members.frames[0]!.width : i + 2;
    x[i] = old;
    for (let j = from; j < to; j++) if (x[j] !== 0) this.account(s, j, this.kindOf(x, j), x[j]!, 0, slotHash1(j, x[j]!) ^ slotHash1(j, 0), slotHash2(j, x[j]!) ^ slotHash2(j, 0));
    x[i] = v;
    for (let j = from; j < to; j++) if (x[j] !== 0) this.account(s, j, this.kindOf(x, j), 0, x[j]!, slotHash1(j, x[j]!) ^ slotHash1(j, 0), slotHash2(j, x[j]!) ^ slotHash2(j, 0));
    this.account(s, i, this.kindOf(x, i), old, v, d1, d2);
  }

  /** each slot's hash terms for the value 0, which an image replaces */
  private readonly zero1: Int32Array;
  private readonly zero2: Int32Array;

  /**
   * Collects the non-zero slots of `s` but the constants into the scratch arrays, each
   * with its kind (a frame local's from its function's values); returns their count.
   */
  private collect(s: Store): number {
    const n = this.collectSlots(s);
    // each importer's signature: its slots at their positions, with the values that name
    // a member made relative (its own, another's), so that a renaming permutes signatures
    const { owner, position } = this;
    const x = s.slots;
    const sig = this.sig;
    sig.fill(0);
    for (let q = 0; q < n; q++) {
      const i = this.nzSlot[q]!;
      const o = owner[i]!;
      if (o < 0) continue;
      sig[o] ^= slotHash1(position[i]!, this.rel(this.nzKind[q]!, x[i]!, o));
    }
    return n;
  }

  /** Collects the non-zero slots into the scratch arrays; returns their count. */
  private collectSlots(s: Store): number {
    const x = s.slots;
    const { kinds, nzSlot, nzKind } = this;
    const m = this.w.members;
    let n = 0;
    const fixed = m.fixed;
    for (let q = 0; q < fixed.length; q++) {
      const i = fixed[q]!;
      if (x[i] === 0) continue;
      nzSlot[n] = i;
      nzKind[n++] = this.kindOf(x, i);
    }
    // a free object is zeroed (Store.free): only the objects in use
    for (const p of m.pools) {
      const used = x[p.used]!;
      for (let o = 0; o < p.cap; o++) {
        if ((used & (1 << o)) === 0) continue;
        const b = p.base + o * p.width;
        for (let i = b; i < b + p.width; i++) {
          if (x[i] === 0) continue;
          const k = kinds[i]!;
          if (k === K_CONST) continue;
          nzSlot[n] = i;
          nzKind[n++] = k;
        }
      }
    }
    // the frames in use (a popped frame is zeroed)
    for (const th of m.frames) {
      const end = th.frames + x[th.sp]! * th.width;
      for (let i = th.frames; i < end; i++) {
        if (x[i] === 0) continue;
        nzSlot[n] = i;
        nzKind[n++] = this.kindOf(x, i);
      }
    }
    return n;
  }

  /**
   * The renaming that sorts each class of importers by signature (-1: the identity), or
   * -2 when two importers of a class tie or the sorting renaming is not allowed: then
   * every renaming is tried. Either way the choice depends on the orbit only.
   */
  private sorted(): number {
    const { sig, perm, scratch: idx } = this;
    for (const c of this.classes) {
      // insertion sort of the class by signature (classes are a few importers)
      for (let k = 0; k < c.length; k++) {
        const imp = c[k]!;
        let j = k;
        while (j > 0 && sig[idx[j - 1]!]! > sig[imp]!) { idx[j] = idx[j - 1]!; j--; }
        idx[j] = imp;
      }
      for (let k = 1; k < c.length; k++) if (sig[idx[k]!] === sig[idx[k - 1]!]) return -2;
      for (let k = 0; k < c.length; k++) perm[idx[k]!] = c[k]!;
    }
    let code = 0;
    let identity = true;
    for (let i = 0; i < perm.length; i++) {
      if (perm[i] !== i) identity = false;
      code = code * perm.length + perm[i]!;
    }
    return identity ? -1 : this.byPerm.get(code) ?? -2;
  }

  /** The fingerprint of image `p` of `s`, whose `n` non-zero slots were collected, as [lane 1, lane 2] unsigned. */
  private imageHash(s: Store, p: number, n: number): [number, number] {
    const r = this.renamings[p]!;
    const x = s.slots;
    let a = this.base1;
    let b = this.base2;
    for (let q = 0; q < n; q++) {
      const i = this.nzSlot[q]!;
      const j = r.slot[i]!;
      const v = renameValue(r, this.nzKind[q]!, x[i]!);
      a ^= slotHash1(j, v) ^ this.zero1[j]!;
      b ^= slotHash2(j, v) ^ this.zero2[j]!;
    }
    return [a >>> 0, b >>> 0];
  }

  key(s: Store, out: Store, exact: boolean): Store {
    if (s.lanes === null || exact) return this.scanKey(s, out, exact);
    const lanes = s.lanes;
    this.sig.set(lanes.subarray(2 * this.images));
    let pick = this.sorted();
    let b1 = s.h1 >>> 0;
    let b2 = s.h2 >>> 0;
    if (pick === -2) {
      for (let p = 0; p < this.images; p++) {
        const ua = lanes[2 * p]! >>> 0;
        const ub = lanes[2 * p + 1]! >>> 0;
        if (ua < b1 || (ua === b1 && ub < b2)) { b1 = ua; b2 = ub; }
      }
    } else if (pick >= 0) {
      b1 = lanes[2 * pick]! >>> 0;
      b2 = lanes[2 * pick + 1]! >>> 0;
    }
    out.h1 = b1 | 0;
    out.h2 = b2 | 0;
    return out;
  }

  /** `key` from the slots (a store without lanes, or `exact`, which writes the image). */
  private scanKey(s: Store, out: Store, exact: boolean): Store {
    const n = this.collect(s);
    const pick = this.sorted();
    if (pick !== -2) {
      if (pick === -1) {
        if (exact) out.slots.set(s.slots);
        out.h1 = s.h1;
        out.h2 = s.h2;
      } else {
        const [a, b] = this.imageHash(s, pick, n);
        out.h1 = a | 0;
        out.h2 = b | 0;
        if (exact) this.write(s, pick, out, n);
      }
      return out;
    }
    return this.smallest(s, out, exact, n);
  }

  /** The smallest fingerprint of all images of `s` (the tie case of `key`). */
  private smallest(s: Store, out: Store, exact: boolean, n: number): Store {
    let best = -1;
    let b1 = s.h1 >>> 0;
    let b2 = s.h2 >>> 0;
    for (let p = 0; p < this.renamings.length; p++) {
      const [ua, ub] = this.imageHash(s, p, n);
      if (ua < b1 || (ua === b1 && ub < b2)) { b1 = ua; b2 = ub; best = p; }
    }
    if (exact) this.write(s, best, out, n);
    out.h1 = b1 | 0;
    out.h2 = b2 | 0;
    return out;
  }

  /** Writes image `p` of `s` into `out`'s slots (-1: `s` itself); `collect` gave `n` slots. */
  private write(s: Store, p: number, out: Store, n: number): void {
    if (p < 0) { out.slots.set(s.slots); return; }
    const r = this.renamings[p]!;
    out.slots.fill(0);
    for (let i = 0; i < this.kinds.length; i++) if (this.kinds[i] === K_CONST) out.slots[i] = this.init.slots[i]!;
    for (let q = 0; q < n; q++) {
      const i = this.nzSlot[q]!;
      out.slots[r.slot[i]!] = renameValue(r, this.nzKind[q]!, s.slots[i]!);
    }
  }

  /** Image `p` (an index into the renamings besides the identity) of `s`, written into `out` with its hash (the audit test). */
  imageOf(s: Store, p: number, out: Store): void {
    this.write(s, p, out, this.collect(s));
    [out.h1, out.h2] = hashSlots(out.slots);
  }
}
