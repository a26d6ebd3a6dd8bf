/**
 * Transactions found from fine steps (docs/design.md "Transactions from fine steps"): a
 * thread's fine steps run as one transition of the stateful search while Lipton's mover
 * conditions hold, judged step by step from the accesses the store's barriers report.
 *
 * Each access is classified by the slot's declared protection (txn.ts `Protection`):
 *   - both-mover: a slot local to the thread, a slot guarded by a lock the thread holds,
 *     ghost state, a constant (a write of the value it has is a read), a read of a lock
 *     the thread holds;
 *   - right mover: acquiring a free lock, testing a lock another thread may hold;
 *   - left mover: releasing a lock the thread holds;
 *   - non-mover: any other access (an undeclared or shared slot, a queue);
 *   - a counter (`{ counter: c }`, a completion's count, a work queue's length): thread
 *     c's read of a positive count and its decrement are both-movers, everything else a
 *     non-mover. Sound because the others may only increment it: a positive count stays
 *     positive whatever they do, and increments commute with decrements. So a consumer's
 *     wait on the count, once enabled, cannot be disabled and joins the transaction
 *     (the step after a kref put waits on the completion the put may have completed);
 *   - a slot written once (`{ once: true }`, a fence's signalled bit): a read of its
 *     final (non-zero) value is a both-mover, since nothing can change it any more; a
 *     read of 0 and the write are non-movers, a second write is a model bug.
 * A fine step is atomic in the model, so it is classified as a whole: it has right,
 * non- or left movers or none. A transaction is its first fine step (any step: it is
 * atomic already), then further steps of the same thread as long as the sequence keeps
 * the shape R* [N] L* with both-movers anywhere: before the commit point (the first step
 * with a non- or left mover) a step may have right movers; the commit step may have
 * anything; after it, a step may only release locks. So at most one step of a
 * transaction touches state no held lock protects, and nothing after the commit point
 * can block. A wait's condition is read as an access like any other, so a wait on
 * shared state is that one non-mover step (a wait is a right mover only for a condition
 * no other thread can falsify, which the declarations do not say).
 *
 * Declarations are checked, not trusted: a slot guarded by a lock and accessed without
 * it, or a thread's local slot touched by another, is a model bug (`bug`), since a
 * wrong "both-mover" would hide interleavings.
 */
import type { Store, StoreBarrier } from './store.ts';
import { Prot, type ProtectionTable } from './txn.ts';

// module-local copies: a const enum of another module is a property read per access under
// per-file transforms (tsx), and these are read on every access of a search
const GHOST = Prot.GHOST;
const LOCAL = Prot.LOCAL;
const LOCK = Prot.LOCK;
const GUARDED = Prot.GUARDED;
const CONST = Prot.CONST;
const COUNTER = Prot.COUNTER;
const ONCE = Prot.ONCE;

export const STEP_R = 1;
export const STEP_N = 2;
export const STEP_L = 4;

/** Classifies the accesses of one fine step (the barrier the fused step attaches). */
export class StepClassifier implements StoreBarrier {
  private slots: Int32Array = new Int32Array(0);
  private me = 0;
  /** STEP_* bits of the step so far */
  bits = 0;
  /** the first declaration a step broke, or null */
  bug: string | null = null;
  /** locks the step released: a fine step is atomic, so what it does after its unlock op is still under the lock */
  private released: number[] = [];
  /** counters another thread than their consumer read in this step: each must be incremented before the step ends */
  private counterReads: number[] = [];

  /** units the step read and wrote (bit masks over `units`, for persistent sets) */
  reads = 0;
  writes = 0;
  /** (slot, old value) of each write of the step that changed a slot, so that `undo` can take the step back */
  private log = new Int32Array(256);
  private logLen = 0;

  /**
   * `units`, when given, maps each slot to its unit (-1: none, a slot no conflict can
   * involve: local, ghost, constant; -2: unassigned, a model bug when touched).
   */
  constructor(private readonly prot: ProtectionTable, private readonly slotName: (i: number) => string, private readonly units: Int32Array | null = null) {}

  /** by unit, the threads whose lifetime footprint reads it and writes it (masks): an access no other live thread can conflict with is a both-mover */
  private readersOf: Int32Array | null = null;
  private writersOf: Int32Array | null = null;
  /** the other threads that may still run (set by `begin`) */
  private others = 0;

