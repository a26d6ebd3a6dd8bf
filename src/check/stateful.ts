/**
 * Stateful depth-first search over a data world (docs/design.md "Search").
 *
 * The state is a `Store`; a thread is its control state in the store (program point and
 * locals), and a transition is one transaction of one thread: a function of the store
 * that either runs (and returns true) or is disabled (returns false and writes nothing).
 * Every successor is built by copying the state and running the transaction on the copy,
 * so nothing is replayed. A successor whose fingerprint (of its symmetry representative)
 * is in the visited set is not expanded again. No partial-order reduction runs on top of
 * the visited set: DPOR with a cache is unsound without subtree summaries.
 *
 * Violations are data: a transaction, the per-state invariant and the end-of-run check
 * report them to a sink, and the search records each with its schedule, the DFS stack as
 * the list of thread indices that leads to it. A state where no transaction is enabled
 * while some thread is not finished is a deadlock.
 */
import type { PropertyId } from '../sim/violation.ts';
import { hashSlots, Store, type StoreLayout } from '../sim/store.ts';
import { TxnMonitor } from '../sim/txn.ts';
import { canonicalise, type SymmetryGroup } from './state-symmetry.ts';
import { ExactStateSet, FingerprintSet, type VisitedSet } from './visited.ts';
import { porSearch } from './stateful-por.ts';
import type { StateCanon } from './frame-symmetry.ts';
import type { StackEntry } from './work-board.ts';

export interface ViolationSink {
  report(property: PropertyId, rule: string, message: string): void;
}

/** A model as the stateful search sees it. */
export interface StatefulModel {
  readonly layout: StoreLayout;
  /** thread names; a schedule is a list of indices into this */
  readonly threads: readonly string[];
  /** Writes the initial state into a zeroed store. */
  init(s: Store): void;
  /**
   * Runs thread `t`'s next transaction on `s`. Returns false, having written nothing,
   * when it is disabled (finished, or blocked on a lock or a wait).
   */
  step(s: Store, t: number, out: ViolationSink): boolean;
  /** Whether thread `t`'s transaction is enabled at `s` (`step` would run it), read without writing: lets a search skip the copy a disabled thread would cost. */
  enabled?(s: Store, t: number): boolean;
  /** Whether thread `t` may end here (a background thread idle at its wait counts). */
  finished(s: Store, t: number): boolean;
  /** Checked on every new state. */
  invariant?(s: Store, out: ViolationSink): void;
  /** Checked on every final state (nothing enabled, every thread finished). */
  atEnd?(s: Store, out: ViolationSink): void;
  /** Reports a terminal state where some thread has not finished (default: deadlock, P8, naming them). */
  hang?(s: Store, out: ViolationSink): void;
  /** identical members the search may rename (`symmetry` option) */
  readonly symmetry?: readonly SymmetryGroup[];
  /** the representative of a state under the model's own renamings (`symmetry` option; wins over `symmetry` groups) */
  readonly canon?: StateCanon;
  /** what the partial-order reduction needs (stateful-por.ts); without it every state is fully expanded */
  readonly reduction?: Reduction;
  /** the model checks its transactions itself (check/frame-model.ts fuses fine steps): no Lipton monitor */
  readonly ownTransactions?: boolean;
}

/**
 * Access footprints for persistent sets, over units (objects a model names: a buffer,
 * an importer's private objects), as bit masks. A thread's lifetime masks bound every
 * access it makes in any execution; the model checks them (an access outside is a model
 * bug) so that a reduction built on them cannot hide an interleaving.
 */
export interface Reduction {
  readonly lifeReads: readonly number[];
  readonly lifeWrites: readonly number[];
  /** the units the last enabled `step` read and wrote */
  lastReads(): number;
  lastWrites(): number;
  /** the units the pending op of disabled thread `t` waits on (what could enable it) */
  guardUnits(s: Store, t: number): number;
  /** whether thread `t` can never take a step again (it returned) */
  ended(s: Store, t: number): boolean;
}

