/**
 * A shared fingerprint table that grows (the helpers of one stateful search,
 * stateful-handover.ts). A `SharedFingerprintSet` has a fixed capacity: others probe it
 * while one inserts. So the threads stop together to grow it. A thread whose insert finds
 * the table full asks for a resize (an odd generation in `sync`) and waits at the barrier;
 * every other thread joins the barrier at its next poll (the searches poll every 1,024
 * transitions) or its next full insert. The leader (the thread that started the helpers)
 * waits until every helper still searching has arrived, copies the fingerprints into a
 * table twice the size, posts it to each helper's port and opens the barrier (the next
 * even generation); each helper takes the new table from its port. Nothing is inserted
 * while the table is copied, so no state is lost or stored twice.
 *
 * `sync` holds two int32: the generation (odd: a resize is asked for) and the number of
 * helpers at the barrier.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Store } from '../sim/store.ts';
import { SharedFingerprintSet, type VisitedSet } from './visited.ts';

const GEN = 0;
const ARRIVED = 1;

/** How a thread takes part in a resize: the leader makes the new table, a helper receives it. */
export type ResizeSide = (old: SharedFingerprintSet, sync: Int32Array) => SharedFingerprintSet;

export class GrowingSharedSet implements VisitedSet {
  private readonly sync: Int32Array;

  constructor(private table: SharedFingerprintSet, sync: SharedArrayBuffer, private readonly side: ResizeSide) {
    this.sync = new Int32Array(sync);
  }

  add(s: Store): boolean {
    for (;;) {
      const r = this.table.insert(s.h1 | 0, s.h2 | 0);
      if (r >= 0) return r === 1;
      const g = Atomics.load(this.sync, GEN);
      if ((g & 1) === 0) Atomics.compareExchange(this.sync, GEN, g, g + 1);
      this.poll();
    }
  }

  /** Joins a resize some thread asked for (call it between transactions). */
  poll(): void {
    if ((Atomics.load(this.sync, GEN) & 1) !== 0) this.table = this.side(this.table, this.sync);
  }

  get size(): number {
    return this.table.size;
  }

  get bytes(): number {
    return this.table.bytes;
  }

  /** never: a full table grows */
  readonly overflowed = false;

  omissionProbability(): number {
    return this.table.omissionProbability();
  }
}

/** The leader's side: waits for the `active()` helpers (`watch` throws when one died), doubles the table, posts it on `ports`. */
export function leaderSide(ports: readonly MessagePort[], active: () => number, watch: () => void): ResizeSide {
  return (old, sync) => {
    const g = Atomics.load(sync, GEN);
    for (;;) {
      const a = Atomics.load(sync, ARRIVED);
      if (a >= active()) break;
      // a helper that ends its search posts its result instead of arriving: `active` drops
      watch();
      Atomics.wait(sync, ARRIVED, a, 20);
    }
    const next = SharedFingerprintSet.create(2 * old.room);
    old.forEachPair((a, b) => next.insert(a, b));
    for (const p of ports) p.postMessage(next.buffer);
    Atomics.store(sync, ARRIVED, 0);
    Atomics.store(sync, GEN, g + 1);
    Atomics.notify(sync, GEN);
    return next;
  };
}

/** A helper's side: arrives, waits for the barrier to open (calling `beat`, its sign of life, every 20 ms), takes the table the leader posted on `port`. */
export function helperSide(port: MessagePort, beat: () => void): ResizeSide {
  return (_old, sync) => {
    const g = Atomics.load(sync, GEN);
    Atomics.add(sync, ARRIVED, 1);
    Atomics.notify(sync, ARRIVED);
    while (Atomics.load(sync, GEN) === g) {
      beat();
      Atomics.wait(sync, GEN, g, 20);
    }
    const m = receiveMessageOnPort(port);
    if (!m) throw new Error('internal: the resized visited table was not posted before the barrier opened');
    return SharedFingerprintSet.attach(m.message as SharedArrayBuffer);
  };
}
