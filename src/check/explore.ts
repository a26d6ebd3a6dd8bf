/**
 * Explorers: stateless search over schedules by re-execution (DESIGN.md "The runtime").
 *
 * `exhaustive` enumerates every schedule depth-first. `dpor` is dynamic partial-order
 * reduction in the style of Flanagan and Godefroid (POPL 2005) with sleep sets: at each
 * state, for every thread's next op it finds the latest earlier event that conflicts with
 * it, may be co-enabled with it and does not happen before it, and schedules that thread
 * (or, if it was not enabled then, every enabled thread) at the state before that event.
 * (Sleep sets are implemented but disabled, see `useSleep`.)
 */
import { mayBeCoEnabled, opsDependent, type Op } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';

export type Strategy = 'dpor' | 'exhaustive';

export interface ExploreOptions {
  readonly strategy: Strategy;
  readonly maxExecutions?: number;
  readonly preemptions?: number;
  /** steps an execution may take before it is an internal error (a model that never ends) */
  readonly maxSteps?: number;
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
  // Sleep sets are off: combined with this backtracking rule they lost a final state on a
  // generated program (test/sim.test.ts, three threads, a lock and one variable). Until the
  // source-set/wakeup-tree algorithm replaces it, the plain rule is the sound one.
  const useSleep = false;
  const maxSteps = opts.maxSteps ?? 100_000;
  const stats: ExploreStats = { executions: 0, sleepBlocked: 0, maxDepth: 0, complete: true };
  const stack: Frame[] = [];
  let childSleep = 0;
  for (;;) {
    const rt = build();
    for (let d = 0; d < stack.length; d++) {
      const f = stack[d]!;
      if (d === stack.length - 1) {
        const before = dpor ? (f.sleep | f.done) & ~(1 << f.chosen) : 0;
        rt.step(f.chosen);
        childSleep = useSleep ? wake(rt, before) : 0;
      } else rt.step(f.chosen);
    }
    let sleep = stack.length === 0 ? 0 : childSleep;
    let blocked = false;
    for (;;) {
      const en = rt.enabledMask();
      if (en === 0) break;
      if (stack.length >= maxSteps) throw new Error(`an execution exceeded ${maxSteps} steps: the model does not terminate`);
      if (dpor) addBacktracks(rt, stack);
      const avail = en & ~sleep;
      if (avail === 0) { blocked = true; break; }
      const prev = stack.length ? stack[stack.length - 1]!.chosen : -1;
      const p = prev >= 0 && avail & (1 << prev) ? prev : lowestBit(avail);
      const preempt = prev >= 0 && en & (1 << prev) && p !== prev ? 1 : 0;
      const preemptions = (stack.length ? stack[stack.length - 1]!.preemptions : 0) + preempt;
      stack.push({ enabled: en, backtrack: dpor ? 1 << p : en, done: 1 << p, sleep, chosen: p, preemptions });
      rt.step(p);
      sleep = useSleep ? wake(rt, sleep) : 0;
    }
    if (stack.length > stats.maxDepth) stats.maxDepth = stack.length;
    if (blocked) stats.sleepBlocked++;
    else {
      rt.finish();
      stats.executions++;
      if (onExecution(rt, stack.map((f) => f.chosen))) return stats;
    }
    if (opts.maxExecutions !== undefined && stats.executions >= opts.maxExecutions) {
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

/** Keeps asleep only the threads whose next op is independent of the step just taken. */
function wake(rt: Runtime, sleep: number): number {
  if (!sleep) return 0;
  const last = rt.events[rt.events.length - 1]!.op;
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

/** The race-detection step of the reduction, at the current state. */
function addBacktracks(rt: Runtime, stack: Frame[]): void {
  const hb = rt.hb;
  for (const t of rt.threads) {
    const op = t.pending;
    if (!op) continue;
    let best = -1;
    for (const o of footprint(op)) {
      const list = hb.byObject.get(o);
      if (!list) continue;
      for (let n = list.length - 1; n >= 0; n--) {
        const j = list[n]!;
        if (j <= best) break;
        if (hb.tids[j] === t.id) continue;
        const other = rt.events[j]!.op;
        if (!opsDependent(op, other) || !mayBeCoEnabled(op, other)) continue;
        if (hb.happensBeforeThread(j, t.id)) continue;
        best = j;
        break;
      }
    }
    if (best < 0) continue;
    const f = stack[best]!;
    if (f.enabled & (1 << t.id)) f.backtrack |= 1 << t.id;
    else f.backtrack |= f.enabled;
  }
}
