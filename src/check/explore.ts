/**
 * Explorers: stateless search over schedules by re-execution (DESIGN.md "The runtime").
 *
 * `exhaustive` enumerates every schedule depth-first. `dpor` is Source-DPOR with sleep
 * sets (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014, Algorithm 1): after each execution,
 * for every pair of events in a reversible race (dependent, of different threads, ordered
 * directly, possibly co-enabled), it takes the events after the first that do not depend on
 * it, followed by the second, and makes sure one of their initial threads is a backtrack
 * choice at the state before the first. Sleep sets prune orders of independent steps that
 * an earlier sibling already covered. A lock acquisition races with the previous
 * acquisition of the lock by another thread (the release between them is not a race
 * partner, it is never co-enabled with the acquisition). Steps can disable other threads
 * (a condition that held only for a while): such a thread becomes a choice before the step
 * that disabled it (`noteDisabled`).
 */
import { performance } from 'node:perf_hooks';
import { mayBeCoEnabled, OpKind, opsDependent, type Op } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';

export type Strategy = 'dpor' | 'exhaustive';

export interface ExploreOptions {
  readonly strategy: Strategy;
  readonly maxExecutions?: number;
  readonly preemptions?: number;
  /** steps an execution may take before it is an internal error (a model that never ends) */
  readonly maxSteps?: number;
  /** performance.now() value after which the search stops, incomplete */
  readonly deadline?: number;
}

export interface ExploreStats {
  executions: number;
  /** prefixes abandoned because every enabled thread slept (covered elsewhere) */
  sleepBlocked: number;
  maxDepth: number;
  /** no bound or limit cut the search (stopping at a wanted violation is no cut) */
  complete: boolean;
}

interface Frame {
  enabled: number;
  backtrack: number;
  done: number;
  sleep: number;
  chosen: number;
  preemptions: number;
}

const lowestBit = (m: number) => 31 - Math.clz32(m & -m);

/**
 * Runs `build()` worlds under every schedule the strategy needs; calls `onExecution` with
 * each finished world and its schedule, and stops when it returns true.
 */
export function explore(
  build: () => Runtime, opts: ExploreOptions, onExecution: (rt: Runtime, schedule: number[]) => boolean,
): ExploreStats {
  const dpor = opts.strategy === 'dpor';
  const maxSteps = opts.maxSteps ?? 100_000;
  const stats: ExploreStats = { executions: 0, sleepBlocked: 0, maxDepth: 0, complete: true };
  const stack: Frame[] = [];
  let childSleep = 0;
  for (;;) {
    const rt = build();
    const fresh = Math.max(0, stack.length - 1);
    for (let d = 0; d < stack.length; d++) {
      const f = stack[d]!;
      if (d === stack.length - 1) {
        const before = dpor ? (f.sleep | f.done) & ~(1 << f.chosen) : 0;
        rt.step(f.chosen);
        if (dpor) noteDisabled(f, rt.enabledMask());
        childSleep = dpor ? wake(rt, before) : 0;
      } else rt.step(f.chosen);
    }
    let sleep = stack.length === 0 ? 0 : childSleep;
    let blocked = false;
    for (;;) {
      const en = rt.enabledMask();
      if (en === 0) break;
      if (stack.length >= maxSteps) throw new Error(`an execution exceeded ${maxSteps} steps: the model does not terminate`);
      const avail = en & ~sleep;
      if (avail === 0) { blocked = true; break; }
      const prev = stack.length ? stack[stack.length - 1]!.chosen : -1;
      const p = prev >= 0 && avail & (1 << prev) ? prev : lowestBit(avail);
      const preempt = prev >= 0 && en & (1 << prev) && p !== prev ? 1 : 0;
      const preemptions = (stack.length ? stack[stack.length - 1]!.preemptions : 0) + preempt;
      const frame: Frame = { enabled: en, backtrack: dpor ? 1 << p : en, done: 1 << p, sleep, chosen: p, preemptions };
      stack.push(frame);
      rt.step(p);
      if (dpor) noteDisabled(frame, rt.enabledMask());
      sleep = dpor ? wake(rt, sleep) : 0;
    }
    if (dpor) analyzeRaces(rt, stack, fresh);
    if (stack.length > stats.maxDepth) stats.maxDepth = stack.length;
    if (blocked) stats.sleepBlocked++;
    else {
      rt.finish();
      stats.executions++;
      if (onExecution(rt, stack.map((f) => f.chosen))) return stats;
    }
    const late = opts.deadline !== undefined && stats.executions % 16 === 0 && performance.now() > opts.deadline;
    if (late || (opts.maxExecutions !== undefined && stats.executions >= opts.maxExecutions)) {
      stats.complete = !hasAlternatives(stack);
      return stats;
    }
    if (!backtrack(stack, opts.preemptions, stats)) return stats;
  }
}

/** Moves the deepest frame with an unexplored choice to it; false when the search is over. */
function backtrack(stack: Frame[], bound: number | undefined, stats: ExploreStats): boolean {
  while (stack.length) {
    const d = stack.length - 1;
    const top = stack[d]!;
    let cand = top.backtrack & ~top.done & ~top.sleep;
    while (cand) {
      const q = lowestBit(cand);
      cand &= ~(1 << q);
      const prev = d > 0 ? stack[d - 1]!.chosen : -1;
      const base = d > 0 ? stack[d - 1]!.preemptions : 0;
      const pre = base + (prev >= 0 && top.enabled & (1 << prev) && q !== prev ? 1 : 0);
      if (bound !== undefined && pre > bound) {
        top.done |= 1 << q;
        stats.complete = false;
        continue;
      }
      top.done |= 1 << q;
      top.chosen = q;
      top.preemptions = pre;
      return true;
    }
    stack.pop();
  }
  return false;
}

