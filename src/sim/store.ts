/**
 * The registered state store: every piece of a data world's state is an int32 slot.
 *
 * A model registers its fields once (a `StoreLayout`), then every state is one
 * `Int32Array` of that length: copying a state is `TypedArray.set`, comparing two is a
 * loop over ints, and a 64-bit hash is kept up to date by the write barrier `set()`.
 * The hash is a sum (XOR) of a per-slot term mixing the slot index and its value in two
 * independent 32-bit lanes (Zobrist hashing computed instead of tabled), so a write
 * costs two mixes and the full hash of any contents equals the incremental one: that
 * equality is what `rehash()` lets tests check.
 *
 * Objects are allocated from per-owner pools (`StorePool`): an importer's fences come
 * from the importer's own pool, lowest free id first, so an object's id depends on its
 * owner's program order only, never on how other threads were interleaved.
 *
 * Each slot may carry a `Protection` (txn.ts): while a `TxnMonitor` is attached (`tx`),
 * every read and write is reported to it, so that Lipton's conditions are checked on the
 * transaction as it runs.
 */
import { compileProtection, type ProtectedRange, type Protection, type ProtectionTable } from './txn.ts';

/**
 * What watches a step's accesses through the barriers: Lipton's checks of an author's
 * transaction (txn.ts TxnMonitor) or the classification of a fine step (fusion.ts).
 */
export interface StoreBarrier {
  read(i: number): void;
  /** called before the store changes */
  write(i: number, old: number, v: number): void;
  waitRead(i: number): void;
}

/**
 * Keeps hashes derived from a state up to date on every write: the fingerprints of the
 * state's images under a symmetry (check/frame-symmetry.ts), held in the store's `lanes`
 * so that a copy carries them.
 */
export interface StoreLanes {
  /** slot `i` of `s` changed from `old` to `v` (already stored); `d1`, `d2` moved the store's own hash lanes */
  changed(s: Store, i: number, old: number, v: number, d1: number, d2: number): void;
}

/** A named run of slots; `base` is the index of its first slot. */
export interface StoreField {
  readonly name: string;
  readonly base: number;
  readonly len: number;
}

/**
 * A pool of `cap` objects of `width` slots each, plus one slot holding the bitmap of
 * objects in use (cap <= 31). Ids are 0..cap-1, local to the pool.
 */
export interface StorePool {
  readonly name: string;
  /** the bitmap slot */
  readonly used: number;
  /** slot of object 0's first field */
  readonly base: number;
  readonly cap: number;
  readonly width: number;
}

/** Registers fields and pools; `size` is the state length once registration is done. */
export class StoreLayout {
  readonly fields: StoreField[] = [];
  readonly locks: number[] = [];
  readonly protections: ProtectedRange[] = [];
  size = 0;

  /** Reserves `len` slots named `name`, protected by `p` if given; returns the index of the first. */
  field(name: string, len = 1, p?: Protection): number {
    const base = this.size;
    this.fields.push({ name, base, len });
    this.size += len;
    if (p) this.protect(base, len, p);
    return base;
  }

  /**
   * Reserves a lock: one slot holding its owner's thread index + 1, 0 when free. Writing
   * it is an acquire or a release for the transaction checks; reading it while another
   * thread may hold it is the acquire's guard.
   */
  lock(name: string): number {
    const l = this.field(name);
    this.locks.push(l);
    return l;
  }

  /** Declares how slots base..base+len-1 are protected (the last declaration of a slot wins). */
  protect(base: number, len: number, p: Protection): void {
    this.protections.push({ base, len, p });
  }

  /** Reserves a pool of `cap` objects of `width` slots (a bitmap slot, then the objects), all protected by `p`. */
  pool(name: string, cap: number, width: number, p?: Protection): StorePool {
    if (cap < 0 || cap > 31) throw new Error(`pool ${name}: capacity ${cap} is outside 0..31`);
    const used = this.field(`${name}.used`, 1, p);
    const base = this.field(`${name}[]`, cap * width, p);
    return { name, used, base, cap, width };
  }

  /** The per-slot protection table the transaction monitor reads (compiled once registration is done). */
  protection(): ProtectionTable {
    return compileProtection(this.size, this.locks, this.protections, (i) => this.slotName(i));
  }

  /** The field a slot belongs to and the offset in it, for dumps and model-bug messages. */
  slotName(i: number): string {
    for (const f of this.fields) if (i >= f.base && i < f.base + f.len) return f.len === 1 ? f.name : `${f.name}[${i - f.base}]`;
    return `slot ${i}`;
  }
}

