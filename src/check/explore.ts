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
 * that disabled it (`noteDisabled`); a thread found waiting in a disabled op, whether it
 * wakes later or never, races with the steps that op conflicts with as if the op were an
 * event there (`analyzeWait`); and a race whose second thread waited, disabled, before the
 * first event, with no initial that could run there, makes every enabled thread a choice.
 * A race whose reversing sequence begins with a thread asleep there adds nothing (the
 * sibling that put it to sleep explored that beginning), nor one whose second thread
 * waits there in an op nothing before the second event touches (the first event is what
 * enables it: the race cannot be reversed).
 *
 * Optimal DPOR's wakeup trees (the paper's Algorithm 2) were tried and left out: with
 * waits and locks a reversing sequence can block half-way, and the tree's claims that a
 * thread explored or asleep covers a sequence then lost executions (issue 6 note).
 */
import { performance } from 'node:perf_hooks';
import { eventsDependent, opsDependent, type Op } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import { defaultChoice } from './policy.ts';
import { analyzeRaces, lowestBit, noteWaits, type RaceRecorder, type Wait } from './races.ts';

/**
 * `sleep`: every awake thread at every state, with sleep sets and no race analysis. It
 * completes one execution per class, as dpor does (a second interleaving of a class meets
 * a thread asleep before its next event, Godefroid 1996), without relying on any of dpor's
 * race rules: the reference dpor's class count is checked against (equivalence.test.ts).
 */
export type Strategy = 'dpor' | 'exhaustive' | 'sleep';

export interface ExploreOptions {
  readonly strategy: Strategy;
  readonly maxExecutions?: number;
  /** stop after this many executions and sleep-blocked prefixes together */
  readonly maxPrefixes?: number;
  readonly preemptions?: number;
  /** steps an execution may take before it is an internal error (a model that never ends) */
  readonly maxSteps?: number;
  /** performance.now() value after which the search stops, incomplete */
  readonly deadline?: number;
  /** explore only this shard of the space (see `Shard`) */
  readonly shard?: Shard;
  /** polled after each execution: true stops the search, incomplete (another worker's hit) */
  readonly cancelled?: () => boolean;
  /**
   * where no earlier choice decides, run the highest-numbered thread, not the lowest: the
   * same classes by other representatives. A model that reads shared state outside its ops
   * shows up as a difference (test/shard.test.ts).
   */
  readonly mirror?: boolean;
  /** dpor: told of every race that adds a backtrack choice, and of every thread a step disabled */
  readonly onRace?: RaceRecorder;
}

/**
 * A part of the search. The first `depth` branching steps of every execution (steps with
 * two or more awake threads) are expanded fully, so that no race found below them can add
 * a choice above them; the subtrees below form a sequence of units that every shard
 * enumerates in the same order. Shard `index` explores unit k when k mod count = index,
 * or, with `claim`, the units it claims from a counter shared with the other shards (each
 * unit goes to exactly one claimant, whichever is free first). Every shard walks the same
 * upper tree, so the shards' union is the unsharded search with full expansion at the top:
 * the same equivalence classes, each once.
 */
export interface Shard {
  readonly index: number;
  readonly count: number;
  readonly depth: number;
  /** returns the lowest unit nobody has claimed yet, and claims it (an atomic counter) */
  readonly claim?: () => number;
}

/**
 * Split depths measured on the bundled scenarios (issue 9 note): subtrees are very uneven,
 * so a static split needs many units (12 branching steps for 2 shards, two more each time
 * the count doubles); claiming balances itself with fewer (8), and every extra level of
 * full expansion costs sleep-blocked prefixes.
 */
export function shardDepth(count: number, claimed: boolean): number {
  return claimed ? 8 : 10 + 2 * Math.ceil(Math.log2(Math.max(2, count)));
}

export interface ExploreStats {
  executions: number;
  /** prefixes abandoned because every enabled thread slept (covered elsewhere) */
  sleepBlocked: number;
  maxDepth: number;
  /** no bound or limit cut the search (stopping at a wanted violation is no cut) */
  complete: boolean;
  /**
   * prefixes dropped because they end with a thread held only by the world's symmetry
   * order (Runtime.useSymmetry): images of executions explored in their place
   */
  symmetric: number;
}

