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
  /** event indices that touched each object (by object id), oldest first */
  readonly byObject: (number[] | undefined)[] = [];
  private readonly threadClock: VClock[] = [];
  // by object id: ids are small and dense, arrays beat maps on this hot path
  private readonly lastWrite: (VClock | undefined)[] = [];
  private readonly readsSince: (VClock | undefined)[] = [];

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
    if (op.obj >= 0) this.touch(op.obj, op.write, vc, idx);
    if (op.also) for (const o of op.also) this.touch(o, op.write, vc, idx);
    vc[tid]++;
    if (op.obj >= 0) this.publish(op.obj, op.write, vc);
    if (op.also) for (const o of op.also) this.publish(o, op.write, vc);
    this.threadClock[tid] = vc;
    this.clocks.push(vc);
    this.tids.push(tid);
    return idx;
  }

  /** Joins what the access of `o` must come after into `vc`, and lists the event. */
  private touch(o: number, write: boolean, vc: VClock, idx: number): void {
    const w = this.lastWrite[o];
    if (w) join(vc, w);
    if (write) {
      const r = this.readsSince[o];
      if (r) join(vc, r);
    }
    const list = this.byObject[o];
    if (list) list.push(idx);
    else this.byObject[o] = [idx];
  }

  private publish(o: number, write: boolean, vc: VClock): void {
    if (write) {
      this.lastWrite[o] = vc;
      this.readsSince[o] = undefined;
    } else {
      const r = this.readsSince[o];
      if (r) join(r, vc);
      else this.readsSince[o] = Int32Array.from(vc);
    }
  }
}

function join(into: VClock, from: VClock): void {
  for (let k = 0; k < into.length; k++) if (from[k]! > into[k]!) into[k] = from[k]!;
}
