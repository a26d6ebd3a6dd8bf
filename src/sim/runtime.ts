/**
 * The deterministic runtime: simulated threads, one scheduling decision per step.
 *
 * Nothing here reads a clock or a random source: the sequence of chosen thread ids is the
 * only input besides the world itself, so a schedule replays an execution exactly.
 */
import { HbLog } from './hb.ts';
import { LockDep } from './lockdep.ts';
import { COUNT_DOWN, COUNT_FREE, COUNT_UP, OpKind, type Op, type Proc } from './op.ts';
import { SymmetryGuard, type Symmetry } from './symmetry.ts';
import type { PropertyId, Violation } from './violation.ts';

/** Bitmasks of thread ids are used by the explorers. */
export const MAX_THREADS = 31;

export interface SimThread {
  readonly id: number;
  readonly name: string;
  /** driver-internal worker: never counts as blocked or unfinished (P8, P9) */
  readonly background: boolean;
  readonly gen: Proc<unknown>;
  pending: Op | null;
  /** the yielded op when it has `refresh`: `pending` is its current form */
  dynamic: Op | null;
  done: boolean;
}

export interface SimEvent {
  readonly tid: number;
  readonly op: Op;
  /** counterMode of the op when it ran: nonzero for a reference count step that commutes */
  readonly mode: number;
  result: unknown;
}

/** Whether an op's own blocking condition lets it run (Op.enabled). */
function opReady(op: Op): boolean {
  return op.enabled === undefined || op.enabled();
}

/** The clocks of a world before start() and after release(): nothing. */
const EMPTY_LOG = new HbLog(0);

/** Thrown inside a thread to stop it, as a kernel BUG stops the offending task. */
class ThreadStopped extends Error {}

export class Runtime {
  readonly threads: SimThread[] = [];
  readonly events: SimEvent[] = [];
  /** event index of each visible step (the explorers' choice points) */
  readonly visible: number[] = [];
  /** visible step each event belongs to (-1 for the local steps before the first) */
  readonly stepOf: number[] = [];
  readonly violations: Violation[] = [];
  readonly objNames: string[] = [];
  hb: HbLog;
  /** lock objects each thread holds, in acquisition order */
  readonly held: number[][] = [];
  readonly lockdep = new LockDep();
  /** lockdep class of each lock object */
  readonly lockClasses = new Map<number, string>();
  /** the symmetry the explorer uses (useSymmetry), null without */
  private sym: SymmetryGuard | null = null;
  /** thread whose code runs now, -1 outside a step */
  current = -1;
  private readonly endChecks: (() => void)[] = [];
  private readonly exitChecks: ((tid: number) => void)[] = [];
  private started = false;
  /** keep(): the world outlives its execution, release() leaves it as it is */
  private kept = false;
  /** threads whose pending op has `refresh` */
  private dynamicCount = 0;
  /** threads whose pending op `retires` work (its claim is checked after every step) */
  private retiring = 0;
  /**
   * Reference counts (Op.counter), by object: the references each thread took itself and
   * still holds (`own`, by thread id) and their sum (`held`).
   */
  private readonly counts = new Map<number, { own: number[]; held: number }>();
  /** objects with counter ops by sign (no `held`): an object takes one rule or the other */
  private readonly bySign = new Set<number>();

  constructor() {
    // start() sizes the clocks once the threads are known
    this.hb = EMPTY_LOG;
  }

  /** A fresh shared object id, named for traces. */
  newObject(name: string): number {
    this.objNames.push(name);
    return this.objNames.length - 1;
  }

  /** Adds a thread; all threads must exist before the first step. */
  spawn(name: string, body: () => Proc<unknown>, background = false): number {
    if (this.started) throw new Error('spawn after the first step');
    if (this.threads.length >= MAX_THREADS) throw new Error(`more than ${MAX_THREADS} threads`);
    const id = this.threads.length;
    this.held.push([]);
    this.threads.push({ id, name, background, gen: body(), pending: null, dynamic: null, done: false });
    return id;
  }

  /** Registers a check run once when the execution ends (leaks, P6). */
  atEnd(check: () => void): void {
    this.endChecks.push(check);
  }

  /**
   * Registers a check run when a scenario thread returns (P7: what the kernel's layers
   * above the runtime count as held, an acquire context or a signalling section), with
   * the thread current. Background threads never return.
   */
  atThreadExit(check: (tid: number) => void): void {
    this.exitChecks.push(check);
  }

  /**
   * Orders the first pivot writes of symmetric groups (symmetry.ts): from now on such a
   * write waits for the groups numbered before its own. Before start().
   */
  useSymmetry(sym: Symmetry): void {
    if (this.started) throw new Error('useSymmetry after the first step');
    this.sym = new SymmetryGuard(sym, this.threads.length);
  }

  /**
   * Whether the pending op of `tid` could run but for the symmetry's order (useSymmetry):
   * an execution that ends so is the image of another, not an end of the model's.
   */
  symmetryBlocks(tid: number): boolean {
    const op = this.threads[tid]!.pending;
    return this.sym !== null && op !== null && this.sym.blocks(tid, op.obj, op.write) && opReady(op);
  }

