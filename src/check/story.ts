/**
 * The story of a counterexample: the few events a violation depends on, one row a call.
 *
 * The cone is every event that happens before the violating one (sim/hb.ts). Within it,
 * the path is what flowed into the violation from other threads: the latest write of each
 * other thread to each object of the violating event, then into those writes, and so on (a
 * worker's bookkeeping step passes on what its next step depends on). The story keeps the
 * path and the cone's other writes to the path's objects, hides bookkeeping and lone lock
 * steps, folds a call that returns (a revoke path) into one row and a call that does not
 * into the row of its entry, and names the contradicting pair: the event of another thread
 * the violation contradicts (for a revoke, the point at which it returned). It never has
 * more than STORY_ROWS rows: the violation, its cause and the path come first. Events are
 * told apart by their kind and role (sim/op.ts), never by their labels.
 */
import { OpKind, REVOKE_RETURNED, type Op } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { Violation } from '../sim/violation.ts';

/** The most rows a story shows under a violation. */
export const STORY_ROWS = 12;

/** One row of the story: an event, or a call folded with the events inside it. */
export interface StoryRow {
  /** seq of the event the row stands for (a call's return, a call's entry, the event) */
  readonly seq: number;
  /** first and last seq the row folds (inclusive) */
  readonly from: number;
  readonly to: number;
  readonly thread: string;
  readonly text: string;
  /** `violation`: the violating event; `cause`: the first event of the contradicting pair */
  readonly mark?: 'violation' | 'cause';
}

export interface Story {
  /** seqs of the events the shown rows keep (bookkeeping and hidden rows left out) */
  readonly events: number[];
  readonly rows: StoryRow[];
  /** rows of the cone left out to stay within STORY_ROWS (lock steps not counted) */
  readonly omitted: number;
  /** the contradicting pair: `cause` seq, `effect` seq (the violation) and a sentence */
  readonly pair?: { readonly cause: number; readonly effect: number; readonly text: string };
}

const objsOf = (op: Op): number[] => (op.obj >= 0 ? (op.also ? [op.obj, ...op.also] : [op.obj]) : op.also ? [...op.also] : []);
const isLockStep = (op: Op) => op.kind === OpKind.Acquire || op.kind === OpKind.Release;
const isWait = (op: Op) => (op.kind === OpKind.Wait || op.kind === OpKind.WaitMonotone) && op.role !== 'bookkeeping';
const said = (op: Op) => (op.detail ? `${op.label} ${op.detail}` : op.label);

/** The event a story is told towards: the violating one, or the blocked thread's last. */
function anchorOf(rt: Runtime, v: Violation): number {
  if (v.event >= 0) return v.event;
  for (let i = rt.events.length - 1; i >= 0; i--) if (rt.threads[rt.events[i]!.tid]!.name === v.thread) return i;
  return rt.events.length - 1;
}

/**
 * The path into `anchor`: events of other threads whose writes it (transitively) reads.
 * Returns the path's event indices.
 */
function pathInto(rt: Runtime, seeds: readonly number[], pending: Pending | null, inCone: (i: number) => boolean, prevOf: readonly number[]): Set<number> {
  const ev = rt.events;
  const path = new Set<number>(seeds);
  const todo = [...seeds];
  const add = (j: number) => { if (!path.has(j)) { path.add(j); todo.push(j); } };
  /** the latest conflicting event of each other thread on the objects of `op` before `i` */
  const writers = (op: Op, tid: number, i: number) => {
    for (const o of objsOf(op)) {
      const list = rt.hb.byObject[o] ?? [];
      const met = new Set<number>([tid]);
      for (let k = list.length - 1; k >= 0; k--) {
        const j = list[k]!;
        if (j >= i || met.has(ev[j]!.tid)) continue;
        // what flows into an event is what others wrote (a read it conflicts with told it nothing)
        if (!ev[j]!.op.write) continue;
        met.add(ev[j]!.tid);
        if (inCone(j)) add(j);
      }
    }
  };
  if (pending) writers(pending.op, pending.tid, ev.length);
  while (todo.length) {
    const i = todo.pop()!;
    const e = ev[i]!;
    writers(e.op, e.tid, i);
    // a bookkeeping step (a worker taking its job) stands for what the worker goes on to do
    const p = prevOf[i]!;
    if (p >= 0 && (ev[p]!.op.role === 'bookkeeping' || e.op.role === 'bookkeeping')) add(p);
  }
  return path;
}

/** The op a thread blocked for ever waits in (not an event: it never ran). */
interface Pending {
  readonly tid: number;
  readonly op: Op;
}

