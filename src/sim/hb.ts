/**
 * Happens-before of an execution, as vector clocks.
 *
 * Program order plus the order of dependent events (same object, one of them writes,
 * sim/op.ts) is the happens-before relation that the partial-order reduction respects and
 * that reports draw. Every clock lives in one flat buffer, `width` entries an event (one a
 * thread): an execution appends tens of events per step of the search, and one typed array
 * per event was a fifth of the garbage collector's work.
 */
import type { Op } from './op.ts';

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
  /** the join of the reads of each object since its last write (object o at [o * width, ...)) */
  private reads: Int32Array;
  private readonly hasReads: boolean[] = [];

  constructor(private readonly width: number) {
    this.data = new Int32Array(64 * Math.max(1, width));
    this.now = new Int32Array(width * width);
    this.reads = new Int32Array(16 * Math.max(1, width));
  }

  /** What thread `thread` had seen of thread `of` at event `event` (its clock entry). */
  at(event: number, of: number): number {
    return this.data[event * this.width + of]!;
  }

  /** The whole clock of `event`, one entry a thread (a copy, for reports). */
  clockOf(event: number): number[] {
    return Array.from(this.data.subarray(event * this.width, (event + 1) * this.width));
  }

  /** Records the event of `tid` executing `op`; returns its index. */
  append(tid: number, op: Op): number {
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
    if (op.obj >= 0) this.touch(op.obj, op.write, base, idx);
    if (op.also) for (const o of op.also) this.touch(o, op.write, base, idx);
    d[base + tid]!++;
    if (op.obj >= 0) this.publish(op.obj, op.write, base, idx);
    if (op.also) for (const o of op.also) this.publish(o, op.write, base, idx);
    for (let k = 0, t = tid * w; k < w; k++) now[t + k] = d[base + k]!;
    this.tids.push(tid);
    return idx;
  }

  /** Joins what the access of `o` must come after into the clock at `base`, and lists the event. */
  private touch(o: number, write: boolean, base: number, idx: number): void {
    const d = this.data;
    const w = this.width;
    const lw = this.lastWrite[o] ?? -1;
    if (lw >= 0) for (let k = 0, from = lw * w; k < w; k++) if (d[from + k]! > d[base + k]!) d[base + k] = d[from + k]!;
    if (write && this.hasReads[o]) {
      const r = this.reads;
      for (let k = 0, from = o * w; k < w; k++) if (r[from + k]! > d[base + k]!) d[base + k] = r[from + k]!;
    }
    const list = this.byObject[o];
    if (list) list.push(idx);
    else this.byObject[o] = [idx];
  }

  private publish(o: number, write: boolean, base: number, idx: number): void {
    if (write) {
      this.lastWrite[o] = idx;
      this.hasReads[o] = false;
      return;
    }
    const w = this.width;
    if ((o + 1) * w > this.reads.length) {
      const grown = new Int32Array(Math.max(this.reads.length * 2, (o + 1) * w));
      grown.set(this.reads);
      this.reads = grown;
    }
    const r = this.reads;
    const d = this.data;
    const at = o * w;
    if (this.hasReads[o]) {
      for (let k = 0; k < w; k++) if (d[base + k]! > r[at + k]!) r[at + k] = d[base + k]!;
    } else {
      for (let k = 0; k < w; k++) r[at + k] = d[base + k]!;
      this.hasReads[o] = true;
    }
  }
}
