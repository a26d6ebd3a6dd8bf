/**
 * Lipton's mover conditions, checked while a transaction runs (docs/design.md
 * "Transactions and Lipton's conditions").
 *
 * A model declares once, in its `StoreLayout`, how each slot is protected (`Protection`):
 * by a lock (a lock slot holding the owner's thread index + 1), local to one thread,
 * a shared atomic object (a non-mover), a queue with one consumer, or ghost state of the
 * oracle. The store's barriers (`get`, `set`, `wait`) report every access of a
 * transaction to a `TxnMonitor`, which classifies it as a right mover (lock acquire,
 * declared wait, a queue's consumer fetching), a both-mover (a slot whose lock the
 * thread holds, a local slot, ghost state), the non-mover (any other access) or a left
 * mover (lock release, a producer pushing to a queue), and records the first breach:
 *
 * (a) accesses to more than one non-mover unit (repeated accesses to the same unit are
 *     one atomic access: a kref decrement and the completion it fires);
 * (b) a right mover after the commit point (the first non-mover access or left mover):
 *     a wait or a lock acquire there could block after the transaction has become
 *     visible, so it must start a new transaction;
 * (c) a lock slot written other than as an acquire of a free lock or a release by its
 *     owner, or a slot local to one thread touched by another (a wrong declaration).
 *
 * Not checked: a non-mover after a left mover (R L N instead of R N L); see design.md.
 */

/** How a slot is protected; registered with `StoreLayout.protect` (or `field(..., p)`). */
export type Protection =
  /** guarded by the lock whose owner slot is `lock`; `unit` names the atomic object an unguarded access belongs to */
  | { readonly lock: number; readonly unit?: string }
  /** only thread `local` touches it (program points, locals, registers) */
  | { readonly local: number }
  /** an atomic object no lock protects: every access is the non-mover */
  | { readonly shared: string }
  /** a queue whose only consumer is thread `queue`: its fetches are right movers, others' pushes left movers */
  | { readonly queue: number; readonly unit?: string }
  /**
   * a count only thread `counter` tests and consumes (a completion's `done`, a work
   * queue's length): others may only increment it, the consumer only read it, decrement
   * it while positive or reset it to 0; so the consumer's read of a positive count and its
   * decrement commute with everything the others can do (fusion.ts)
   */
  | { readonly counter: number }
  /**
   * written once, from 0 to its final value (a fence's signalled bit: fences are never
   * freed in the data world): a read of the final value is a both-mover (fusion.ts)
   */
  | { readonly once: true }
  /** bookkeeping of the oracle (revoke tracker flags): not kernel memory, not checked */
  | { readonly ghost: true }
  /** set up before the first step and never changed (a buffer's ops, a list's capacity): reads are both-movers, a write that changes it is a model bug */
  | { readonly constant: true };

/** Slot kinds in the compiled table; UNDECLARED slots are shared, one unit each. */
export const enum Prot { UNDECLARED, LOCK, GUARDED, LOCAL, SHARED, QUEUE, GHOST, CONST, COUNTER, ONCE }

/** Per-slot protection compiled from a layout: kind, its argument (lock slot, thread) and unit id. */
export interface ProtectionTable {
  readonly kind: Int8Array;
  readonly arg: Int32Array;
  readonly unit: Int32Array;
  /** unit id -> name, for messages */
  readonly unitNames: readonly string[];
}

/**
 * Checks one transaction at a time. `begin` before the model's step, `breach` after it.
 * The monitor only reads the store's slots (to see who holds a lock): it never writes.
 */
export class TxnMonitor {
  private slots: Int32Array = new Int32Array(0);
  private thread = -1;
  private committed = false;
  private nonMover = -1;
  /** first breach of the current transaction, or null */
  breach: string | null = null;

  constructor(private readonly prot: ProtectionTable, private readonly slotName: (i: number) => string) {}

  /** Starts checking thread `t`'s transaction over `slots`. */
  begin(t: number, slots: Int32Array): void {
    this.slots = slots;
    this.thread = t;
    this.committed = false;
    this.nonMover = -1;
    this.breach = null;
  }

  /** A read through `Store.get`. */
  read(i: number): void {
    this.access(i, false);
  }