/** A row being built: the events it folds and what it stands for. */
interface Group {
  readonly key: number;
  readonly tid: number;
  /** the call entry that opens it, or -1 for a single event */
  readonly call: number;
  /** the return that closes the call, or -1 */
  readonly ret: number;
  readonly members: number[];
}

/**
 * Which row each event of thread order belongs to: a call that returns folds every event up
 * to its return (by `until`); a call that does not folds the thread's events up to its next call or step
 * boundary; `alone` events (the violation, its cause) always get their own row.
 */
function groupKeys(rt: Runtime, alone: ReadonlySet<number>, until: number): { key: number[]; call: number[]; ret: number[] } {
  const ev = rt.events;
  const n = ev.length;
  const key = new Array<number>(n).fill(-1);
  const call = new Array<number>(n).fill(-1);
  const ret = new Array<number>(n).fill(-1);
  // frames closed by a return: the thread's latest open call on the same object
  const open = new Map<number, number[]>();
  const closes = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const { tid, op } = ev[i]!;
    if (op.role === 'call' && op.obj >= 0) {
      let l = open.get(tid);
      if (!l) open.set(tid, (l = []));
      l.push(i);
    } else if (op.role === 'return' && i <= until) {
      const l = open.get(tid) ?? [];
      for (let k = l.length - 1; k >= 0; k--) {
        if (ev[l[k]!]!.op.obj === op.obj) { closes.set(l[k]!, i); l.splice(k, 1); break; }
      }
    }
  }
  const frame = new Map<number, { c: number; r: number }>();
  const seg = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const { tid, op } = ev[i]!;
    const f = frame.get(tid);
    if (f && i <= f.r) {
      key[i] = alone.has(i) && i !== f.r ? i : f.c;
      if (i === f.r) frame.delete(tid);
      continue;
    }
    const r = op.role === 'call' ? closes.get(i) : undefined;
    if (r !== undefined) {
      frame.set(tid, { c: i, r });
      call[i] = i;
      ret[i] = r;
      key[i] = i;
      seg.delete(tid);
      continue;
    }
    if (op.role === 'call') { seg.set(tid, i); call[i] = i; key[i] = i; continue; }
    if (op.role === 'step' || op.role === 'step-end' || op.role === 'return') seg.delete(tid);
    const s = seg.get(tid);
    key[i] = s !== undefined && !alone.has(i) ? s : i;
  }
  return { key, call, ret };
}

/** The text of a row. */
function rowText(rt: Runtime, g: Group, kept: ReadonlySet<number>): string {
  const ev = rt.events;
  if (g.call < 0) return said(ev[g.key]!.op);
  const entry = ev[g.call]!.op;
  if (g.ret >= 0) {
    const waits: string[] = [];
    for (let i = g.call + 1; i < g.ret; i++) if (ev[i]!.tid === g.tid && isWait(ev[i]!.op)) waits.push(said(ev[i]!.op));
    return `${entry.label} returned ${waits.length ? `after ${waits.slice(0, 2).join(', ')}${waits.length > 2 ? ', ...' : ''}` : 'without waiting'}`;
  }
  const inner = g.members.filter((i) => i !== g.call && kept.has(i) && !isLockStep(ev[i]!.op)).map((i) => said(ev[i]!.op));
  return inner.length ? `${said(entry)}: ${inner.join('; ')}` : said(entry);
}

/**
 * The story of violation `v` in the finished world `rt` (its clocks still held: a kept or
 * not yet released runtime). Deterministic: it depends on the event order only.
 */