  /** The symmetry in use (useSymmetry), if any. */
  get symmetry(): Symmetry | undefined {
    return this.sym?.sym;
  }

  /**
   * Runs every thread up to its first visible op, one thread after the other, its local
   * steps included: the order a data world's first steps run in (sim/frames.ts), so that
   * a report before a thread's first yield lands after the events of the threads before it.
   */
  start(): void {
    this.started = true;
    // clocks as wide as the thread count: one allocation an event is the hot path
    this.hb = new HbLog(this.threads.length);
    for (const t of this.threads) {
      this.resume(t, undefined);
      while (t.pending && t.pending.kind === OpKind.Local) this.exec(t.id);
    }
  }

  /**
   * Thread-local steps touch nothing another thread can see, so where they fall between
   * other threads' steps changes nothing: they run at once, in thread order, and are never
   * a scheduling choice (schedules list visible steps only).
   */
  private drainLocal(): void {
    for (let again = true; again; ) {
      again = false;
      for (const t of this.threads) {
        while (t.pending && t.pending.kind === OpKind.Local) {
          this.exec(t.id);
          again = true;
        }
      }
    }
  }

  isEnabled(tid: number): boolean {
    const op = this.threads[tid]!.pending;
    return op !== null && opReady(op) && (this.sym === null || !this.sym.blocks(tid, op.obj, op.write));
  }

  enabledMask(): number {
    let m = 0;
    for (let i = 0; i < this.threads.length; i++) if (this.isEnabled(i)) m |= 1 << i;
    return m;
  }

  /** Executes the pending op of `tid`, runs its thread to the next yield, then the local steps. */
  step(tid: number): void {
    this.visible.push(this.events.length);
    this.exec(tid);
    this.drainLocal();
    if (this.dynamicCount) for (const t of this.threads) if (t.dynamic) t.pending = t.dynamic.refresh!();
    if (this.retiring) this.checkRetires();
  }

  /**
   * Op.retires is a claim the reduction relies on (no wait of another thread on the object
   * is enabled meanwhile); a model that breaks it is a bug of the model, not of a driver.
   */
  private checkRetires(): void {
    for (const t of this.threads) {
      const r = t.pending;
      if (!r?.retires) continue;
      for (const u of this.threads) {
        const w = u.pending;
        if (u !== t && w?.enabled && w.obj === r.obj && w.enabled()) {
          throw new Error(`model bug: '${r.label}' of ${t.name} retires work on ${this.objNames[r.obj]} while '${w.label}' of ${u.name} can run (Op.retires)`);
        }
      }
    }
  }

  private exec(tid: number): void {
    const t = this.threads[tid]!;
    const op = t.pending!;
    const mode = op.counter ? this.counterMode(tid, op) : 0;
    this.sym?.ran(tid, op.obj, op.write);
    this.hb.append(tid, op, mode);
    this.current = tid;
    const ev: SimEvent = { tid, op, mode, result: undefined };
    this.events.push(ev);
    this.stepOf.push(this.visible.length - 1);
    const before = op.counter ? this.countBefore(op) : 0;
    ev.result = op.apply ? op.apply() : undefined;
    if (op.counter?.held) this.noteCount(tid, op.obj, op.counter.value() - before);
    this.resume(t, ev.result);
  }

  /**
   * How a counter op of `tid` would run now (Op.counter). By sign: a get from at least 1
   * is COUNT_UP, a put leaving at least 1 COUNT_DOWN, anything else an ordinary write;
   * reordering steps of one sign keeps the sequence of signs, hence every value and result.
   *
   * With `held`, above the references the threads took themselves and hold, the count has a
   * base (the creator's reference). While the base is at least 1, a get, and a put by a
   * thread that drops a reference it took, can reach zero in no order and leave the base as
   * it is: they are COUNT_FREE and commute with each other whatever their signs. A put of a
   * reference the thread did not take lowers the base: COUNT_DOWN if the base stays at
   * least 1, an ordinary write if not. Once below 1 the base stays there until an ordinary
   * write, and the rule by sign applies. So the steps that commute keep each other's mode
   * and result in any order they can be put in.
   */
  counterMode(tid: number, op: Op): number {
    const c = op.counter!;
    const v = c.value();
    const st = c.held ? this.counts.get(op.obj) : undefined;
    const base = v - (st?.held ?? 0);
    if (c.held && base >= 1) {
      if (c.delta > 0 || (st?.own[tid] ?? 0) >= 1) return COUNT_FREE;
      return base >= 2 ? COUNT_DOWN : 0;
    }
    return c.delta > 0 ? (v >= 1 ? COUNT_UP : 0) : v >= 2 ? COUNT_DOWN : 0;
  }