interface Frame {
  enabled: number;
  backtrack: number;
  done: number;
  sleep: number;
  chosen: number;
  preemptions: number;
  /** branching frames up to and including this one (sharding) */
  level: number;
}

/**
 * Runs `build()` worlds under every schedule the strategy needs; calls `onExecution` with
 * each finished world and its schedule, and stops when it returns true. A world is the
 * callback's only while it runs: one it wants afterwards it must `keep()` (Runtime.release).
 */
export function explore(
  build: () => Runtime, opts: ExploreOptions, onExecution: (rt: Runtime, schedule: number[]) => boolean,
): ExploreStats {
  const races = opts.strategy === 'dpor';
  const sleepSets = races || opts.strategy === 'sleep';
  const maxSteps = opts.maxSteps ?? 100_000;
  const stats: ExploreStats = { executions: 0, sleepBlocked: 0, maxDepth: 0, complete: true, symmetric: 0 };
  const stack: Frame[] = [];
  const shard = opts.shard && opts.shard.count > 1 ? opts.shard : undefined;
  const split = shard ? shard.depth : Infinity;
  let units = 0;
  let mine = -1;
  /** A unit of the sharded space begins: whether this shard explores it. */
  const ours = (): boolean => {
    const u = units++;
    if (!shard!.claim) return u % shard!.count === shard!.index;
    // every unit before u is claimed (by us when we passed it unclaimed), so claim() >= u
    if (u > mine) mine = shard!.claim();
    return u === mine;
  };
  /** The frame whose step enters a unit: the split-th branching step. */
  const entersUnit = (f: Frame) => f.level === split && isBranch(f);
  let childSleep = 0;
  for (;;) {
    const rt = build();
    const fresh = Math.max(0, stack.length - 1);
    let foreign = false;
    for (let d = 0; d < stack.length; d++) {
      const f = stack[d]!;
      if (d === stack.length - 1) {
        const before = sleepSets ? (f.sleep | f.done) & ~(1 << f.chosen) : 0;
        rt.step(f.chosen);
        if (sleepSets) noteDisabled(rt, f, rt.enabledMask(), opts.onRace);
        childSleep = sleepSets ? wake(rt, before) : 0;
        if (shard && entersUnit(f) && !ours()) foreign = true;
      } else rt.step(f.chosen);
    }
    let sleep = stack.length === 0 ? 0 : childSleep;
    let blocked = false;
    let image = false;
    const waits: Wait[] = [];
    const waitOp: (Op | null)[] = [];
    while (!foreign) {
      const en = rt.enabledMask();
      if (races) noteWaits(rt, en, waits, waitOp);
      if (en === 0) {
        image = rt.threads.some((t) => rt.symmetryBlocks(t.id));
        break;
      }
      if (stack.length >= maxSteps) throw new Error(`an execution exceeded ${maxSteps} steps: the model does not terminate`);
      const avail = en & ~sleep;
      if (avail === 0) { blocked = true; break; }
      const below = stack.length ? stack[stack.length - 1]! : undefined;
      const prev = below ? below.chosen : -1;
      const p = defaultChoice(avail, prev, opts.mirror);
      const preempt = prev >= 0 && en & (1 << prev) && p !== prev ? 1 : 0;
      const preemptions = (below ? below.preemptions : 0) + preempt;
      const branch = (avail & (avail - 1)) !== 0;
      const level = (below ? below.level : 0) + (branch ? 1 : 0);
      // above the split every awake thread is a choice, so the upper tree is the same in every shard
      const full = !races || (shard !== undefined && branch && level <= split);
      const frame: Frame = { enabled: en, backtrack: full ? (sleepSets ? avail : en) : 1 << p, done: 1 << p, sleep, chosen: p, preemptions, level };
      stack.push(frame);
      rt.step(p);
      if (sleepSets) noteDisabled(rt, frame, rt.enabledMask(), opts.onRace);
      sleep = sleepSets ? wake(rt, sleep) : 0;
      if (shard && entersUnit(frame) && !ours()) foreign = true;
    }
    // an execution that ends above the split is a unit of its own
    if (shard && !foreign && (stack.length === 0 || stack[stack.length - 1]!.level < split) && !ours()) foreign = true;
    if (foreign) {
      rt.release();
      if (!backtrack(stack, opts.preemptions, stats)) return stats;
      continue;
    }
    if (races) analyzeRaces(rt, stack, fresh, waits, opts.onRace);
    if (stack.length > stats.maxDepth) stats.maxDepth = stack.length;
    let stop = false;
    if (blocked) stats.sleepBlocked++;
    else if (image) stats.symmetric++;
    else {
      rt.finish();
      stats.executions++;
      stop = onExecution(rt, stack.map((f) => f.chosen));
    }
    rt.release();
    if (stop) return stats;
    const late = opts.deadline !== undefined && stats.executions % 16 === 0 && performance.now() > opts.deadline;
    const cut = (opts.maxExecutions !== undefined && stats.executions >= opts.maxExecutions)
      || (opts.maxPrefixes !== undefined && stats.executions + stats.sleepBlocked >= opts.maxPrefixes);
    if (late || opts.cancelled?.() || cut) {
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

/** More than one awake thread could run at the frame (sharding counts only these). */
function isBranch(f: Frame): boolean {
  const avail = f.enabled & ~f.sleep;
  return (avail & (avail - 1)) !== 0;
}

function hasAlternatives(stack: Frame[]): boolean {
  return stack.some((f) => (f.backtrack & ~f.done & ~f.sleep) !== 0);
}

/**
 * A thread that could run before the frame's step and cannot after it was disabled by
 * that step (a wait whose condition held only for a while, a completion another waiter
 * took). Its op never runs in this execution, so no race shows it: it becomes a choice at
 * the frame (unless asleep there, where an earlier sibling covered it).
 *
 * A thread the step enabled or disabled must have a pending op that conflicts with the
 * step: the race analysis takes it that an op's enabled() reads only the op's objects
 * (races.ts, irreversible races). A model that breaks this stops the search.
 */
function noteDisabled(rt: Runtime, f: Frame, after: number, record: RaceRecorder | undefined): void {
  const lost = f.enabled & ~after & ~(1 << f.chosen) & ~f.sleep;
  const changed = (f.enabled ^ after) & ~(1 << f.chosen);
  if (!changed) return;
  const step = rt.events[rt.visible[rt.visible.length - 1]!]!.op;
  if (lost) {
    if (record) for (let m = lost & ~f.backtrack; m; m &= m - 1) record(rt.objNames[step.obj] ?? '', step, f.chosen, rt.threads[lowestBit(m)]!.pending!, lowestBit(m), 'disabled');
    f.backtrack |= lost;
  }
  for (let m = changed; m; m &= m - 1) {
    const t = rt.threads[lowestBit(m)]!;
    // a refreshed op may have changed with the step: its selector is in its footprint
    if (t.dynamic || !t.pending || opsDependent(t.pending, step)) continue;
    const how = f.enabled & (1 << t.id) ? 'disabled' : 'enabled';
    throw new Error(`model bug: '${t.pending.label}' of ${t.name} was ${how} by '${step.label}' of ${rt.threads[f.chosen]!.name}, which touches none of its objects: its enabled() reads state outside its footprint (Op.enabled)`);
  }
}

/**
 * Keeps asleep only the threads whose next op is independent of the step just taken. A
 * sleeping counter op is judged as it would run now, after the step: where the two commute
 * in this order they commute in the other too (Runtime.counterMode).
 */
export function wake(rt: Runtime, sleep: number): number {
  if (!sleep) return 0;
  const last = rt.events[rt.visible[rt.visible.length - 1]!]!;
  let out = 0;
  for (let m = sleep; m; m &= m - 1) {
    const r = lowestBit(m);
    const op = rt.threads[r]!.pending;
    if (op && !eventsDependent(op, op.counter ? rt.counterMode(r, op) : 0, last.op, last.mode)) out |= 1 << r;
  }
  return out;
}