export function storyOf(rt: Runtime, v: Violation): Story {
  const ev = rt.events;
  if (ev.length === 0) return { events: [], rows: [], omitted: 0 };
  const anchor = anchorOf(rt, v);
  const atEnd = v.event < 0;
  const tidOf = (i: number) => ev[i]!.tid;
  // at the end of the execution every event happened before the violation
  const inCone = (i: number) => atEnd || (i <= anchor && rt.hb.at(i, tidOf(i)) <= rt.hb.at(anchor, tidOf(i)));
  const prevOf: number[] = [];
  const last = new Map<number, number>();
  for (let i = 0; i < ev.length; i++) { prevOf.push(last.get(tidOf(i)) ?? -1); last.set(tidOf(i), i); }
  const seeds = [anchor];
  // a call entry touches nothing shared: what it depends on is what its thread did since its step began
  if (objsOf(ev[anchor]!.op).length === 0) {
    for (let p = prevOf[anchor]!; p >= 0 && ev[p]!.op.role !== 'step'; p = prevOf[p]!) seeds.push(p);
  }
  const blocked = atEnd ? rt.threads.find((t) => t.name === v.thread && t.pending) : undefined;
  const path = pathInto(rt, seeds, blocked ? { tid: blocked.id, op: blocked.pending! } : null, inCone, prevOf);
  const pathObjs = new Set<number>();
  for (const i of path) for (const o of objsOf(ev[i]!.op)) pathObjs.add(o);
  const kept = new Set<number>();
  for (let i = 0; i < ev.length; i++) {
    if (!inCone(i) || ev[i]!.op.role === 'bookkeeping') continue;
    if (path.has(i) || (ev[i]!.op.write && objsOf(ev[i]!.op).some((o) => pathObjs.has(o)))) kept.add(i);
  }
  kept.add(anchor);
  const cause = causeOf(rt, anchor, path, inCone, !atEnd);
  if (cause >= 0) kept.add(cause);
  const alone = new Set<number>([anchor, ...(cause >= 0 ? [cause] : [])]);
  const { key, call, ret } = groupKeys(rt, alone, anchor);
  const groups = new Map<number, Group>();
  for (const i of [...kept].sort((a, b) => a - b)) {
    const k = key[i]!;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { key: k, tid: tidOf(i), call: call[k]!, ret: ret[k]!, members: [] }));
    g.members.push(i);
  }
  const score = (g: Group) => {
    if (g.members.includes(anchor)) return 4;
    if (cause >= 0 && (g.members.includes(cause) || g.ret === cause)) return 3;
    if (g.members.every((i) => isLockStep(ev[i]!.op))) return g.call >= 0 || v.property === 'deadlock' ? 1 : 0;
    return g.members.some((i) => path.has(i)) ? 2 : 1;
  };
  // a lock step alone is how, not what: shown inside a call, or where the violation is about locks
  const ranked = [...groups.values()].filter((g) => score(g) > 0).sort((a, b) => score(b) - score(a) || b.key - a.key);
  const shown = ranked.slice(0, STORY_ROWS).sort((a, b) => headOf(a) - headOf(b));
  const name = (tid: number) => rt.threads[tid]!.name;
  const rows: StoryRow[] = shown.map((g) => {
    const to = g.ret >= 0 ? g.ret : Math.max(...g.members);
    const from = g.call >= 0 ? g.call : Math.min(...g.members);
    const mark = g.members.includes(anchor) && v.event >= 0 ? 'violation' as const : cause >= 0 && (g.members.includes(cause) || g.ret === cause) ? 'cause' as const : undefined;
    return { seq: headOf(g) + 1, from: from + 1, to: to + 1, thread: name(g.tid), text: rowText(rt, g, kept), ...(mark ? { mark } : {}) };
  });
  const events = shown.flatMap((g) => g.members).sort((a, b) => a - b).map((i) => i + 1);
  const pair = cause >= 0
    ? { cause: cause + 1, effect: anchor + 1, text: `${said(ev[cause]!.op)} at ${cause + 1} (${name(tidOf(cause))}) ... ${said(ev[anchor]!.op)} at ${anchor + 1} (${name(tidOf(anchor))})` }
    : undefined;
  return { events, rows, omitted: ranked.length - shown.length, ...(pair ? { pair } : {}) };
}

/** The event a row is placed at: a returned call at its return, else its first event. */
function headOf(g: Group): number {
  return g.ret >= 0 ? g.ret : g.call >= 0 ? g.call : g.key;
}

/**
 * The first event of the contradicting pair, of another thread than the violation's: the
 * latest revoke return in the cone, else the latest path event that is not a lock step,
 * else the latest shared write of the cone that is not one, else the latest path event; -1
 * when the violation has no event (found at the end of the execution) or nothing leads to it.
 */
function causeOf(rt: Runtime, anchor: number, path: ReadonlySet<number>, inCone: (i: number) => boolean, hasEvent: boolean): number {
  if (!hasEvent) return -1;
  const ev = rt.events;
  const other = (i: number) => ev[i]!.tid !== ev[anchor]!.tid && ev[i]!.op.role !== 'bookkeeping';
  const cone: number[] = [];
  for (let i = anchor - 1; i >= 0; i--) if (other(i) && inCone(i)) cone.push(i);
  const onPath = cone.filter((i) => path.has(i));
  const plain = (i: number) => !isLockStep(ev[i]!.op);
  return cone.find((i) => ev[i]!.op.mark === REVOKE_RETURNED)
    ?? onPath.find(plain) ?? cone.find((i) => plain(i) && ev[i]!.op.write) ?? onPath[0] ?? -1;
}