  /** A write through `Store.set` of `v` over `old` (called before the store changes). */
  write(i: number, old: number, v: number): void {
    if (this.prot.kind[i] === Prot.LOCK) {
      const me = this.thread + 1;
      if (old === 0 && v === me) this.rightMover(i, 'acquires lock');
      else if (old === me && v === 0) this.committed = true;
      else this.fail(`writes lock ${this.slotName(i)} from ${old} to ${v}: neither an acquire of a free lock nor a release by its owner`);
      return;
    }
    this.access(i, true);
  }

  /** A read through `Store.wait`: the enabling condition of a wait, a right mover. */
  waitRead(i: number): void {
    this.rightMover(i, 'waits on');
  }

  private access(i: number, write: boolean): void {
    const k = this.prot.kind[i]!;
    switch (k) {
      case Prot.GHOST: return;
      case Prot.CONST: if (write) this.fail(`writes ${this.slotName(i)}, which the layout declares constant`); return;
      case Prot.LOCK: if (this.slots[i] !== this.thread + 1) this.rightMover(i, 'tests lock'); return;
      case Prot.LOCAL:
        if (this.prot.arg[i] !== this.thread) this.fail(`${write ? 'writes' : 'reads'} ${this.slotName(i)}, local to thread ${this.prot.arg[i]}`);
        return;
      case Prot.GUARDED: if (this.slots[this.prot.arg[i]!] === this.thread + 1) return; break;
      case Prot.QUEUE:
        // the producer's read of the length is part of its push
        if (this.prot.arg[i] === this.thread) this.rightMover(i, 'fetches from queue');
        else this.committed = true;
        return;
    }
    const u = this.prot.unit[i]!;
    if (this.nonMover === -1) this.nonMover = u;
    else if (this.nonMover !== u) {
      this.fail(`${write ? 'writes' : 'reads'} ${this.slotName(i)} (${this.prot.unitNames[u]}) after the transaction's non-mover ${this.prot.unitNames[this.nonMover]}: a second access no held lock protects`);
    }
    this.committed = true;
  }

  private rightMover(i: number, what: string): void {
    if (this.committed) this.fail(`${what} ${this.slotName(i)} after the commit point: a step that can block must start a new transaction`);
  }

  private fail(msg: string): void {
    if (this.breach === null) this.breach = msg;
  }
}

/** One `protect` call: slots base..base+len-1. */
export interface ProtectedRange {
  readonly base: number;
  readonly len: number;
  readonly p: Protection;
}

/**
 * Compiles a layout's ranges into per-slot arrays. A lock-guarded or queue range without
 * a `unit` is its own unit (one per range); slots nobody declared are each their own unit,
 * so a transaction that touches two of them is caught.
 */
export function compileProtection(size: number, locks: readonly number[], ranges: readonly ProtectedRange[], slotName: (i: number) => string): ProtectionTable {
  const kind = new Int8Array(size);
  const arg = new Int32Array(size);
  const unit = new Int32Array(size);
  const unitNames: string[] = [];
  const ids = new Map<string, number>();
  const unitId = (name: string): number => {
    let id = ids.get(name);
    if (id === undefined) { id = unitNames.length; unitNames.push(name); ids.set(name, id); }
    return id;
  };
  for (let i = 0; i < size; i++) unit[i] = unitId(`undeclared ${slotName(i)}`);
  for (const l of locks) kind[l] = Prot.LOCK;
  for (const r of ranges) {
    const p = r.p;
    let k: Prot;
    let a = 0;
    let u = `${slotName(r.base)}..`;
    if ('lock' in p) { k = Prot.GUARDED; a = p.lock; u = p.unit ?? u; }
    else if ('local' in p) { k = Prot.LOCAL; a = p.local; }
    else if ('shared' in p) { k = Prot.SHARED; u = p.shared; }
    else if ('queue' in p) { k = Prot.QUEUE; a = p.queue; u = p.unit ?? u; }
    else if ('constant' in p) k = Prot.CONST;
    else if ('counter' in p) { k = Prot.COUNTER; a = p.counter; }
    else if ('once' in p) k = Prot.ONCE;
    else k = Prot.GHOST;
    const id = unitId(u);
    for (let i = r.base; i < r.base + r.len; i++) {
      if (kind[i] === Prot.LOCK) throw new Error(`protection of ${slotName(i)}: a lock slot cannot be protected`);
      kind[i] = k;
      arg[i] = a;
      unit[i] = id;
    }
  }
  return { kind, arg, unit, unitNames };
}
