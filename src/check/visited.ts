/**
 * Visited sets of a stateful search: 64-bit fingerprints (the default) or whole states
 * (`exact`, used by the tests to show that fingerprinting lost nothing).
 *
 * Both are open-addressed tables over typed arrays with linear probing, grown by doubling
 * at 5/8 load. The fingerprint is the store's two hash lanes; a state whose fingerprint
 * equals an earlier state's is taken as visited and its subtree is omitted, with the
 * probability `omissionProbability()` reports (n^2 / 2^65 for n states, TLC's estimate).
 */
import { slotHash1, slotHash2, type Store } from '../sim/store.ts';

export interface VisitedSet {
  /** Inserts the state (by its current hash lanes); returns whether it was new. */
  add(s: Store): boolean;
  readonly size: number;
  /** bytes of the tables (what grows with the search) */
  readonly bytes: number;
  /** probability that some state was taken for another (0 for exact sets) */
  omissionProbability(): number;
  /** a fixed-size table refused a state (the search that used it is incomplete) */
  readonly overflowed?: boolean;
}

const MIN_CAP = 1 << 10;

function capFor(expected: number): number {
  let c = MIN_CAP;
  while (c * 5 < expected * 8) c *= 2;
  return c;
}

/** 64-bit fingerprints, 8 bytes a slot: two `Uint32Array` lanes, (0, 0) marks a free slot. */
export class FingerprintSet implements VisitedSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  size = 0;

  constructor(expected = 0) {
    const cap = capFor(expected);
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength;
  }

  add(s: Store): boolean {
    return this.addPair(s.h1 >>> 0, s.h2 >>> 0);
  }

  /** Inserts the fingerprint (a, b); returns whether it was new. */
  addPair(a: number, b: number): boolean {
    if (a === 0 && b === 0) b = 1;
    if ((this.size + 1) * 8 > (this.mask + 1) * 5) this.grow();
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
    for (;;) {
      const x = this.hi[i]!;
      const y = this.lo[i]!;
      if (x === 0 && y === 0) {
        this.hi[i] = a;
        this.lo[i] = b;
        this.size++;
        return true;
      }
      if (x === a && y === b) return false;
      i = (i + 1) & this.mask;
    }
  }

  omissionProbability(): number {
    return (this.size * this.size) / 2 ** 65;
  }

  /** Calls `f` with every stored fingerprint (to move a search's table into shared memory). */
  forEachPair(f: (a: number, b: number) => void): void {
    for (let i = 0; i < this.hi.length; i++) if (this.hi[i] !== 0 || this.lo[i] !== 0) f(this.hi[i]!, this.lo[i]!);
  }

  private grow(): void {
    const hi = this.hi;
    const lo = this.lo;
    const cap = (this.mask + 1) * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < hi.length; i++) if (hi[i] !== 0 || lo[i] !== 0) this.addPair(hi[i]!, lo[i]!);
  }
}

/**
 * Whole states: an arena of states one after another and an index of arena positions
 * keyed by the hash. A state is new unless an equal one (slot by slot) is stored.
 */
export class ExactStateSet implements VisitedSet {
  private arena: Int32Array;
  private index: Int32Array;
  private mask: number;
  size = 0;

  constructor(private readonly width: number, expected = 0) {
    const cap = capFor(expected);
    this.index = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.arena = new Int32Array(Math.max(1, width) * Math.max(64, expected));
  }

  get bytes(): number {
    return this.arena.byteLength + this.index.byteLength;
  }

  add(s: Store): boolean {
    if ((this.size + 1) * 8 > (this.mask + 1) * 5) this.grow();
    const w = this.width;
    const slots = s.slots;
    let i = (s.h1 ^ Math.imul(s.h2, 0x9e3779b1)) & this.mask;
    for (;;) {
      const at = this.index[i]!;
      if (at < 0) break;
      if (this.same(at, slots)) return false;
      i = (i + 1) & this.mask;
    }
    if ((this.size + 1) * w > this.arena.length) {
      const bigger = new Int32Array(this.arena.length * 2);
      bigger.set(this.arena);
      this.arena = bigger;
    }
    this.arena.set(slots, this.size * w);
    this.index[i] = this.size++;
    return true;
  }

  omissionProbability(): number {
    return 0;
  }

