/**
 * The runtime services of the data world that the generator runtime keeps in JS objects
 * (Runtime.held, Runtime.lockClasses, LockDep): each thread's held locks and lockdep's
 * dependency edges live in store slots, so that a state carries them; lock classes and
 * thread names are fixed tables registered when the world is built, not state.
 *
 * The subset's sync primitives (frame-mutex.ts, frame-completion.ts) and later the kernel
 * models report through these helpers, which run inside a step (everything between two
 * yields is atomic) and report the events and violations the generator runtime reports.
 */
import type { FrameCtx } from './frame-ops.ts';
import { FrameStopped } from './frames.ts';
import { listGet, listLength, listPushBack, listRemoveAt, storeList, type StoreList } from './store-list.ts';
import type { StoreLayout } from './store.ts';
import type { PropertyId } from './violation.ts';

/** The fixed tables and the slots of the data world's runtime state. */
export interface FrameSim {
  readonly threadNames: readonly string[];
  /** by thread: the lock slots it holds, in acquisition order */
  readonly held: readonly StoreList[];
  /** lockdep class of each lock slot, an index into `classNames` */
  readonly lockClass: ReadonlyMap<number, number>;
  /** lock class names, sorted: lockdep walks a class's successors in this order */
  readonly classNames: readonly string[];
  /** first slot of lockdep's edge bits: bit a * n + b (n classes) is an edge a -> b */
  readonly lockdep: number;
  /** how many slots the edge bits take */
  readonly lockdepSlots: number;
}

/** What a model's `k.env` carries for the runtime services. */
export interface FrameSimEnv {
  readonly sim: FrameSim;
}

/** The context of a subset function that takes locks or reports events. */
export type SimCtx = FrameCtx<FrameSimEnv>;

/**
 * Registers the data world's runtime state: call `mutex` and `completion` for every object
 * while laying the world out, then `done` once (it sizes lockdep's edge bits by the classes).
 */
export class FrameSimBuilder {
  private readonly classOf = new Map<number, string>();
  private readonly held: StoreList[];

  constructor(private readonly layout: StoreLayout, private readonly threadNames: readonly string[], heldCap = 4) {
    // the held lists are the thread's own state: a lock section's bookkeeping, not shared
    this.held = threadNames.map((n, tid) => storeList(layout, `${n}.held`, heldCap, { local: tid }));
  }

  /** A sleeping mutex named `name` of lockdep class `cls`: its owner slot (0 free, else owner tid + 1). */
  mutex(name: string, cls = name): number {
    const slot = this.layout.lock(name);
    this.classOf.set(slot, cls);
    return slot;
  }

  /** Gives the lock slot `slot` registered elsewhere (a struct's lock field) its lockdep class. */
  lockClass(slot: number, cls: string): void {
    this.classOf.set(slot, cls);
  }

  /** A completion named `name`: one slot, its count of `complete()` calls not yet consumed. */
  completion(name: string): number {
    return this.layout.field(name);
  }

  done(): FrameSim {
    const classNames = [...new Set(this.classOf.values())].sort();
    const index = new Map(classNames.map((c, i) => [c, i]));
    const lockClass = new Map([...this.classOf].map(([slot, c]) => [slot, index.get(c)!]));
    const bits = classNames.length * classNames.length;
    const lockdepSlots = Math.max(1, Math.ceil(bits / 32));
    const lockdep = this.layout.field('lockdep.edges', lockdepSlots);
    return { threadNames: this.threadNames, held: this.held, lockClass, classNames, lockdep, lockdepSlots };
  }
}

/** The name of the running thread. */
export function threadName(k: SimCtx): string {
  return k.env.sim.threadNames[k.tid]!;
}

/** Reports an event of the running thread on object slot `obj` (its detail is the slot's name). */
export function simEvent(k: SimCtx, label: string, obj: number): void {
  if (k.out.records) k.out.event(k.tid, label, k.s.layout.slotName(obj));
}

/** Reports a violation at the running thread's latest event. */
export function simReport(k: SimCtx, property: PropertyId, rule: string, message: string): void {
  k.out.report(k.tid, property, rule, message);
}

/** A kernel BUG: api-misuse, and the running thread stops there (Runtime.bug). */
export function simBug(k: SimCtx, rule: string, message: string): never {
  simReport(k, 'api-misuse', rule, `BUG: ${message}`);
  throw new FrameStopped(message);
}

