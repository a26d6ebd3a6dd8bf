/**
 * Explorers: stateless search over schedules by re-execution (DESIGN.md "The runtime").
 *
 * `exhaustive` enumerates every schedule depth-first. `dpor` is Optimal DPOR with sleep
 * sets and wakeup trees (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014, Algorithm 2): after
 * each execution, for every pair of events in a reversible race (dependent, of different
 * threads, ordered directly, possibly co-enabled), the sequence of the events after the
 * first that do not depend on it, followed by the second, goes into the wakeup tree of the
 * state before the first, unless a thread explored or asleep there can begin it; a branch
 * of the tree is followed step by step when it is explored. Sleep sets prune orders of
 * independent steps that an earlier sibling already covered. A lock acquisition races with
 * the previous acquisition of the lock by another thread (the release between them is not
 * a race partner, it is never co-enabled with the acquisition). Steps can disable other
 * threads (a condition that held only for a while): such a thread becomes a choice before
 * the step that disabled it (`noteDisabled`). Without blocking steps no execution ends
 * sleep-blocked; with locks and waits a few still do (the paper's optimality assumes
 * every step stays enabled until taken).
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
  /** explore only this shard of the space (see `Shard`) */
  readonly shard?: Shard;
  /** polled after each execution: true stops the search, incomplete (another worker's hit) */
  readonly cancelled?: () => boolean;
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
}

/**
 * A wakeup tree node (Optimal DPOR): a step of thread `tid` whose next op is `op`, and the
 * steps to take after it, leftmost first.
 */
interface WuNode {
  readonly tid: number;
  readonly op: Op;
  readonly children: WuNode[];
}

