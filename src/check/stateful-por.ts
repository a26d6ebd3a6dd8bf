/**
 * Stateful depth-first search with persistent sets (docs/design.md "Partial-order
 * reduction"): at each state, of the enabled transactions only a persistent set is
 * explored, computed from access footprints over units (stateful.ts `Reduction`).
 *
 * Every transaction of every thread is run on a copy of the state first (the copies are
 * the successors; their violations are real, so they are recorded whether or not the
 * successor is explored), which also gives each enabled thread's next footprint. For a
 * seed thread t the set P is closed: an enabled thread in P adds every other thread that
 * has not returned and whose lifetime footprint conflicts with its next transaction (a
 * write against a read or write of the same unit); a disabled thread in P adds every
 * thread whose lifetime writes a unit its pending op waits on (it could enable it). So no
 * sequence of transactions of threads outside P can touch what P's next transactions
 * touch, or enable a thread of P: P is persistent, and exploring P's enabled threads only
 * reaches every deadlock and every reachable violation (a violation is read from the
 * state the reporting transaction sees, which commuting independent transactions leave as
 * it is). The smallest P over all seeds is taken. The cycle proviso keeps the reduction
 * from ignoring a thread for ever: if a successor in P is on the DFS stack, the state is
 * expanded fully.
 *
 * No Lipton monitor runs here: a model with a reduction checks its own transactions
 * (check/frame-model.ts fuses fine steps under sim/fusion.ts's conditions).
 */
import { Store } from '../sim/store.ts';
import { canonicalise } from './state-symmetry.ts';
import { ExactStateSet, FingerprintSet, type VisitedSet } from './visited.ts';
import { ModelBugError, reportTerminal, threadOffset, ViolationLog, type Reduction, type StatefulModel, type StatefulOptions, type StatefulResult } from './stateful.ts';

/** One DFS level: the state, its successors by thread, their footprints and the threads still to explore. */
interface Level {
  state: Store;
  readonly succ: Store[];
  enabled: number;
  readonly reads: Int32Array;
  readonly writes: Int32Array;
  /** the threads to explore, `todo[0 .. count)` */
  readonly todo: Int32Array;
  count: number;
  pos: number;
  /** h1 of the state's key (the stack proviso's index) */
  keyH1: number;
}