  /** Turns on the both-mover rule by footprint: `lifeReads[t]`, `lifeWrites[t]` bound thread t's accesses (checked by the caller). */
  footprints(lifeReads: readonly number[], lifeWrites: readonly number[], nunits: number): void {
    this.readersOf = new Int32Array(nunits);
    this.writersOf = new Int32Array(nunits);
    for (let t = 0; t < lifeReads.length; t++) {
      for (let u = 0; u < nunits; u++) {
        if ((lifeReads[t]! >>> u) & 1) this.readersOf[u]! |= 1 << t;
        if ((lifeWrites[t]! >>> u) & 1) this.writersOf[u]! |= 1 << t;
      }
    }
  }

  /** Starts classifying a step of thread `t` on `slots`; `alive`: the threads that may still take a step (all by default). */
  begin(t: number, slots: Int32Array, alive = -1): void {
    this.slots = slots;
    this.me = t + 1;
    this.others = alive & ~(1 << t);
    this.bits = 0;
    this.reads = 0;
    this.writes = 0;
    if (this.released.length !== 0) this.released.length = 0;
    if (this.counterReads.length !== 0) this.counterReads.length = 0;
    this.logLen = 0;
  }

  /** Ends the step `begin` started: a counter read by a thread other than its consumer must have been an increment. */
  end(): void {
    if (this.counterReads.length === 0) return;
    this.fail(`reads counter ${this.slotName(this.counterReads[0]!)} without incrementing it: only its consumer may read it`);
    this.counterReads.length = 0;
  }

  /** Restores the slots the step since `begin` changed, newest first (through `s`'s write barrier, so its hash follows; `s.tx` must be detached). */
  undo(s: Store): void {
    const log = this.log;
    for (let j = this.logLen - 2; j >= 0; j -= 2) s.set(log[j]!, log[j + 1]!);
    this.logLen = 0;
  }

  /** Records the access's unit; returns whether no other live thread can conflict with it (a both-mover by footprint). */
  private unit(i: number, write: boolean): boolean {
    const u = this.units![i]!;
    if (u >= 0) {
      if (write) this.writes |= 1 << u;
      else this.reads |= 1 << u;
      if (this.writersOf === null) return false;
      const rivals = write ? this.readersOf![u]! | this.writersOf[u]! : this.writersOf[u]!;
      return (rivals & this.others) === 0;
    }
    if (u === -2) this.fail(`touches ${this.slotName(i)}, which the world gives no unit`);
    return false;
  }

  private holds(lock: number): boolean {
    return this.slots[lock] === this.me || this.released.includes(lock);
  }

  read(i: number): void {
    this.access(i, false);
  }

  waitRead(i: number): void {
    this.access(i, false);
  }

  write(i: number, old: number, v: number): void {
    if (old !== v) {
      if (this.logLen === this.log.length) {
        const grown = new Int32Array(this.log.length * 2);
        grown.set(this.log);
        this.log = grown;
      }
      this.log[this.logLen++] = i;
      this.log[this.logLen++] = old;
    }
    const mine = this.units !== null && this.unit(i, old !== v);
    const kind = this.prot.kind[i];
    if (kind === LOCK) {
      // a write that changes nothing (a release path clearing a slot the unlock op cleared) is a test of the lock
      if (old === v) { if (!mine) this.access(i, false); }
      else if (old === 0 && v === this.me) { if (!mine) this.bits |= STEP_R; }
      else if (old === this.me && v === 0) { if (!mine) this.bits |= STEP_L; this.released.push(i); }
      else this.fail(`writes lock ${this.slotName(i)} from ${old} to ${v}: neither an acquire of a free lock nor a release by its owner`);
      return;
    }
    if (mine || (old === v && kind === CONST)) return;
    if (kind === COUNTER) this.counterWrite(i, old, v);
    else if (kind === ONCE) {
      if (old === 0) this.bits |= STEP_N;
      else if (old !== v) this.fail(`sets ${this.slotName(i)} from ${old} to ${v}: the layout declares it written once`);
    } else this.access(i, true);
  }