  private same(at: number, slots: Int32Array): boolean {
    const base = at * this.width;
    for (let j = 0; j < this.width; j++) if (this.arena[base + j] !== slots[j]) return false;
    return true;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    this.index = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    const w = this.width;
    for (let n = 0; n < this.size; n++) {
      // rehash from the stored contents: the same lanes the store keeps
      let a = 0;
      let b = 0;
      for (let j = 0; j < w; j++) {
        const v = this.arena[n * w + j]!;
        a ^= slotHash1(j, v);
        b ^= slotHash2(j, v);
      }
      let i = (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
      while (this.index[i]! >= 0) i = (i + 1) & this.mask;
      this.index[i] = n;
    }
  }
}

/** Header ints of a shared table: the number of fingerprints stored, and the overflow flag. */
const SHARED_HEADER = 2;

/**
 * 64-bit fingerprints in a `SharedArrayBuffer` that several worker threads insert into at
 * once, lock-free (`check --workers` of a stateful search, issue 18 point 7).
 *
 * A slot is two int32 (hi, lo); hi = 0 marks it free. A thread claims a free slot with a
 * compare-exchange of hi and then stores lo; a reader that finds its hi with lo still 0
 * spins the few instructions until the store lands, so both lanes are always compared.
 * To keep both markers free, a 0 lane is stored as 1 (two fingerprints in 2^32 share a
 * lane value with another: the omission estimate is unchanged to its first digits). The
 * capacity is fixed when the table is made (a table cannot grow while others probe it):
 * past 7/8 load an insert is refused and taken as visited, and `overflowed` makes the
 * search that used it incomplete.
 */
export class SharedFingerprintSet implements VisitedSet {
  readonly buffer: SharedArrayBuffer;
  private readonly t: Int32Array;
  private readonly mask: number;
  private readonly limit: number;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.t = new Int32Array(buffer);
    const cap = (this.t.length - SHARED_HEADER) >> 1;
    this.mask = cap - 1;
    this.limit = cap - (cap >> 3);
  }

  /** A zeroed table with room for `expected` states below 7/8 load (at least 1,024 slots). */
  static create(expected = 0): SharedFingerprintSet {
    let cap = MIN_CAP;
    while (cap - (cap >> 3) < expected) cap *= 2;
    return new SharedFingerprintSet(new SharedArrayBuffer(4 * (SHARED_HEADER + 2 * cap)));
  }

  /** The table another thread made (`buffer` of its `create`). */
  static attach(buffer: SharedArrayBuffer): SharedFingerprintSet {
    return new SharedFingerprintSet(buffer);
  }

  get size(): number {
    return Atomics.load(this.t, 0);
  }

  get bytes(): number {
    return this.buffer.byteLength;
  }

  /** an insert was refused because the table was full: some states were not explored */
  get overflowed(): boolean {
    return Atomics.load(this.t, 1) !== 0;
  }

  add(s: Store): boolean {
    return this.addPair(s.h1 | 0, s.h2 | 0);
  }

  /** Inserts the fingerprint (a, b) (int32 lanes); returns whether it was new (false, and `overflowed`, when the table is full). */
  addPair(a: number, b: number): boolean {
    const r = this.insert(a, b);
    if (r < 0) Atomics.store(this.t, 1, 1);
    return r === 1;
  }

  /** Inserts (a, b): 1 when it was new, 0 when it was stored, -1 when it is new but the table is full (nothing stored). */
  insert(a: number, b: number): number {
    const t = this.t;
    if (a === 0) a = 1;
    if (b === 0) b = 1;
    let i = ((a ^ Math.imul(b, 0x9e3779b1)) & this.mask);
    for (;;) {
      const at = SHARED_HEADER + 2 * i;
      let x = Atomics.load(t, at);
      if (x === 0) {
        if (Atomics.load(t, 0) >= this.limit) return -1;
        x = Atomics.compareExchange(t, at, 0, a);
        if (x === 0) {
          Atomics.store(t, at + 1, b);
          Atomics.add(t, 0, 1);
          return 1;
        }
      }
      if (x === a) {
        let y = Atomics.load(t, at + 1);
        while (y === 0) y = Atomics.load(t, at + 1);
        if (y === b) return 0;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** states the table takes before it is full */
  get room(): number {
    return this.limit;
  }

  /** Calls `f` with every stored fingerprint; only while no thread inserts (a resize, growing-visited.ts). */
  forEachPair(f: (a: number, b: number) => void): void {
    const t = this.t;
    for (let at = SHARED_HEADER; at < t.length; at += 2) if (t[at] !== 0) f(t[at]!, t[at + 1]!);
  }

  omissionProbability(): number {
    const n = this.size;
    return (n * n) / 2 ** 65;
  }
}