export interface StatefulOptions {
  /** store whole states instead of 64-bit fingerprints (tests) */
  exact?: boolean;
  /** explore one state of each orbit under the model's symmetry groups */
  symmetry?: boolean;
  /** stop at the first violation (default); false: explore everything, one record per distinct violation */
  stopAtFirst?: boolean;
  /** stop after this many states (the result is then incomplete) */
  maxStates?: number;
  /** expected number of states, to size the visited set */
  expected?: number;
  /**
   * check Lipton's conditions on every transaction through the store's barriers (default
   * true; off only to measure the search without them)
   */
  transactions?: boolean;
  /** called on every terminal state reached (final or deadlocked), with the state as reached */
  onTerminal?(s: Store, deadlock: boolean): void;
  /**
   * the visited set to use instead of a fresh one (a table shared with other workers,
   * stateful-parallel.ts); `states` then counts the states this search stored, and
   * `maxStates` bounds the shared table's size
   */
  visited?: VisitedSet;
  /**
   * 0 (default): threads are tried in index order. Otherwise each state's threads are
   * tried from an offset its hash and this number pick, so that workers sharing one
   * visited set take different branches first
   */
  order?: number;
  /** polled every 1,024 transitions: true stops the search, incomplete */
  cancelled?: () => boolean;
  /**
   * Work stealing with the other threads of one search (work-board.ts, stateful-handover.ts):
   * polled every 1,024 transitions, the shallowest entry of the stack with threads left is
   * handed over when another thread waits; when the stack is empty the search takes an entry
   * handed over to it, and ends when `idle` returns null (every thread idle, or stopped).
   */
  work?: {
    wanted(): boolean;
    donate(slots: Int32Array, schedule: readonly number[], len: number, tried: number, offset: number, anyRan: boolean): boolean;
    idle(): StackEntry | null;
  };
  /** explore persistent sets when the model gives footprints (default true; stateful-por.ts) */
  reduction?: boolean;
  /** called on each new distinct violation: whether the search ends there (default: `stopAtFirst`) */
  stopAt?: (v: StateViolation) => boolean;
}

export interface StateViolation {
  readonly property: PropertyId;
  readonly rule: string;
  readonly message: string;
  /** thread indices from the initial state to the violation */
  readonly schedule: readonly number[];
}

export interface StatefulResult {
  /**
   * distinct states stored (representatives under symmetry); with a shared `visited` set,
   * those this search stored (the workers' counts add up to the table's size)
   */
  readonly states: number;
  /** transactions run */
  readonly transitions: number;
  readonly maxDepth: number;
  /** the whole space was explored (no stop at a violation or a bound) */
  readonly complete: boolean;
  readonly violations: readonly StateViolation[];
  /** probability that fingerprinting merged two different states (0 with `exact`) */
  readonly omissionProbability: number;
  readonly visitedBytes: number;
}

/** The violations a search found, one record per distinct (property, rule, message), each with the schedule that first reached it. */
export class ViolationLog {
  readonly violations: StateViolation[] = [];
  readonly pending: { property: PropertyId; rule: string; message: string }[] = [];
  private readonly seen = new Set<string>();
  readonly sink: ViolationSink = { report: (property, rule, message) => { this.pending.push({ property, rule, message }); } };

  /** `stop(v)`: whether the search ends at new violation `v` */
  constructor(private readonly stop: (v: StateViolation) => boolean) {}

  /** Records the pending reports at `schedule[0..len)`; returns whether the search ends (`stop` of a new one). */
  flush(schedule: readonly number[], len: number): boolean {
    if (this.pending.length === 0) return false;
    let end = false;
    for (const p of this.pending) {
      const k = `${p.property}|${p.rule}|${p.message}`;
      if (this.seen.has(k)) continue;
      this.seen.add(k);
      const v = { ...p, schedule: schedule.slice(0, len) };
      this.violations.push(v);
      if (this.stop(v)) end = true;
    }
    this.pending.length = 0;
    return end;
  }
}