  private counterWrite(i: number, old: number, v: number): void {
    if (this.prot.arg[i]! + 1 === this.me) {
      if (old > 0 && v === old - 1) return;
      // its own increment (the revoke's kref put completing its own wait) and a reset do not commute with the others' increments
      if (v === 0 || v === old || v === old + 1) { this.bits |= STEP_N; return; }
      this.fail(`sets counter ${this.slotName(i)} from ${old} to ${v}: its consumer may only increment it, decrement it or reset it to 0`);
      return;
    }
    if (v !== old + 1) {
      this.fail(`sets counter ${this.slotName(i)} from ${old} to ${v}: a thread other than its consumer (thread ${this.prot.arg[i]}) may only increment it`);
      return;
    }
    const r = this.counterReads.indexOf(i);
    if (r >= 0) this.counterReads.splice(r, 1);
    this.bits |= STEP_N;
  }

  private access(i: number, write: boolean): void {
    if (this.units !== null && !write && this.unit(i, false)) return;
    switch (this.prot.kind[i]) {
      case GHOST: return;
      case CONST:
        if (write) this.fail(`changes ${this.slotName(i)}, which the layout declares constant`);
        return;
      case LOCAL:
        if (this.prot.arg[i]! + 1 !== this.me) this.fail(`${write ? 'writes' : 'reads'} ${this.slotName(i)}, local to thread ${this.prot.arg[i]}`);
        return;
      case LOCK:
        if (!this.holds(i)) this.bits |= STEP_R;
        return;
      case ONCE:
        if (this.slots[i] === 0) this.bits |= STEP_N;
        return;
      case COUNTER:
        if (this.prot.arg[i]! + 1 === this.me) {
          if (this.slots[i]! > 0) return;
        } else this.counterReads.push(i);
        this.bits |= STEP_N;
        return;
      case GUARDED:
        if (!this.holds(this.prot.arg[i]!)) this.fail(`${write ? 'writes' : 'reads'} ${this.slotName(i)} without holding ${this.slotName(this.prot.arg[i]!)}, which the layout says guards it`);
        return;
      default:
        this.bits |= STEP_N;
    }
  }

  private fail(msg: string): void {
    if (this.bug === null) this.bug = msg;
  }
}

/** Whether a step with `bits` may follow a transaction whose steps so far are `committed` (a non- or left mover ran). */
export function mayExtend(committed: boolean, bits: number): boolean {
  return committed ? (bits & (STEP_R | STEP_N)) === 0 : true;
}

/** Whether a transaction is committed after a step with `bits`. */
export function commits(bits: number): boolean {
  return (bits & (STEP_N | STEP_L)) !== 0;
}

/**
 * Thread `t`'s transaction on `s` (`alive`: the threads that may still step, for the
 * classifier's footprint rule): its first fine step (`step` on `s`, which must be
 * enabled), then each next step, kept while `mayExtend` holds. Every step runs on `s`
 * itself; a step that may not extend the transaction is taken back from the
 * classifier's undo log (its writes, newest first), so no step copies the state.
 * `step(store)` runs one fine step of `t` on `store` and returns whether it was enabled;
 * `blocksNext()` may say, without running it, that the next step takes a lock (so it
 * cannot follow a commit: ending there is always allowed, a shorter transaction);
 * `keep()` / `drop()` tell the caller whether the step just run stays (its reports are
 * then the transaction's) or is undone. Returns the number of fine steps kept. Throws (a
 * model bug) when a declaration is broken or a transaction does not end within `limit`
 * steps (a loop that never blocks).
 */
export function fusedStep(
  s: Store, t: number, cls: StepClassifier, alive: number, step: (store: Store) => boolean, keep: () => void, drop: () => void,
  blocksNext: () => boolean = () => false, limit = 10_000,
): number {
  cls.begin(t, s.slots, alive);
  s.tx = cls;
  try { step(s); } finally { s.tx = null; }
  cls.end();
  keep();
  let committed = commits(cls.bits);
  for (let n = 1; n < limit; n++) {
    if (cls.bug !== null) throw new Error(`model bug: thread ${t} ${cls.bug}`);
    // a committed transaction cannot take a lock: not worth running the step to see it
    if (committed && blocksNext()) return n;
    cls.begin(t, s.slots, alive);
    s.tx = cls;
    let ran: boolean;
    try { ran = step(s); } finally { s.tx = null; }
    cls.end();
    if (!ran || !mayExtend(committed, cls.bits)) {
      if (ran && cls.bug !== null) throw new Error(`model bug: thread ${t} ${cls.bug}`);
      cls.undo(s);
      drop();
      return n;
    }
    keep();
    committed ||= commits(cls.bits);
  }
  throw new Error(`model bug: thread ${t} runs ${limit} steps without blocking or touching shared state: a loop that never yields to another thread`);
}
