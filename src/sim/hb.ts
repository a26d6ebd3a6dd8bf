/**
 * Happens-before of an execution, as vector clocks.
 *
 * Program order plus the order of dependent events (same object, one of them writes,
 * sim/op.ts) is the happens-before relation that the partial-order reduction respects and
 * that reports draw. Clocks are plain arrays, one entry per thread.
 */
import type { Op } from './op.ts';

export type VClock = Int32Array;

export class HbLog {
  /** clock of each event, by event index */
  readonly clocks: VClock[] = [];
  /** the thread of each event */
  readonly tids: number[] = [];
  /** event indices that touched each object, oldest first */
  readonly byObject = new Map<number, number[]>();
  private readonly threadClock: VClock[] = [];
  private readonly lastWrite = new Map<number, VClock>();
  private readonly readsSince = new Map<number, VClock>();

  constructor(private readonly width: number) {}

  /** The clock of thread `tid` now: what its next event will have seen. */
  threadNow(tid: number): VClock {
    let c = this.threadClock[tid];
    if (!c) this.threadClock[tid] = c = new Int32Array(this.width);
    return c;
  }

  /** Records the event of `tid` executing `op`; returns its index. */
  append(tid: number, op: Op): number {
    const vc = Int32Array.from(this.threadNow(tid));
    const idx = this.clocks.length;
    const touch = (o: number) => {
      const w = this.lastWrite.get(o);
      if (w) join(vc, w);
      if (op.write) {
        const r = this.readsSince.get(o);
        if (r) join(vc, r);
      }
      let list = this.byObject.get(o);
      if (!list) this.byObject.set(o, (list = []));
      list.push(idx);
    };
    if (op.obj >= 0) touch(op.obj);
    if (op.also) for (const o of op.also) touch(o);
    vc[tid]++;
    const publish = (o: number) => {
      if (op.write) {
        this.lastWrite.set(o, vc);
        this.readsSince.delete(o);
      } else {
        const r = this.readsSince.get(o);
        if (r) join(r, vc);
        else this.readsSince.set(o, Int32Array.from(vc));
      }
    };
    if (op.obj >= 0) publish(op.obj);
    if (op.also) for (const o of op.also) publish(o);
    this.threadClock[tid] = vc;
    this.clocks.push(vc);
    this.tids.push(tid);
    return idx;
  }

  /** Whether event `i` happens before event `j` (or is it). */
  happensBefore(i: number, j: number): boolean {
    const t = this.tids[i]!;
    return this.clocks[j]![t]! >= this.clocks[i]![t]!;
  }

  /** Whether event `i` happens before the next event of thread `tid`. */
  happensBeforeThread(i: number, tid: number): boolean {
    const t = this.tids[i]!;
    return this.threadNow(tid)[t]! >= this.clocks[i]![t]!;
  }
}

function join(into: VClock, from: VClock): void {
  for (let k = 0; k < into.length; k++) if (from[k]! > into[k]!) into[k] = from[k]!;
}