/** Lane 1 term of (slot, value): a multiply-xorshift mix (murmur3's finaliser). */
export function slotHash1(i: number, v: number): number {
  let h = Math.imul(i + 1, 0x9e3779b1) ^ v;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** Lane 2 term, with other constants so that the lanes are independent. */
export function slotHash2(i: number, v: number): number {
  let h = Math.imul(i + 1, 0x7feb352d) ^ Math.imul(v, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h = Math.imul(h ^ (h >>> 16), 0x165667b1);
  return (h ^ (h >>> 15)) | 0;
}

/** Full hash of `slots` in the two lanes (what the write barrier maintains). */
export function hashSlots(slots: Int32Array): [number, number] {
  let a = 0;
  let b = 0;
  for (let i = 0; i < slots.length; i++) {
    const v = slots[i]!;
    a ^= slotHash1(i, v);
    b ^= slotHash2(i, v);
  }
  return [a, b];
}

/**
 * One state: the slots and their hash. Writes go through `set()` (the write barrier);
 * a write to `slots` directly leaves the hash stale, which `rehash()` detects in tests.
 */
export class Store {
  readonly slots: Int32Array;
  /** hash lanes of the current contents */
  h1: number;
  h2: number;

  constructor(readonly layout: StoreLayout) {
    this.slots = new Int32Array(layout.size);
    [this.h1, this.h2] = hashSlots(this.slots);
  }

  /** checks the running transaction's accesses when attached (the search attaches it around a step) */
  tx: StoreBarrier | null = null;

  /** derived hashes and the keeper that updates them on every write (a symmetry's image fingerprints), or null */
  lanes: Int32Array | null = null;
  keeper: StoreLanes | null = null;

  /** The read barrier: reports the read to the transaction monitor, if any. */
  get(i: number): number {
    if (this.tx !== null) this.tx.read(i);
    return this.slots[i]!;
  }

  /**
   * Reads slot `i` as the enabling condition of a wait (a right mover: the condition,
   * once true, stays true until this thread acts). Only legal before the commit point.
   */
  wait(i: number): number {
    if (this.tx !== null) this.tx.waitRead(i);
    return this.slots[i]!;
  }

  /** The write barrier: stores `v` at `i` and moves both hash lanes by XOR. */
  set(i: number, v: number): void {
    const old = this.slots[i]!;
    if (this.tx !== null) this.tx.write(i, old, v);
    if (old === v) return;
    this.slots[i] = v;
    const d1 = slotHash1(i, old) ^ slotHash1(i, v);
    const d2 = slotHash2(i, old) ^ slotHash2(i, v);
    this.h1 ^= d1;
    this.h2 ^= d2;
    if (this.keeper !== null) this.keeper.changed(this, i, old, v, d1, d2);
  }

  /** Copies another state of the same layout, hash included (O(size), one memcpy). */
  copyFrom(o: Store): void {
    this.slots.set(o.slots);
    this.h1 = o.h1;
    this.h2 = o.h2;
    if (this.lanes !== null && o.lanes !== null) this.lanes.set(o.lanes);
  }

  /** Whether the incremental hash equals the full hash of the contents (tests, model-bug checks). */
  rehash(): boolean {
    const [a, b] = hashSlots(this.slots);
    return a === this.h1 && b === this.h2;
  }

  /** Whether two states have the same contents. */
  equals(o: Store): boolean {
    if (this.h1 !== o.h1 || this.h2 !== o.h2) return false;
    const a = this.slots;
    const b = o.slots;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /**
   * Allocates the lowest free object of `p` and zeroes its slots. Returns its id, or -1
   * when the pool is full (the model's capacity is too small: a model bug, not a state).
   */
  alloc(p: StorePool): number {
    const used = this.get(p.used);
    for (let id = 0; id < p.cap; id++) {
      if (used & (1 << id)) continue;
      this.set(p.used, used | (1 << id));
      const base = p.base + id * p.width;
      for (let j = 0; j < p.width; j++) this.set(base + j, 0);
      return id;
    }
    return -1;
  }

  /** Frees object `id` of `p` and zeroes its slots, so that a freed object leaves no trace in the key. */
  free(p: StorePool, id: number): void {
    this.set(p.used, this.get(p.used) & ~(1 << id));
    const base = p.base + id * p.width;
    for (let j = 0; j < p.width; j++) this.set(base + j, 0);
  }

  /** Index of field `f` of object `id` of `p`. */
  static at(p: StorePool, id: number, f: number): number {
    return p.base + id * p.width + f;
  }

  /** The contents as `name=value` pairs of the non-zero slots (for messages and tests). */
  dump(): string {
    const out: string[] = [];
    for (let i = 0; i < this.slots.length; i++) if (this.slots[i] !== 0) out.push(`${this.layout.slotName(i)}=${this.slots[i]}`);
    return out.join(' ');
  }
}