/** Where a state's threads are tried from in search `order` (0: index order; stateful-parallel.ts gives each worker its own). */
export function threadOffset(s: Store, order: number): number {
  return order === 0 ? 0 : (Math.imul(s.h1 ^ s.h2, 0x9e3779b1) ^ Math.imul(order, 0x85ebca6b)) >>> 0;
}

/**
 * Reports terminal state `s` (nothing enabled): a hang when some thread has not finished
 * (the model's `hang`, else deadlock P8 naming them), else the end-of-run checks.
 */
export function reportTerminal(model: StatefulModel, s: Store, sink: ViolationSink, opts: Pick<StatefulOptions, 'onTerminal'>): void {
  const stuck: string[] = [];
  for (let i = 0; i < model.threads.length; i++) if (!model.finished(s, i)) stuck.push(model.threads[i]!);
  opts.onTerminal?.(s, stuck.length > 0);
  if (stuck.length > 0) {
    if (model.hang) model.hang(s, sink);
    else sink.report('deadlock', 'P8', `no transaction can run while ${stuck.join(', ')} ${stuck.length > 1 ? 'have' : 'has'} not finished`);
  } else model.atEnd?.(s, sink);
}

/**
 * A model that breaks the step contract or a transaction condition: a programming error
 * in the model, not a violation.
 */
export class ModelBugError extends Error {}

/**
 * Explores every state reachable from `model.init` (up to `maxStates`). Deterministic:
 * threads are tried in index order. Throws `ModelBugError` when a disabled transaction
 * wrote the store or reported a violation, or (unless `transactions: false`) when a
 * transaction breaks Lipton's conditions as the layout's protections declare them
 * (sim/txn.ts): the message names the thread, the breach and the schedule that reaches it.
 */
