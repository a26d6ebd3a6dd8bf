/**
 * Operations: what a simulated thread yields at a visible step.
 *
 * A thread is a generator that yields one Op per yield point (rule book §0 "Atomicity").
 * The scheduler runs `apply` of the chosen thread's pending op and resumes the generator
 * with its result; everything up to the next yield is atomic. An op names the objects it
 * touches and whether it writes them: that footprint is the dependence relation of the
 * partial-order reduction (DESIGN.md "The runtime"), so it must cover every shared object
 * the op reads or writes outside a lock the thread holds.
 */

/** What kind of step an op is; the explorer uses it for co-enabledness. */
export const enum OpKind {
  /** a step that touches only the thread's own state (entering an op, logging) */
  Local = 0,
  Read = 1,
  Write = 2,
  /** blocking lock acquisition: enabled only while the lock is free */
  Acquire = 3,
  Release = 4,
  /** a wait whose condition, once true, stays true (a fence signalled) */
  WaitMonotone = 5,
  /** a wait on a condition that can become false again (a completion, a queue) */
  Wait = 6,
  /** a fence signal: the write that ends every WaitMonotone on the fence */
  Signal = 7,
  /** a DMA access of a device engine: judged by the access oracle */
  Dma = 8,
}

/**
 * What an event is to a reader of a counterexample, independent of its footprint: the
 * story view (check/story.ts) folds a call into one row and hides bookkeeping by this,
 * never by the label. Absent: an ordinary step.
 * - `step`, `step-end`: a scenario step begins, ends (done, failed, returned, skipped)
 * - `call`: a kernel or driver function is entered (its label is the function's name)
 * - `return`: a call returns to its caller; it closes the thread's latest `call` on the
 *   same object (a revoke path: begins and returns on its tracker)
 * - `bookkeeping`: a worker idling or taking its next item off a queue
 * - `speculative`: a prefetcher's speculative read (an access no engine committed to)
 */
export type EventRole = 'step' | 'step-end' | 'call' | 'return' | 'bookkeeping' | 'speculative';

/** The mark of the event at which a revoke path returned to its caller (P1's revoke point). */
export const REVOKE_RETURNED = 'revoke returned';

/** Why a blocked thread waits: decides deadlock (locks) against wait-timeout (P8, P9). */
export type BlockReason = 'lock' | 'fence' | 'completion' | 'idle';

export interface Op {
  readonly kind: OpKind;
  /** primary object id, or -1 for a thread-local step */
  readonly obj: number;
  /** whether the op writes `obj` (and every object of `also`) */
  readonly write: boolean;
  /** further objects the op reads (or writes, with `write`) */
  readonly also?: readonly number[];
  /** event name in the trace, in kernel vocabulary */
  readonly label: string;
  /** object or argument text for the trace */
  readonly detail?: string;
  /**
   * blocking condition; absent = always enabled. Like `apply`, it may read only the
   * objects of the footprint: the reduction takes it that only a step that conflicts with
   * the op can change whether it is enabled (races.ts, irreversible races).
   */
  readonly enabled?: () => boolean;
  readonly blockReason?: BlockReason;
  /** the atomic effect, run when the op is scheduled; its result resumes the thread */
  readonly apply?: () => unknown;
  /**
   * a write that retires work the waits on `obj` wait for (a count of pending items
   * dropping): it can run only while every other thread's wait on `obj` is disabled, so it
   * is never co-enabled with one and the explorer does not try to reverse the two, as for a
   * fence signal and its waits. A wrong claim loses executions: only for a write whose
   * pending state implies the work it retires (a worker between fetching and finishing).
   */
  readonly retires?: boolean;
  /** marks an event the timeline highlights (revoke returned, a violating DMA) */
  readonly mark?: string;
  /** what the event is to a reader (story view); absent for an ordinary step */
  readonly role?: EventRole;
  /**
   * For an op whose objects depend on state (a device access through whatever table a
   * translation points at now): gives the op as of the current state. The runtime calls it
   * when the op is yielded and after every step while it is pending, so that the pending op
   * and the event it becomes name what they touch at that moment. Sound only when the state
   * it reads is written by ops on `obj` or `also` of the op it returns (the selector is part
   * of the footprint).
   */
  readonly refresh?: () => Op;
  /**
   * A reference count step (kref_get/put, get_file/fput): `delta` is +1 or -1 on the count
   * `value` reads, and the op's only observation of it is whether the count was or became
   * zero. Where no order of the steps it is reordered with could change that observation
   * the step commutes with them (Runtime.counterMode); otherwise it is an ordinary write.
   * Only for an op whose footprint is `obj` alone; it may also read other state of `obj`
   * that only ordinary writes change.
   */
  readonly counter?: {
    readonly delta: 1 | -1;
    readonly value: () => number;
    /**
     * The count's references are held by threads: a thread's put drops a reference it took
     * itself when it has one (a file reference an importer takes and drops). Gets and such
     * puts then commute whatever their signs while a base reference remains. Every counter
     * op of the object must say the same.
     */
    readonly held?: boolean;
  };
}

