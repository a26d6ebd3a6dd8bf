/**
 * One finished execution, as the graphical reports draw it: threads and device engines,
 * the shared objects several of them touch (buffers, reservations, fences, locks, memory),
 * every event with its footprint, the happens-before edges between threads that are not
 * implied by earlier ones, held-lock intervals, DMA jobs and fence signal -> wait flows.
 * Built from the Runtime of a replayed schedule (check/replay.ts runSchedule); everything
 * is derived from the event order, so the output is deterministic.
 */
import type { ViolationResult } from '../check/result.ts';
import { storyOf, type Story } from '../check/story.ts';
import { formatToken } from '../check/token.ts';
import type { Scenario } from '../scenario/types.ts';
import { OpKind } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import type { Violation } from '../sim/violation.ts';
import { classify, QUIET, shortLabel, type EventClass } from './labels.ts';

export interface XThread {
  readonly tid: number;
  readonly name: string;
  /** driver-internal worker (DMA engine, deferred unmapper) */
  readonly engine: boolean;
}

export type ObjectKind = 'lock' | 'fence' | 'memory' | 'engine' | 'object';

export interface XObject {
  readonly id: number;
  readonly name: string;
  readonly kind: ObjectKind;
}

export interface XEvent {
  /** index in rt.events; seq = index + 1 */
  readonly index: number;
  readonly seq: number;
  readonly tid: number;
  readonly label: string;
  readonly short: string;
  readonly detail: string;
  readonly mark: string;
  readonly cls: EventClass;
  readonly opKind: OpKind;
  readonly write: boolean;
  /** object ids of the footprint (primary first) */
  readonly objs: readonly number[];
  readonly quiet: boolean;
  /** the vector clock, one entry per thread */
  readonly clock: readonly number[];
}

/** A happens-before edge between two threads through an object. */
export interface HbEdge {
  readonly from: number;
  readonly to: number;
  readonly obj: number;
}

export interface XViolation extends Violation {
  /** the one the check result shows */
  readonly shown: boolean;
}

export interface Execution {
  readonly scenario: string;
  readonly file: string;
  readonly description: string;
  readonly token: string;
  readonly threads: readonly XThread[];
  readonly objects: readonly XObject[];
  readonly events: readonly XEvent[];
  readonly hb: readonly HbEdge[];
  readonly violations: readonly XViolation[];
  /** the story of the shown violation (check/story.ts): what the HTML shows by default */
  readonly story?: Story;
}

function objectKind(kinds: Set<OpKind>, name: string): ObjectKind {
  if (kinds.has(OpKind.Acquire) || kinds.has(OpKind.Release)) return 'lock';
  if (kinds.has(OpKind.Signal) || kinds.has(OpKind.WaitMonotone)) return 'fence';
  if (kinds.has(OpKind.Dma) && !name.endsWith('.engine')) return 'memory';
  if (name.endsWith('.engine')) return 'engine';
  return 'object';
}

/**
 * The execution of `rt` (finished), for scenario `sc` run under `schedule`. `shown` is the
 * violation a check result displays (matched by property and event), if any.
 */
export function buildExecution(sc: Scenario, rt: Runtime, schedule: readonly number[], shown?: ViolationResult): Execution {
  const threads = rt.threads.map((t) => ({ tid: t.id, name: t.name, engine: t.background }));
  const events: XEvent[] = rt.events.map((e, i) => {
    const op = e.op;
    const objs = [...(op.obj >= 0 ? [op.obj] : []), ...(op.also ?? [])];
    return {
      index: i, seq: i + 1, tid: e.tid, label: op.label, short: shortLabel(op.label), detail: op.detail ?? '',
      mark: op.mark ?? '', cls: classify(op.label, op.mark), opKind: op.kind, write: op.write, objs,
      quiet: QUIET.has(op.label) && !op.mark, clock: rt.hb.clockOf(i).slice(0, rt.threads.length),
    };
  });
  // Shared objects: touched by at least two threads (they carry the happens-before edges).
  const touchers = new Map<number, Set<number>>();
  const kinds = new Map<number, Set<OpKind>>();
  for (const e of events) {
    for (const o of e.objs) {
      if (!touchers.has(o)) { touchers.set(o, new Set()); kinds.set(o, new Set()); }
      touchers.get(o)!.add(e.tid);
      kinds.get(o)!.add(e.opKind);
    }
  }
  const objects: XObject[] = [];
  for (const [id, who] of touchers) {
    if (who.size < 2) continue;
    const name = rt.objNames[id] ?? `obj${id}`;
    objects.push({ id, name, kind: objectKind(kinds.get(id)!, name) });
  }
  const violations = rt.violations.map((v) => ({
    ...v, shown: shown !== undefined && v.property === shown.property && v.event + 1 === shown.seq,
  }));
  if (shown && !violations.some((v) => v.shown)) {
    const i = violations.findIndex((v) => v.property === shown.property);
    if (i >= 0) violations[i] = { ...violations[i]!, shown: true };
  }
  if (!shown && violations.length > 0) violations[0] = { ...violations[0]!, shown: true };
  const told = violations.find((v) => v.shown);
  return {
    scenario: sc.name, file: sc.file, description: sc.description.trim(),
    token: formatToken(sc.file, sc.hash, schedule),
    threads, objects, events, hb: hbEdges(events), violations, ...(told ? { story: storyOf(rt, told) } : {}),
  };
}

/**
 * Cross-thread happens-before edges that matter: for each event, the latest earlier
 * dependent event of another thread on one of its objects, unless the event's own
 * thread had already seen it (then the edge is implied by an earlier one).
 */