  /**
   * The count before a counter op runs. Its rule must be the object's: booking the
   * references of `held` ops while other ops change the count by sign would make the base
   * wrong, so a model that mixes them stops the search.
   */
  private countBefore(op: Op): number {
    const held = op.counter!.held === true;
    if (held ? this.bySign.has(op.obj) : this.counts.has(op.obj)) {
      throw new Error(`model bug: counter ops of ${this.objNames[op.obj]} with and without 'held' (Op.counter): '${op.label}' ${held ? 'says' : 'does not say'} it`);
    }
    if (!held) this.bySign.add(op.obj);
    return op.counter!.value();
  }

  /** Books a counter step of `tid` that changed the count by `change`. */
  private noteCount(tid: number, obj: number, change: number): void {
    let st = this.counts.get(obj);
    if (!st) this.counts.set(obj, (st = { own: new Array<number>(this.threads.length).fill(0), held: 0 }));
    if (change > 0) {
      st.own[tid]! += change;
      st.held += change;
    } else if (change < 0 && st.own[tid]! > 0) {
      st.own[tid]!--;
      st.held--;
    }
  }

  private resume(t: SimThread, value: unknown): void {
    this.current = t.id;
    if (t.dynamic) { t.dynamic = null; this.dynamicCount--; }
    if (t.pending?.retires) this.retiring--;
    try {
      const r = t.gen.next(value);
      if (r.done) {
        t.done = true;
        t.pending = null;
        if (!t.background) this.threadExit(t);
      } else if (r.value.refresh) {
        t.dynamic = r.value;
        this.dynamicCount++;
        t.pending = r.value.refresh();
      } else t.pending = r.value;
      if (t.pending?.retires) this.retiring++;
    } catch (e) {
      if (!(e instanceof ThreadStopped)) throw e;
      t.done = true;
      t.pending = null;
    }
    this.current = -1;
  }

  /**
   * P7, lockdep's "lock held when returning to user space!" (linux:
   * kernel/locking/lockdep.c:lockdep_sys_exit): a scenario thread is a task that returns
   * from its system calls when its steps end, so a lock it still holds is api-misuse. A
   * thread a BUG stopped is not checked: the oops already is the violation, and die()
   * turns lock debugging off (add_taint with LOCKDEP_NOW_UNRELIABLE).
   */
  private threadExit(t: SimThread): void {
    const held = this.held[t.id]!;
    if (held.length) this.report('api-misuse', 'P7', `${t.name} returns to user space holding ${held.map((id) => this.objNames[id]).join(', ')} (lockdep: lock held when returning to user space!)`);
    for (const c of this.exitChecks) c(t.id);
  }

  /**
   * Marks the world as wanted after its execution (a counterexample to report): release()
   * then leaves it intact. Call it before the explorer's callback returns.
   */
  keep(): void {
    this.kept = true;
  }

  /**
   * Called by the explorers when they are done with a world that was not kept: drops its
   * events, threads and clocks. Parts of a world that outlive young-generation collections
   * while it runs are promoted; once the world is dead they still point at what it
   * allocated later, and a scavenge takes every old-to-young pointer as live, so hundreds
   * of dead worlds survived each scavenge until the next full collection. Cutting those
   * pointers here made scavenges keep 9 % of what they scanned instead of 24 %, and the
   * search about a quarter faster (issue 9 note). The world is unusable afterwards.
   */
  release(): void {
    if (this.kept) return;
    this.events.length = 0;
    this.visible.length = 0;
    this.stepOf.length = 0;
    this.threads.length = 0;
    this.endChecks.length = 0;
    this.exitChecks.length = 0;
    this.hb = EMPTY_LOG;
  }

  /** Records a violation at the current event, in the current thread. */
  report(property: PropertyId, rule: string, message: string): void {
    const thread = this.current >= 0 ? this.threads[this.current]!.name : '';
    this.violations.push({ property, rule, message, event: this.events.length - 1, thread });
  }

  /** A kernel BUG: records api-misuse and stops the calling thread. */
  bug(rule: string, message: string): never {
    this.report('api-misuse', rule, `BUG: ${message}`);
    throw new ThreadStopped(message);
  }

  /** The current thread's name. */
  get currentName(): string {
    return this.current >= 0 ? this.threads[this.current]!.name : '';
  }

  /**
   * Ends the execution once no thread can run: a scenario thread still blocked is a hang,
   * wait-timeout when any blocked thread waits on a fence or completion (P9), deadlock when
   * all wait for locks (P8); then the end-of-run checks (P6).
   */
  finish(): void {
    const blocked = this.threads.filter((t) => !t.background && !t.done);
    if (blocked.length > 0) {
      const waitsOnEvent = blocked.some((t) => t.pending?.blockReason !== 'lock');
      const what = blocked.map((t) => `${t.name} in ${t.pending?.label ?? '?'}${t.pending?.detail ? ` (${t.pending.detail})` : ''}`).join(', ');
      this.current = -1;
      this.violations.push(
        waitsOnEvent
          ? { property: 'wait-timeout', rule: 'P9', message: `no thread can run; blocked for ever: ${what}`, event: -1, thread: blocked[0]!.name }
          : { property: 'deadlock', rule: 'P8', message: `threads block each other on locks for ever: ${what}`, event: -1, thread: blocked[0]!.name },
      );
    }
    else for (const c of this.endChecks) c();
  }
}
