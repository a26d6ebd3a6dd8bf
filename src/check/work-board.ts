/**
 * Work stealing for the threads of one stateful search (stateful-handover.ts): a board in
 * shared memory where a searcher that ran out of states waits and a busy one hands over
 * the shallowest state on its depth-first stack whose threads it has not all tried. The
 * invariant of the parallel search holds: a state is expanded by one thread, the one
 * holding its stack entry; a handed-over entry leaves the donor's stack (its remaining
 * threads, and the terminal check if none ran, go with it).
 *
 * One slot, so one entry is in flight at a time. `busy` counts the searchers working,
 * an entry in flight included (the donor counts its receiver before it publishes it), so
 * `busy` reaching 0 means every searcher is idle and nothing is left: the search is over.
 */

const BUSY = 0;
const HUNGRY = 1;
const SLOT = 2;
const PREFIX = 3;
const TRIED = 4;
const OFFSET = 5;
const ANY_RAN = 6;
/** bumped on every hand-over and at the end, so that waiters wake */
const WAKE = 7;
const SIZE = 8;
const MAX_PREFIX = 9;
const HEADER = 10;

const EMPTY = 0;
const WRITING = 1;
const FULL = 2;

/** A stack entry handed over: the state, the schedule that reaches it, where its thread loop stands. */
export interface StackEntry {
  readonly slots: Int32Array;
  readonly prefix: readonly number[];
  readonly tried: number;
  readonly offset: number;
  readonly anyRan: boolean;
}

export class WorkBoard {
  private readonly ctl: Int32Array;

  private readonly size: number;
  private readonly maxPrefix: number;

  /** The board in `buffer` (made by `create`, possibly in another thread). */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.ctl = new Int32Array(buffer);
    this.size = this.ctl[SIZE]!;
    this.maxPrefix = this.ctl[MAX_PREFIX]!;
  }

  /** A board for states of `size` slots reached by at most `maxPrefix` transitions, `searchers` of them busy. */
  static create(size: number, maxPrefix: number, searchers: number): WorkBoard {
    const buffer = new SharedArrayBuffer(4 * (HEADER + size + maxPrefix));
    const ctl = new Int32Array(buffer);
    ctl[SIZE] = size;
    ctl[MAX_PREFIX] = maxPrefix;
    ctl[BUSY] = searchers;
    return new WorkBoard(buffer);
  }

  /** Whether a searcher waits for work and the slot is free (cheap: polled every 1,024 transitions). */
  wanted(): boolean {
    return Atomics.load(this.ctl, HUNGRY) > 0 && Atomics.load(this.ctl, SLOT) === EMPTY;
  }

  /**
   * Hands a stack entry over: its state, the first `len` transitions of `schedule` that
   * reach it, how many of its threads were tried from which offset, whether one ran.
   * Returns false (nothing handed over) when no searcher waits, the slot is taken or the
   * schedule does not fit; on true the caller drops the entry's remaining threads from its stack.
   */
  donate(slots: Int32Array, schedule: readonly number[], len: number, tried: number, offset: number, anyRan: boolean): boolean {
    if (len > this.maxPrefix || slots.length !== this.size || Atomics.load(this.ctl, HUNGRY) === 0) return false;
    if (Atomics.compareExchange(this.ctl, SLOT, EMPTY, WRITING) !== EMPTY) return false;
    const c = this.ctl;
    c.set(slots, HEADER);
    for (let i = 0; i < len; i++) c[HEADER + this.size + i] = schedule[i]!;
    c[PREFIX] = len;
    c[TRIED] = tried;
    c[OFFSET] = offset;
    c[ANY_RAN] = anyRan ? 1 : 0;
    Atomics.add(c, BUSY, 1);
    Atomics.store(c, SLOT, FULL);
    this.wake();
    return true;
  }

  /**
   * Called by a searcher whose stack is empty: waits for an entry and returns it, or null
   * when every searcher is idle (the search is over) or `stopped()`. `poll` runs while it
   * waits (every 5 ms: resize barriers, heartbeats, results).
   */
  idle(poll: () => void, stopped: () => boolean): StackEntry | null {
    const c = this.ctl;
    Atomics.add(c, HUNGRY, 1);
    if (Atomics.sub(c, BUSY, 1) === 1) this.wake();
    try {
      for (;;) {
        if (Atomics.compareExchange(c, SLOT, FULL, WRITING) === FULL) {
          const len = c[PREFIX]!;
          const prefix: number[] = new Array(len);
          for (let i = 0; i < len; i++) prefix[i] = c[HEADER + this.size + i]!;
          const e: StackEntry = { slots: c.slice(HEADER, HEADER + this.size), prefix, tried: c[TRIED]!, offset: c[OFFSET]!, anyRan: c[ANY_RAN] === 1 };
          Atomics.store(c, SLOT, EMPTY);
          return e;
        }
        if (Atomics.load(c, BUSY) === 0 || stopped()) {
          this.wake();
          return null;
        }
        poll();
        const w = Atomics.load(c, WAKE);
        if (Atomics.load(c, SLOT) !== FULL && Atomics.load(c, BUSY) !== 0) Atomics.wait(c, WAKE, w, 5);
      }
    } finally {
      Atomics.sub(c, HUNGRY, 1);
    }
  }

  private wake(): void {
    Atomics.add(this.ctl, WAKE, 1);
    Atomics.notify(this.ctl, WAKE);
  }
}