export function hbEdges(events: readonly XEvent[]): HbEdge[] {
  const out: HbEdge[] = [];
  const lastOn = new Map<number, number[]>();
  const prevOfThread = new Map<number, XEvent>();
  for (const e of events) {
    const before = prevOfThread.get(e.tid)?.clock;
    const best = new Map<number, HbEdge>();
    for (const o of e.objs) {
      const list = lastOn.get(o) ?? [];
      for (let k = list.length - 1; k >= 0; k--) {
        const p = events[list[k]!]!;
        if (p.tid === e.tid) continue;
        if (!p.write && !e.write) continue;
        const seen = before ? before[p.tid]! >= p.clock[p.tid]! : false;
        if (!seen) {
          const cur = best.get(p.tid);
          if (!cur || cur.from < p.index) best.set(p.tid, { from: p.index, to: e.index, obj: o });
        }
        break;
      }
    }
    // Keep only edges not implied by another edge into this event.
    const cands = [...best.values()];
    for (const c of cands) {
      const implied = cands.some((d) => d !== c && events[d.from]!.clock[events[c.from]!.tid]! >= events[c.from]!.clock[events[c.from]!.tid]!);
      if (!implied) out.push(c);
    }
    for (const o of e.objs) {
      let l = lastOn.get(o);
      if (!l) lastOn.set(o, (l = []));
      l.push(e.index);
    }
    prevOfThread.set(e.tid, e);
  }
  return out.sort((a, b) => a.to - b.to || a.from - b.from);
}

/** A lock held by a thread from its acquire event to its release event (inclusive). */
export interface LockSpan {
  readonly tid: number;
  readonly obj: number;
  readonly from: number;
  /** release event index, or -1 when still held at the end */
  readonly to: number;
}

export function lockSpans(x: Execution): LockSpan[] {
  const open = new Map<string, number>();
  const out: LockSpan[] = [];
  for (const e of x.events) {
    const o = e.objs[0];
    if (o === undefined) continue;
    const key = `${e.tid}:${o}`;
    if (e.opKind === OpKind.Acquire) open.set(key, e.index);
    else if (e.opKind === OpKind.Release && open.has(key)) {
      out.push({ tid: e.tid, obj: o, from: open.get(key)!, to: e.index });
      open.delete(key);
    }
  }
  for (const [key, from] of open) {
    const [tid, obj] = key.split(':').map(Number) as [number, number];
    out.push({ tid, obj, from, to: -1 });
  }
  return out.sort((a, b) => a.from - b.from);
}

/** A scenario step, from its call event to its done/failed event (inclusive). */
export interface CallSpan {
  readonly tid: number;
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly result: string;
}

export function callSpans(x: Execution): CallSpan[] {
  const open = new Map<number, XEvent>();
  const out: CallSpan[] = [];
  for (const e of x.events) {
    if (e.mark !== 'step') continue;
    const o = open.get(e.tid);
    if (o && (e.label === `${o.label} done` || e.label === `${o.label} failed`)) {
      out.push({ tid: e.tid, name: o.label, from: o.index, to: e.index, result: e.detail || 'ok' });
      open.delete(e.tid);
    } else open.set(e.tid, e);
  }
  for (const [tid, o] of open) out.push({ tid, name: o.label, from: o.index, to: -1, result: 'unfinished' });
  return out.sort((a, b) => a.from - b.from);
}

/** A job of a device engine: from taking it off the queue to the next idle or fetch. */
export interface JobSpan {
  readonly tid: number;
  readonly name: string;
  readonly from: number;
  readonly to: number;
  /** DMA access events inside */
  readonly dma: readonly number[];
}

export function jobSpans(x: Execution): JobSpan[] {
  const out: JobSpan[] = [];
  for (const t of x.threads) {
    if (!t.engine) continue;
    const mine = x.events.filter((e) => e.tid === t.tid);
    let cur: { from: number; last: number; dma: number[]; name: string } | null = null;
    const close = () => {
      if (cur) out.push({ tid: t.tid, name: cur.name, from: cur.from, to: cur.last, dma: cur.dma });
      cur = null;
    };
    for (const e of mine) {
      if (e.label.endsWith(' fetch')) { close(); cur = { from: e.index, last: e.index, dma: [], name: 'job' }; continue; }
      if (e.label.endsWith(' idle')) { close(); continue; }
      if (!cur) continue;
      cur.last = e.index;
      if (e.cls === 'dma') cur.dma.push(e.index);
      if (e.label === 'dma_fence_signal' && cur.name === 'job') cur.name = e.detail;
      if (e.label === 'deferred unmap done') cur.name = `unmap ${e.detail}`;
    }
    close();
  }
  return out.sort((a, b) => a.from - b.from);
}

/** A fence signal and an event of another thread that waited for (or read) that fence after it. */
export interface SignalFlow {
  readonly fence: number;
  readonly signal: number;
  readonly wait: number;
}

export function signalFlows(x: Execution): SignalFlow[] {
  const signalled = new Map<number, number>();
  const out: SignalFlow[] = [];
  for (const e of x.events) {
    const o = e.objs[0];
    if (o === undefined) continue;
    if (e.opKind === OpKind.Signal) { if (!signalled.has(o)) signalled.set(o, e.index); continue; }
    const s = signalled.get(o);
    if (s !== undefined && e.cls === 'wait' && x.events[s]!.tid !== e.tid) out.push({ fence: o, signal: s, wait: e.index });
  }
  return out;
}