function edgeBit(k: SimCtx, a: number, b: number): [number, number] {
  const bit = a * k.env.sim.classNames.length + b;
  return [k.env.sim.lockdep + (bit >>> 5), 1 << (bit & 31)];
}

function hasEdge(k: SimCtx, a: number, b: number): boolean {
  const [slot, mask] = edgeBit(k, a, b);
  return (k.s.get(slot) & mask) !== 0;
}

/** A path of classes from `from` to `to` over the edges, successors in class order; null when none. */
function lockPath(k: SimCtx, from: number, to: number, seen: boolean[]): number[] | null {
  if (from === to) return [from];
  if (seen[from]) return null;
  seen[from] = true;
  for (let b = 0; b < k.env.sim.classNames.length; b++) {
    if (!hasEdge(k, from, b)) continue;
    const p = lockPath(k, b, to, seen);
    if (p) return [from, ...p];
  }
  return null;
}

/**
 * Lockdep at an acquisition of class `next` (LockDep.acquire, the same walk over store
 * slots): an edge from every held class; the first new edge that closes a cycle ends the
 * walk and is returned as the cycle's class names (P8, R28).
 */
function lockdepAcquire(k: SimCtx, next: number): string[] | null {
  const { sim } = k.env;
  const held = sim.held[k.tid]!;
  for (let i = 0; i < listLength(k.s, held); i++) {
    const h = sim.lockClass.get(listGet(k.s, held, i))!;
    if (h === next || hasEdge(k, h, next)) continue;
    const back = lockPath(k, next, h, []);
    const [slot, mask] = edgeBit(k, h, next);
    k.s.set(slot, k.s.get(slot) | mask);
    if (back) return [h, ...back].map((c) => sim.classNames[c]!);
  }
  return null;
}

/**
 * After the running thread took mutex `m` (its `yield lock(m)`): the `mutex_lock` event,
 * lockdep's order check (P8) and the held list (noteAcquired of sim/mutex.ts).
 */
export function noteAcquired(k: SimCtx, m: number): void {
  simEvent(k, 'mutex_lock', m);
  lockAcquired(k, m);
}

/** A lock `m` the running thread took (any kind: a mutex, a reservation's ww_mutex): lockdep (P8) and the held list. */
export function lockAcquired(k: SimCtx, m: number): void {
  const cycle = lockdepAcquire(k, k.env.sim.lockClass.get(m)!);
  if (cycle) simReport(k, 'deadlock', 'P8', `lock-order inversion: ${cycle.join(' -> ')}`);
  if (!listPushBack(k.s, k.env.sim.held[k.tid]!, m)) throw new Error(`model bug: ${threadName(k)} holds more locks than its held list has room for`);
}

/**
 * At the running thread's `mutex_unlock` of `m`: the event, the held entry dropped and
 * the owner cleared, whoever held it (the generator runtime's noteReleased: an unlock of a
 * lock the thread does not hold was reported before the yield, and still frees it).
 */
export function noteReleased(k: SimCtx, m: number): void {
  simEvent(k, 'mutex_unlock', m);
  lockReleased(k, m);
}

/** The held entry of lock `m` dropped and its owner cleared. */
export function lockReleased(k: SimCtx, m: number): void {
  const held = k.env.sim.held[k.tid]!;
  for (let i = listLength(k.s, held) - 1; i >= 0; i--) {
    if (listGet(k.s, held, i) === m) { listRemoveAt(k.s, held, i); break; }
  }
  k.s.set(m, 0);
}

/**
 * P7 when a scenario thread returns holding locks (lockdep's "lock held when returning to
 * user space!", the generator runtime's threadExit): called by the thread's entry function
 * as its last statement.
 */
export function threadExit(k: SimCtx): void {
  const held = k.env.sim.held[k.tid]!;
  const n = listLength(k.s, held);
  if (n === 0) return;
  const names = Array.from({ length: n }, (_, i) => k.s.layout.slotName(listGet(k.s, held, i)));
  simReport(k, 'api-misuse', 'P7', `${threadName(k)} returns to user space holding ${names.join(', ')} (lockdep: lock held when returning to user space!)`);
}