export function porSearch(model: StatefulModel, red: Reduction, opts: StatefulOptions): StatefulResult {
  const layout = model.layout;
  const n = model.threads.length;
  if (n > 31) throw new ModelBugError(`model bug: ${n} threads; persistent sets take 31 at most`);
  const stopAtFirst = opts.stopAtFirst ?? true;
  const groups = opts.symmetry ? (model.symmetry ?? []) : [];
  const visited: VisitedSet = opts.visited ?? (opts.exact ? new ExactStateSet(layout.size, opts.expected) : new FingerprintSet(opts.expected));
  const order = opts.order ?? 0;
  const canon = new Store(layout);
  const key = (s: Store): Store => (groups.length > 0 ? (canonicalise(s, canon, groups), canon) : s);
  const log = new ViolationLog(opts.stopAt ?? (() => stopAtFirst));
  const { sink, pending } = log;
  const levels: Level[] = [];
  /** h1 of the keys on the stack, counted (a collision only expands a state fully) */
  const onStack = new Map<number, number>();
  const schedule: number[] = [];
  let states = 0;
  let transitions = 0;
  let maxDepth = 0;
  let stopped = false;

  const level = (d: number): Level => {
    let l = levels[d];
    if (!l) {
      l = { state: new Store(layout), succ: [], enabled: 0, reads: new Int32Array(n), writes: new Int32Array(n), todo: new Int32Array(n), count: 0, pos: 0, keyH1: 0 };
      for (let t = 0; t < n; t++) l.succ.push(new Store(layout));
      levels[d] = l;
    }
    return l;
  };
  const stackAdd = (h: number, by: number) => {
    const c = (onStack.get(h) ?? 0) + by;
    if (c === 0) onStack.delete(h);
    else onStack.set(h, c);
  };

  /** The threads of a persistent set seeded by `seed` at level `l`, as a mask. */
  function closure(l: Level, seed: number): number {
    let p = 1 << seed;
    const work = [seed];
    while (work.length > 0) {
      const u = work.pop()!;
      const on = (l.enabled >>> u) & 1;
      const r = on ? l.reads[u]! : 0;
      const w = on ? l.writes[u]! : red.guardUnits(l.state, u);
      for (let v = 0; v < n; v++) {
        if ((p >>> v) & 1 || red.ended(l.state, v)) continue;
        const conflict = on ? (w & (red.lifeReads[v]! | red.lifeWrites[v]!)) | (r & red.lifeWrites[v]!) : w & red.lifeWrites[v]!;
        if (conflict !== 0) { p |= 1 << v; work.push(v); }
      }
    }
    return p;
  }

  /** Runs every thread's transaction from level d's state; chooses the threads to explore. Returns whether to stop. */
  function expand(d: number): boolean {
    const l = level(d);
    const cur = l.state;
    l.enabled = 0;
    l.count = 0;
    l.pos = 0;
    for (let t = 0; t < n; t++) {
      if (model.enabled !== undefined && !model.enabled(cur, t)) continue;
      const nxt = l.succ[t]!;
      nxt.copyFrom(cur);
      if (!model.step(nxt, t, sink)) {
        if (nxt.h1 !== cur.h1 || nxt.h2 !== cur.h2 || pending.length > 0) {
          throw new ModelBugError(`model bug: ${model.threads[t]} is disabled but its transaction ${pending.length > 0 ? 'reported a violation' : 'wrote the store'}`);
        }
        continue;
      }
      l.enabled |= 1 << t;
      l.reads[t] = red.lastReads();
      l.writes[t] = red.lastWrites();
      schedule[d] = t;
      if ((++transitions & 1023) === 0 && opts.cancelled?.()) return true;
      if (log.flush(schedule, d + 1)) return true;
    }
    if (l.enabled === 0) return terminal(cur, d);
    let best = l.enabled;
    let bestCount = popcount(best);
    for (let t = 0; t < n && bestCount > 1; t++) {
      if (!((l.enabled >>> t) & 1)) continue;
      const p = closure(l, t) & l.enabled;
      const c = popcount(p);
      if (c < bestCount) { best = p; bestCount = c; }
    }
    if (best !== l.enabled) {
      // the cycle proviso: a successor on the stack means the state is expanded fully
      for (let t = 0; t < n; t++) if ((best >>> t) & 1 && onStack.has(key(l.succ[t]!).h1)) { best = l.enabled; break; }
    }
    const first = threadOffset(cur, order);
    for (let i = 0; i < n; i++) {
      const t = (first + i) % n;
      if ((best >>> t) & 1) l.todo[l.count++] = t;
    }
    return false;
  }

  function terminal(s: Store, d: number): boolean {
    reportTerminal(model, s, sink, opts);
    return log.flush(schedule, d);
  }

  const root = level(0);
  model.init(root.state);
  if (visited.add(key(root.state))) states++;
  model.invariant?.(root.state, sink);
  stopped = log.flush(schedule, 0);
  root.keyH1 = key(root.state).h1;
  stackAdd(root.keyH1, 1);
  let depth = 0;
  if (!stopped) stopped = expand(0);
  while (!stopped && depth >= 0) {
    const l = levels[depth]!;
    if (l.pos >= l.count) {
      stackAdd(l.keyH1, -1);
      depth--;
      continue;
    }
    const t = l.todo[l.pos++]!;
    const nxt = l.succ[t]!;
    if (!visited.add(key(nxt))) continue;
    states++;
    schedule[depth] = t;
    model.invariant?.(nxt, sink);
    if (log.flush(schedule, depth + 1)) { stopped = true; break; }
    if (opts.maxStates !== undefined && visited.size >= opts.maxStates) { stopped = true; break; }
    // the successor becomes the next level's state: swap the stores, no copy
    const below = level(depth + 1);
    l.succ[t] = below.state;
    below.state = nxt;
    depth++;
    if (depth > maxDepth) maxDepth = depth;
    below.keyH1 = key(nxt).h1;
    stackAdd(below.keyH1, 1);
    stopped = expand(depth);
  }
  return {
    states, transitions, maxDepth, complete: !stopped && !visited.overflowed, violations: log.violations,
    omissionProbability: visited.omissionProbability(), visitedBytes: visited.bytes,
  };
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) c++;
  return c;
}