/** A simulated thread body. */
export type Proc<T = void> = Generator<Op, T, unknown>;

/** A thread-local step: visible in the trace, independent of every other step. */
export function local(label: string, detail?: string, mark?: string, role?: EventRole): Op {
  return { kind: OpKind.Local, obj: -1, write: false, label, detail, mark, ...(role ? { role } : {}) };
}

/** The entry of kernel or driver function `fn` (a thread-local step with role `call`). */
export function callEntry(fn: string, detail?: string): Op {
  return local(fn, detail, undefined, 'call');
}

/** Two ops conflict when they share an object and at least one of them writes it. */
export function opsDependent(a: Op, b: Op): boolean {
  if (a.obj < 0 && !a.also) return false;
  if (b.obj < 0 && !b.also) return false;
  if (!a.write && !b.write) return false;
  if (a.obj >= 0 && (a.obj === b.obj || (b.also !== undefined && b.also.includes(a.obj)))) return true;
  if (a.also) {
    for (const o of a.also) if (o === b.obj || (b.also !== undefined && b.also.includes(o))) return true;
  }
  return false;
}

/**
 * Counter modes (Op.counter, Runtime.counterMode): how a reference count step ran. 0 is an
 * ordinary write; COUNT_UP and COUNT_DOWN commute with the others of their sign; COUNT_FREE
 * commutes with every other COUNT_FREE step of the object, whatever their signs.
 */
export const COUNT_UP = 1;
export const COUNT_DOWN = -1;
export const COUNT_FREE = 3;

/** opsDependent for events (or ops) with their counter modes: two of one nonzero mode commute. */
export function eventsDependent(a: Op, modeA: number, b: Op, modeB: number): boolean {
  if (modeA !== 0 && modeA === modeB) return false;
  return opsDependent(a, b);
}

/**
 * Whether two dependent ops of different threads may both be enabled in one state. A lock
 * release and another thread's acquisition of the same lock never are (the holder must
 * release first), nor are a fence signal and a wait for that fence, nor a write that
 * `retires` work and a blocking op on its object: the explorer need not try to reverse them.
 */
export function mayBeCoEnabled(a: Op, b: Op): boolean {
  if (a.obj !== b.obj) return true;
  const k1 = a.kind, k2 = b.kind;
  if ((k1 === OpKind.Acquire && k2 === OpKind.Release) || (k1 === OpKind.Release && k2 === OpKind.Acquire)) return false;
  if ((k1 === OpKind.WaitMonotone && k2 === OpKind.Signal) || (k1 === OpKind.Signal && k2 === OpKind.WaitMonotone)) return false;
  if ((a.retires && b.enabled) || (b.retires && a.enabled)) return false;
  return true;
}
