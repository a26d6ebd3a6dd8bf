/**
 * Happens-before of an execution, as vector clocks.
 *
 * Program order plus the order of dependent events (same object, one of them writes,
 * sim/op.ts) is the happens-before relation that the partial-order reduction respects and
 * that reports draw. Every clock lives in one flat buffer, `width` entries an event (one a
 * thread): an execution appends tens of events per step of the search, and one typed array
 * per event was a fifth of the garbage collector's work.
 */
import { COUNT_DOWN, COUNT_FREE, COUNT_UP, type Op } from './op.ts';

/** The clocks of a join table before its first add. */
const NO_CLOCKS = new Int32Array(0);

/**
 * One clock per object, the join of a set of events that touched it (the reads since its
 * last write, or the commuting counter steps of one mode since then).
 */
class JoinTable {
  // allocated at the first add: most objects are never read without a write between, and
  // many worlds have no counter steps, so most tables stay empty (a world is built per execution)
  private data = NO_CLOCKS;
  /** whether object o's join holds any event (checked inline on the hot path) */
  readonly has: boolean[] = [];

  constructor(private readonly width: number) {}

  /** Joins the clock of object `o` (which `has`) into `d` at `base`. */
  joinInto(o: number, d: Int32Array, base: number): void {
    const r = this.data;
    for (let k = 0, from = o * this.width; k < this.width; k++) if (r[from + k]! > d[base + k]!) d[base + k] = r[from + k]!;
  }

  /** Adds the clock at `base` of `d` to object `o`'s join. */
  add(o: number, d: Int32Array, base: number): void {
    const w = this.width;
    if ((o + 1) * w > this.data.length) {
      const grown = new Int32Array(Math.max(this.data.length * 2, (o + 1) * w, 16 * w));
      grown.set(this.data);
      this.data = grown;
    }
    const r = this.data;
    const at = o * w;
    if (this.has[o]) {
      for (let k = 0; k < w; k++) if (d[base + k]! > r[at + k]!) r[at + k] = d[base + k]!;
    } else {
      for (let k = 0; k < w; k++) r[at + k] = d[base + k]!;
      this.has[o] = true;
    }
  }
}

export class HbLog {
  /** the thread of each event */
  readonly tids: number[] = [];
  /** event indices that touched each object (by object id), oldest first */
  readonly byObject: (number[] | undefined)[] = [];
  /** clocks of the events, event i at [i * width, (i + 1) * width) */
  private data: Int32Array;
  /** the clock each thread's next event starts from (thread t at [t * width, ...)) */
  private readonly now: Int32Array;
  // by object id: ids are small and dense, arrays beat maps on this hot path
  /** the last event that wrote each object, -1 for none */
  private readonly lastWrite: number[] = [];
  /** the reads of each object since its last write */
  private readonly reads: JoinTable;
  /** the commuting counter steps of each object since its last write, by mode (Op.counter) */
  private readonly ups: JoinTable;
  private readonly downs: JoinTable;
  private readonly frees: JoinTable;

  constructor(private readonly width: number) {
    this.data = new Int32Array(64 * Math.max(1, width));
    this.now = new Int32Array(width * width);
    this.reads = new JoinTable(width);
    this.ups = new JoinTable(width);
    this.downs = new JoinTable(width);
    this.frees = new JoinTable(width);
  }

  /** What thread `thread` had seen of thread `of` at event `event` (its clock entry). */
  at(event: number, of: number): number {
    return this.data[event * this.width + of]!;
  }

  /** The whole clock of `event`, one entry a thread (a copy, for reports). */
  clockOf(event: number): number[] {
    return Array.from(this.data.subarray(event * this.width, (event + 1) * this.width));
  }

  /**
   * Records the event of `tid` executing `op` with counter mode `mode` (Op.counter, 0 for an
   * ordinary read or write); returns its index.
   */
  append(tid: number, op: Op, mode = 0): number {
    const w = this.width;
    const idx = this.tids.length;
    if ((idx + 1) * w > this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const base = idx * w;
    const d = this.data;
    const now = this.now;
    for (let k = 0, t = tid * w; k < w; k++) d[base + k] = now[t + k]!;
    const access = mode !== 0 ? mode : op.write ? WRITE : READ;
    if (op.obj >= 0) this.touch(op.obj, access, base, idx);
    if (op.also) for (const o of op.also) this.touch(o, access, base, idx);
    d[base + tid]!++;
    if (op.obj >= 0) this.publish(op.obj, access, base, idx);
    if (op.also) for (const o of op.also) this.publish(o, access, base, idx);
    for (let k = 0, t = tid * w; k < w; k++) now[t + k] = d[base + k]!;
    this.tids.push(tid);
    return idx;
  }

  /**
   * Joins what an access of `o` must come after into the clock at `base`, and lists the
   * event: the last write always; a write or a counter step also the reads since; every
   * counter step since, except those of its own mode.
   */
  private touch(o: number, access: number, base: number, idx: number): void {
    const d = this.data;
    const w = this.width;
    const lw = this.lastWrite[o] ?? -1;
    if (lw >= 0) for (let k = 0, from = lw * w; k < w; k++) if (d[from + k]! > d[base + k]!) d[base + k] = d[from + k]!;
    if (access !== READ && this.reads.has[o]) this.reads.joinInto(o, d, base);
    if (access !== COUNT_UP && this.ups.has[o]) this.ups.joinInto(o, d, base);
    if (access !== COUNT_DOWN && this.downs.has[o]) this.downs.joinInto(o, d, base);
    if (access !== COUNT_FREE && this.frees.has[o]) this.frees.joinInto(o, d, base);
    const list = this.byObject[o];
    if (list) list.push(idx);
    else this.byObject[o] = [idx];
  }

  private publish(o: number, access: number, base: number, idx: number): void {
    if (access === WRITE) {
      this.lastWrite[o] = idx;
      this.reads.has[o] = false;
      this.ups.has[o] = false;
      this.downs.has[o] = false;
      this.frees.has[o] = false;
    } else (access === READ ? this.reads : access === COUNT_UP ? this.ups : access === COUNT_DOWN ? this.downs : this.frees).add(o, this.data, base);
  }
}

/** Access kinds of HbLog besides the counter modes of op.ts. */
const READ = 0;
const WRITE = 2;