export function statefulSearch(model: StatefulModel, opts: StatefulOptions = {}): StatefulResult {
  if (model.reduction && (opts.reduction ?? true)) return porSearch(model, model.reduction, opts);
  const layout = model.layout;
  const nthreads = model.threads.length;
  const stopAtFirst = opts.stopAtFirst ?? true;
  const groups = opts.symmetry ? (model.symmetry ?? []) : [];
  const visited: VisitedSet = opts.visited ?? (opts.exact ? new ExactStateSet(layout.size, opts.expected) : new FingerprintSet(opts.expected));
  const order = opts.order ?? 0;
  /** the first thread tried at state `s` (0 in index order) */
  const firstThread = (s: Store) => threadOffset(s, order) % nthreads;
  const canon = new Store(layout);
  const monitor = (opts.transactions ?? true) && !model.ownTransactions ? new TxnMonitor(layout.protection(), (i) => layout.slotName(i)) : null;
  const own = opts.symmetry ? model.canon : undefined;
  const exact = opts.exact === true;
  const key = (s: Store): Store => (own ? own.key(s, canon, exact) : groups.length > 0 ? (canonicalise(s, canon, groups), canon) : s);

  const log = new ViolationLog(opts.stopAt ?? (() => stopAtFirst));
  const { sink, pending, violations } = log;
  const stack: Store[] = [new Store(layout)];
  /** at each depth, how many threads have been tried, and from which offset */
  const nextThread: number[] = [0];
  const offset: number[] = [0];
  const anyRan: boolean[] = [false];
  const schedule: number[] = [];
  /** the depth of the entry this search started from: 0, or the length of a handed-over entry's schedule */
  let base = 0;
  let depth = 0;
  const work = opts.work;
  let maxDepth = 0;
  let states = 0;
  let transitions = 0;
  let stopped = false;

  /** Records the pending reports at the current schedule; returns whether to stop. */
  const flush = (len: number): boolean => log.flush(schedule, len);

  model.init(stack[0]!);
  // a symmetry keeps its image fingerprints in every stack store (they copy with the slots)
  own?.attach(stack[0]!);
  offset[0] = firstThread(stack[0]!);
  // a shared set may hold it already (another worker stored it): the root is expanded anyway
  if (visited.add(key(stack[0]!))) states++;
  model.invariant?.(stack[0]!, sink);
  stopped = flush(0);

  let clean = false;
  // the depth-first search from the root, then from each entry handed over to this one
  for (;;) {
    while (!stopped && depth >= base) {
      const cur = stack[depth]!;
      const tried = nextThread[depth]!;
      if (tried >= nthreads) {
        if (!anyRan[depth]) stopped = terminal(cur, depth);
        depth--;
        clean = false;
        continue;
      }
      nextThread[depth] = tried + 1;
      const t = (offset[depth]! + tried) % nthreads;
      let nxt = stack[depth + 1];
      if (!nxt) {
        stack[depth + 1] = nxt = new Store(layout);
        own?.attach(nxt);
      }
      if (!clean) nxt.copyFrom(cur);
      let enabled: boolean;
      if (monitor !== null) {
        monitor.begin(t, nxt.slots);
        nxt.tx = monitor;
        try { enabled = model.step(nxt, t, sink); } finally { nxt.tx = null; }
        if (monitor.breach !== null) {
          throw new ModelBugError(`model bug: ${model.threads[t]} breaks a transaction condition: it ${monitor.breach} (schedule ${[...schedule.slice(0, depth), t].join(',')})`);
        }
      } else enabled = model.step(nxt, t, sink);
      if (!enabled) {
        if (nxt.h1 !== cur.h1 || nxt.h2 !== cur.h2 || pending.length > 0) {
          throw new ModelBugError(`model bug: ${model.threads[t]} is disabled but its transaction ${pending.length > 0 ? 'reported a violation' : 'wrote the store'}`);
        }
        clean = true;
        continue;
      }
      clean = false;
      anyRan[depth] = true;
      if ((++transitions & 1023) === 0) {
        if (opts.cancelled?.()) { stopped = true; break; }
        if (work?.wanted()) handOver();
      }
      schedule[depth] = t;
      if (flush(depth + 1)) { stopped = true; break; }
      if (!visited.add(key(nxt))) continue;
      states++;
      model.invariant?.(nxt, sink);
      if (flush(depth + 1)) { stopped = true; break; }
      depth++;
      nextThread[depth] = 0;
      offset[depth] = firstThread(nxt);
      anyRan[depth] = false;
      if (depth > maxDepth) maxDepth = depth;
      if (opts.maxStates !== undefined && visited.size >= opts.maxStates) { stopped = true; break; }
    }
    if (stopped || work === undefined) break;
    const entry = work.idle();
    // null: every thread is idle (the end), or the search was stopped
    if (entry === null) { stopped = opts.cancelled?.() ?? false; break; }
    takeOver(entry);
  }

  /** Hands the shallowest entry with threads left over to a waiting search: its threads are that search's now. */
  function handOver(): void {
    for (let d = base; d < depth; d++) {
      if (nextThread[d]! >= nthreads) continue;
      if (work!.donate(stack[d]!.slots, schedule, d, nextThread[d]!, offset[d]!, anyRan[d]!)) {
        nextThread[d] = nthreads;
        // its terminal check, if no thread of it ran yet, went with it
        anyRan[d] = true;
      }
      return;
    }
  }

  /** Starts from an entry handed over: its state (already stored by the donor), schedule and thread loop. */
  function takeOver(e: StackEntry): void {
    base = depth = e.prefix.length;
    for (let i = 0; i < base; i++) schedule[i] = e.prefix[i]!;
    let st = stack[base];
    if (!st) stack[base] = st = new Store(layout);
    st.slots.set(e.slots);
    [st.h1, st.h2] = hashSlots(st.slots);
    // a symmetry's lanes, from the slots
    own?.attach(st);
    nextThread[base] = e.tried;
    offset[base] = e.offset;
    anyRan[base] = e.anyRan;
    if (base > maxDepth) maxDepth = base;
    clean = false;
  }

  function terminal(s: Store, d: number): boolean {
    reportTerminal(model, s, sink, opts);
    return flush(d);
  }

  return {
    states, transitions, maxDepth, complete: !stopped && !visited.overflowed, violations,
    omissionProbability: visited.omissionProbability(), visitedBytes: visited.bytes,
  };
}