function hasAlternatives(stack: Frame[]): boolean {
  return stack.some((f) => (f.backtrack & ~f.done & ~f.sleep) !== 0);
}

/**
 * A thread that could run before the frame's step and cannot after it was disabled by
 * that step (a wait whose condition held only for a while, a completion another waiter
 * took). Its op never runs in this execution, so no race shows it: it becomes a choice at
 * the frame (unless asleep there, where an earlier sibling covered it).
 */
function noteDisabled(f: Frame, after: number): void {
  const lost = f.enabled & ~after & ~(1 << f.chosen) & ~f.sleep;
  if (lost) f.backtrack |= lost;
}

/** Keeps asleep only the threads whose next op is independent of the step just taken. */
function wake(rt: Runtime, sleep: number): number {
  if (!sleep) return 0;
  const last = rt.events[rt.visible[rt.visible.length - 1]!]!.op;
  let out = 0;
  for (let m = sleep; m; m &= m - 1) {
    const r = lowestBit(m);
    const op = rt.threads[r]!.pending;
    if (op && !opsDependent(op, last)) out |= 1 << r;
  }
  return out;
}

function footprint(op: Op): readonly number[] {
  if (!op.also) return op.obj >= 0 ? [op.obj] : [];
  return op.obj >= 0 ? [op.obj, ...op.also] : op.also;
}

/**
 * Race analysis of one (possibly sleep-blocked) execution, for the events from `fresh` on
 * (earlier ones were analysed in the execution that first ran them).
 */
function analyzeRaces(rt: Runtime, stack: Frame[], fresh: number): void {
  const hb = rt.hb;
  const n = rt.events.length;
  for (let j = rt.visible[fresh] ?? n; j < n; j++) {
    const ej = rt.events[j]!.op;
    const tj = hb.tids[j]!;
    const fp = footprint(ej);
    if (fp.length === 0) continue;
    for (const o of fp) {
      const list = hb.byObject[o]!;
      for (let n2 = list.lastIndexOf(j) - 1; n2 >= 0; n2--) {
        const i = list[n2]!;
        const ti = hb.tids[i]!;
        if (ti === tj) continue;
        const ei = rt.events[i]!.op;
        if (!opsDependent(ei, ej) || !mayBeCoEnabled(ei, ej)) continue;
        if (!isDirectRace(rt, i, j, fp)) continue;
        addSource(rt, stack, i, j);
      }
    }
  }
}

/**
 * Whether `i` happens before `j` only through their own conflict: `j`'s thread had not
 * seen `i` before `j`, and no event between them that `j` depends on has seen `i`. A
 * release between two acquisitions of a lock does not count (the acquisitions race).
 */
function isDirectRace(rt: Runtime, i: number, j: number, fp: readonly number[]): boolean {
  const hb = rt.hb;
  const tj = hb.tids[j]!;
  const ci = hb.clocks[i]!;
  const ti = hb.tids[i]!;
  const cj = hb.clocks[j]!;
  if (cj[tj]! > 1) {
    // the previous event of j's thread: its clock is j's own entry minus one
    const prevSeen = prevClockEntry(rt, j, ti);
    if (prevSeen >= ci[ti]!) return false;
  }
  const ej = rt.events[j]!.op;
  for (const o of fp) {
    const list = hb.byObject[o]!;
    for (let n = list.length - 1; n >= 0; n--) {
      const k = list[n]!;
      if (k >= j) continue;
      if (k <= i) break;
      const ek = rt.events[k]!.op;
      if (!opsDependent(ek, ej)) continue;
      if (ej.kind === OpKind.Acquire && ek.kind === OpKind.Release && ek.obj === ej.obj) continue;
      if (hb.clocks[k]![ti]! >= ci[ti]!) return false;
    }
  }
  return true;
}

/** What j's thread had seen of thread `t` just before event j. */
function prevClockEntry(rt: Runtime, j: number, t: number): number {
  const hb = rt.hb;
  const tj = hb.tids[j]!;
  for (let k = j - 1; k >= 0; k--) if (hb.tids[k] === tj) return hb.clocks[k]![t]!;
  return 0;
}

/**
 * Ensures that one initial of notdep(i).j is a backtrack choice at the state before `i`:
 * the events after `i` that do not happen after it, then `j`; an initial is the first event
 * of its thread in that sequence with no predecessor in it.
 */
function addSource(rt: Runtime, stack: Frame[], i: number, j: number): void {
  const hb = rt.hb;
  const f = stack[rt.stepOf[i]!]!;
  const ti = hb.tids[i]!;
  const ci = hb.clocks[i]!;
  // first event of each thread in u
  const first = new Map<number, number>();
  for (let k = i + 1; k < j; k++) {
    const tk = hb.tids[k]!;
    if (first.has(tk) || rt.events[k]!.op.kind === OpKind.Local) continue;
    if (hb.clocks[k]![ti]! >= ci[ti]!) continue;
    first.set(tk, k);
  }
  const tj = hb.tids[j]!;
  if (!first.has(tj)) first.set(tj, j);
  const inits: number[] = [];
  for (const [t, k] of first) {
    const ck = hb.clocks[k]!;
    let initial = true;
    for (const [u, m] of first) {
      if (u === t) continue;
      if (m < k && ck[u]! >= hb.clocks[m]![u]!) { initial = false; break; }
    }
    if (initial) inits.push(t);
  }
  let mask = 0;
  for (const t of inits) mask |= 1 << t;
  if (mask & f.backtrack) return;
  const usable = mask & f.enabled;
  if (!usable) return;
  const awake = usable & ~f.sleep;
  f.backtrack |= 1 << lowestBit(awake || usable);
}