interface Frame {
  enabled: number;
  /** the wakeup tree of the state before the step, less the children explored or begun */
  todo: WuNode[] | null;
  /** the rest of the chosen child's subtree, which the steps below the frame follow */
  sub: WuNode[] | null;
  /**
   * threads to try after the wakeup tree, each with any continuation: every awake thread of
   * a fully expanded frame, a thread the step disabled. Kept out of the tree, where a leaf
   * would stand for (and swallow) the longer sequences that races insert.
   */
  extra: number;
  /** every awake thread is a choice here (exhaustive, or above a shard split) */
  full: boolean;
  done: number;
  sleep: number;
  /** the sleeping threads that fell asleep at fully expanded frames (see `insertReversal`) */
  sleepFull: number;
  chosen: number;
  preemptions: number;
  /** branching frames up to and including this one (sharding) */
  level: number;
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
  let childSleepFull = 0;
  /** the wakeup subtree the next new frame follows */
  let guide: WuNode[] | null = null;
  for (;;) {
    const rt = build();
    const fresh = Math.max(0, stack.length - 1);
    let foreign = false;
    for (let d = 0; d < stack.length; d++) {
      const f = stack[d]!;
      if (d === stack.length - 1) {
        const before = dpor ? (f.sleep | f.done) & ~(1 << f.chosen) : 0;
        rt.step(f.chosen);
        if (dpor) noteDisabled(f, rt.enabledMask());
        childSleep = dpor ? wake(rt, before) : 0;
        childSleepFull = (f.sleepFull | (f.full ? f.done & ~(1 << f.chosen) : 0)) & childSleep;
        guide = f.sub;
        if (shard && entersUnit(f) && !ours()) foreign = true;
      } else rt.step(f.chosen);
    }
    let sleep = stack.length === 0 ? 0 : childSleep;
    let sleepFull = stack.length === 0 ? 0 : childSleepFull;
    if (stack.length === 0) guide = null;
    let blocked = false;
    while (!foreign) {
      const en = rt.enabledMask();
      if (en === 0) break;
      if (stack.length >= maxSteps) throw new Error(`an execution exceeded ${maxSteps} steps: the model does not terminate`);
      const avail = en & ~sleep;
      if (avail === 0) { blocked = true; break; }
      const below = stack.length ? stack[stack.length - 1]! : undefined;
      const prev = below ? below.chosen : -1;
      let p = prev >= 0 && avail & (1 << prev) ? prev : lowestBit(avail);
      let todo: WuNode[] | null = null;
      let sub: WuNode[] | null = null;
      if (guide) {
        // inside a wakeup tree: its leftmost child is the step, its siblings wait at this frame
        const n = guide[0]!;
        todo = guide.length > 1 ? guide.slice(1) : null;
        if (avail & (1 << n.tid)) { p = n.tid; sub = n.children.length ? n.children : null; }
        else (todo ??= []).unshift(n);
      }
      guide = sub;
      const preempt = prev >= 0 && en & (1 << prev) && p !== prev ? 1 : 0;
      const preemptions = (below ? below.preemptions : 0) + preempt;
      const branch = (avail & (avail - 1)) !== 0;
      const level = (below ? below.level : 0) + (branch ? 1 : 0);
      // above the split every awake thread is a choice, so the upper tree is the same in every shard
      const full = !dpor || (shard !== undefined && branch && level <= split);
      const extra = full ? (dpor ? avail : en) & ~(1 << p) : 0;
      const frame: Frame = { enabled: en, todo, sub, extra, full, done: 1 << p, sleep, sleepFull, chosen: p, preemptions, level };
      stack.push(frame);
      rt.step(p);
      if (dpor) noteDisabled(frame, rt.enabledMask());
      sleep = dpor ? wake(rt, sleep) : 0;
      sleepFull &= sleep;
      if (shard && entersUnit(frame) && !ours()) foreign = true;
    }
    // an execution that ends above the split is a unit of its own
    if (shard && !foreign && (stack.length === 0 || stack[stack.length - 1]!.level < split) && !ours()) foreign = true;
    if (foreign) {
      if (!backtrack(stack, opts.preemptions, stats)) return stats;
      continue;
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
    if (late || opts.cancelled?.() || (opts.maxExecutions !== undefined && stats.executions >= opts.maxExecutions)) {
      stats.complete = !hasAlternatives(stack);
      return stats;
    }
    if (!backtrack(stack, opts.preemptions, stats)) return stats;
  }
}

/**
 * Moves the deepest frame with an unexplored choice to it (the leftmost child of its
 * wakeup tree, then its extra threads, lowest first); false when the search is over.
 */
function backtrack(stack: Frame[], bound: number | undefined, stats: ExploreStats): boolean {
  while (stack.length) {
    const d = stack.length - 1;
    const top = stack[d]!;
    for (;;) {
      let q: number;
      let sub: WuNode[] | null = null;
      if (top.todo && top.todo.length) {
        const n = top.todo.shift()!;
        q = n.tid;
        sub = n.children.length ? n.children : null;
      } else if (top.extra) {
        q = lowestBit(top.extra);
        top.extra &= top.extra - 1;
      } else break;
      if ((top.done | top.sleep) & (1 << q) || !(top.enabled & (1 << q))) continue;
      const prev = d > 0 ? stack[d - 1]!.chosen : -1;
      const base = d > 0 ? stack[d - 1]!.preemptions : 0;
      const pre = base + (prev >= 0 && top.enabled & (1 << prev) && q !== prev ? 1 : 0);
      top.done |= 1 << q;
      if (bound !== undefined && pre > bound) {
        stats.complete = false;
        continue;
      }
      top.chosen = q;
      top.preemptions = pre;
      top.sub = sub;
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
  return stack.some((f) => {
    let open = f.extra;
    if (f.todo) for (const n of f.todo) open |= 1 << n.tid;
    return (open & f.enabled & ~f.done & ~f.sleep) !== 0;
  });
}

/**
 * A thread that could run before the frame's step and cannot after it was disabled by
 * that step (a wait whose condition held only for a while, a completion another waiter
 * took). Its op never runs in this execution, so no race shows it: it becomes a choice at
 * the frame (unless asleep there, where an earlier sibling covered it).
 */
function noteDisabled(f: Frame, after: number): void {
  f.extra |= f.enabled & ~after & ~f.done & ~f.sleep;
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
        insertReversal(rt, stack, i, j);
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
  const ti = hb.tids[i]!;
  const iSeq = hb.at(i, ti);
  if (hb.at(j, tj) > 1) {
    // the previous event of j's thread: its clock is j's own entry minus one
    const prevSeen = prevClockEntry(rt, j, ti);
    if (prevSeen >= iSeq) return false;
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
      if (hb.at(k, ti) >= iSeq) return false;
    }
  }
  return true;
}

/** What j's thread had seen of thread `t` just before event j. */
function prevClockEntry(rt: Runtime, j: number, t: number): number {
  const hb = rt.hb;
  const tj = hb.tids[j]!;
  for (let k = j - 1; k >= 0; k--) if (hb.tids[k] === tj) return hb.at(k, t);
  return 0;
}

/**
 * Optimal DPOR's race reversal (POPL 2014, Algorithm 2): the sequence v = notdep(i).j (the
 * steps after `i` that do not happen after it, then `j`) goes into the wakeup tree of the
 * state before `i`, unless a thread explored or asleep there is a weak initial of v (some
 * execution that reverses the race begins with that thread, and its branch covers it).
 * Following v exactly when it is explored is what keeps the branch from ending
 * sleep-blocked.
 */
function insertReversal(rt: Runtime, stack: Frame[], i: number, j: number): void {
  const hb = rt.hb;
  const f = stack[rt.stepOf[i]!]!;
  const ti = hb.tids[i]!;
  const iSeq = hb.at(i, ti);
  const vt: number[] = [];
  const vo: Op[] = [];
  for (let k = i + 1; k < j; k++) {
    const op = rt.events[k]!.op;
    if (op.kind === OpKind.Local || hb.at(k, ti) >= iSeq) continue;
    vt.push(hb.tids[k]!);
    vo.push(op);
  }
  vt.push(hb.tids[j]!);
  vo.push(rt.events[j]!.op);
  if (f.full || !(f.enabled & (1 << vt[0]!))) return;
  for (let covered = (f.sleep | f.done) & ~(1 << f.chosen); covered; covered &= covered - 1) {
    const u = lowestBit(covered);
    // A thread outside v put to sleep by a fully expanded frame does not cover it: that
    // frame drops the sequences races insert (every shard must see the same upper tree), and
    // the one that would lead from the thread's branch to v's executions may be among them.
    // An initial of v covers it by the sleep sets alone.
    if (f.sleepFull & (1 << u) && !vt.includes(u)) continue;
    const op = nextOpAfter(rt, u, i);
    if (op && weakInitial(u, op, vt, vo)) return;
  }
  let nodes = (f.todo ??= []);
  descend: for (;;) {
    for (const c of nodes) {
      if (!weakInitial(c.tid, c.op, vt, vo)) continue;
      if (c.children.length === 0) return;
      const m = vt.indexOf(c.tid);
      if (m >= 0) { vt.splice(m, 1); vo.splice(m, 1); }
      if (vt.length === 0) return;
      nodes = c.children;
      continue descend;
    }
    break;
  }
  for (let k = 0; k < vt.length; k++) {
    const n: WuNode = { tid: vt[k]!, op: vo[k]!, children: [] };
    nodes.push(n);
    nodes = n.children;
  }
}

/**
 * Whether thread `u`, whose next op is `op`, can take the first step of some execution that
 * begins with the sequence (threads `vt`, ops `vo`): its first step in it depends on no
 * step before it, or it has none there and its op commutes with every step.
 */
function weakInitial(u: number, op: Op, vt: readonly number[], vo: readonly Op[]): boolean {
  const m = vt.indexOf(u);
  const end = m >= 0 ? m : vt.length;
  const own = m >= 0 ? vo[m]! : op;
  for (let k = 0; k < end; k++) if (opsDependent(vo[k]!, own)) return false;
  return true;
}

/** The op thread `u` runs next after event `i`: its next event, or its pending op. */
function nextOpAfter(rt: Runtime, u: number, i: number): Op | null {
  const tids = rt.hb.tids;
  for (let k = i + 1; k < rt.events.length; k++) if (tids[k] === u) return rt.events[k]!.op;
  return rt.threads[u]!.pending;
}
