/**
 * The Chrome/Perfetto trace of one execution (Trace Event Format JSON, ECOSYSTEM.md #8).
 * Process 1 holds one track (tid) per thread and device engine named with
 * `M thread_name`: complete (`X`) slices for scenario steps, held locks, engine jobs and
 * every event (one logical step long), nested per track; a slice that would cross
 * another slice of its track becomes an async `b`/`e` pair instead. Process 2 holds one
 * track per shared lock, fence and memory region: every event that touched it, under the
 * spans of object-spans.ts (held by, unsignalled, a region's state). Flow arrows
 * (`s`/`f`, `bp: "e"`) go from a fence's signal to every later wait for it in another
 * thread, and from a job's submission to the engine that takes it. Violations are instant
 * (`i`) events. `ts` is the logical step x 1000 (one step shows as 1 ms), so output is
 * deterministic; the process names and `otherData.timestamps` say so to the reader.
 */
import { OpKind } from '../sim/op.ts';
import { callSpans, jobSpans, lockSpans, signalFlows, type Execution } from './execution.ts';
import { objectSpans, TRACKED_KINDS } from './object-spans.ts';

export interface TraceEvent {
  name: string;
  cat?: string;
  ph: string;
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  id?: number;
  bp?: string;
  s?: string;
  args?: Record<string, unknown>;
}

export interface TraceFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string>;
}

const PID = 1;
/** the process of the shared objects' tracks */
const OBJECTS_PID = 2;
const STEP = 1000;

/** What `ts` means, in the trace's metadata and its process names. */
export const TIMESTAMPS = 'logical steps: ts = step x 1000, so one step of the execution shows as 1 ms; steps order the events of this one execution and measure no time';

interface Slice { tid: number; from: number; to: number; name: string; cat: string; args: Record<string, unknown> }

/**
 * Emits `slices` as X slices nested per track (longest first at equal start); a slice
 * that crosses the open one of its track goes async (`b`/`e` with ids from `nextId`).
 */
function emitSlices(out: TraceEvent[], pid: number, slices: Slice[], nextId: () => number): void {
  slices.sort((a, b) => a.tid - b.tid || a.from - b.from || b.to - a.to);
  const stack: Slice[] = [];
  let curTid = -1;
  for (const s of slices) {
    if (s.tid !== curTid) { stack.length = 0; curTid = s.tid; }
    while (stack.length && stack[stack.length - 1]!.to < s.from) stack.pop();
    const top = stack[stack.length - 1];
    if (top && s.to > top.to) {
      const id = nextId();
      out.push({ name: s.name, cat: s.cat, ph: 'b', ts: s.from * STEP, pid, tid: s.tid, id, args: s.args });
      out.push({ name: s.name, cat: s.cat, ph: 'e', ts: (s.to + 1) * STEP, pid, tid: s.tid, id });
      continue;
    }
    out.push({ name: s.name, cat: s.cat, ph: 'X', ts: s.from * STEP, dur: (s.to - s.from + 1) * STEP, pid, tid: s.tid, args: s.args });
    stack.push(s);
  }
}

/**
 * The tracks of the shared locks, fences and memory regions, after the thread tracks
 * (tids go on from `firstTid` so that no two tracks of the file share one).
 */
function objectTracks(x: Execution, out: TraceEvent[], firstTid: number, nextId: () => number): void {
  const order: Record<string, number> = { lock: 0, fence: 1, memory: 2 };
  const objs = x.objects.filter((o) => TRACKED_KINDS.has(o.kind)).sort((a, b) => order[a.kind]! - order[b.kind]! || a.id - b.id);
  if (!objs.length) return;
  out.push({ name: 'process_name', ph: 'M', ts: 0, pid: OBJECTS_PID, tid: 0, args: { name: 'shared objects (ts: logical steps)' } });
  out.push({ name: 'process_sort_index', ph: 'M', ts: 0, pid: OBJECTS_PID, tid: 0, args: { sort_index: 1 } });
  const tidOf = new Map<number, number>();
  objs.forEach((o, k) => {
    const tid = firstTid + k;
    tidOf.set(o.id, tid);
    out.push({ name: 'thread_name', ph: 'M', ts: 0, pid: OBJECTS_PID, tid, args: { name: `${o.name} (${o.kind})` } });
    out.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: OBJECTS_PID, tid, args: { sort_index: k } });
  });
  const slices: Slice[] = objectSpans(x).map((s) => ({ tid: tidOf.get(s.obj)!, from: s.from, to: s.to, name: s.name, cat: s.cat, args: s.args }));
  for (const e of x.events) {
    const thread = x.threads[e.tid]?.name ?? `thread ${e.tid}`;
    for (const o of e.objs) {
      const tid = tidOf.get(o);
      if (tid === undefined) continue;
      slices.push({ tid, from: e.index, to: e.index, name: `${thread}: ${e.short}`, cat: 'access', args: { seq: e.seq, thread, label: e.label, dma: e.cls === 'dma', ...(e.detail ? { detail: e.detail } : {}), ...(e.mark ? { mark: e.mark } : {}), write: e.write } });
    }
  }
  emitSlices(out, OBJECTS_PID, slices, nextId);
}

/** The trace of an execution. */
export function renderTrace(x: Execution): TraceFile {
  const out: TraceEvent[] = [];
  const tidOf = (t: number) => t + 1;
  const objName = (o: number) => x.objects.find((b) => b.id === o)?.name ?? `#${o}`;
  out.push({ name: 'process_name', ph: 'M', ts: 0, pid: PID, tid: 0, args: { name: `${x.scenario} (${x.file}): threads (ts: logical steps)` } });
  out.push({ name: 'process_sort_index', ph: 'M', ts: 0, pid: PID, tid: 0, args: { sort_index: 0 } });
  for (const t of x.threads) {
    out.push({ name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid: tidOf(t.tid), args: { name: t.engine ? `${t.name} (worker)` : t.name } });
    out.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: PID, tid: tidOf(t.tid), args: { sort_index: t.tid } });
  }
  const last = Math.max(0, x.events.length - 1);
  const slices: Slice[] = [];
  for (const c of callSpans(x)) slices.push({ tid: c.tid, from: c.from, to: c.to < 0 ? last : c.to, name: c.name, cat: 'step', args: { result: c.result } });
  for (const l of lockSpans(x)) slices.push({ tid: l.tid, from: l.from, to: l.to < 0 ? last : l.to, name: `holds ${objName(l.obj)}`, cat: 'lock', args: { lock: objName(l.obj), released: l.to >= 0 } });
  for (const j of jobSpans(x)) slices.push({ tid: j.tid, from: j.from, to: j.to, name: j.name, cat: 'job', args: { dma: j.dma.map((d) => d + 1) } });
  for (const e of x.events) {
    slices.push({
      tid: e.tid, from: e.index, to: e.index, name: e.short, cat: e.cls === 'dma' ? 'dma' : e.quiet ? 'bookkeeping' : 'event',
      args: { seq: e.seq, label: e.label, ...(e.detail ? { detail: e.detail } : {}), ...(e.mark ? { mark: e.mark } : {}), objects: e.objs.map(objName) },
    });
  }
  let asyncId = 1;
  const nextId = () => asyncId++;
  emitSlices(out, PID, slices.map((s) => ({ ...s, tid: tidOf(s.tid) })), nextId);
  objectTracks(x, out, tidOf(x.threads.length), nextId);
  // Flows: signal -> wait, submit -> the engine's fetch of that job.
  let flowId = 1;
  const flow = (name: string, cat: string, from: number, to: number) => {
    const id = flowId++;
    out.push({ name, cat, ph: 's', ts: from * STEP, pid: PID, tid: tidOf(x.events[from]!.tid), id });
    out.push({ name, cat, ph: 'f', bp: 'e', ts: to * STEP, pid: PID, tid: tidOf(x.events[to]!.tid), id });
  };
  for (const f of signalFlows(x)) flow(`signal ${objName(f.fence)}`, 'fence', f.signal, f.wait);
  const submits = new Map<number, number[]>();
  for (const e of x.events) {
    const o = e.objs[0];
    if (o === undefined) continue;
    if (e.label === 'submit') submits.set(o, [...(submits.get(o) ?? []), e.index]);
    else if (e.opKind === OpKind.Write && e.label.endsWith(' fetch')) {
      const q = submits.get(o);
      const s = q?.shift();
      if (s !== undefined && x.events[s]!.tid !== e.tid) flow(`submit ${x.events[s]!.detail}`, 'submit', s, e.index);
    }
  }
  for (const v of x.violations) {
    const at = v.event < 0 ? x.events.length : v.event;
    const t = x.threads.find((th) => th.name === v.thread)?.tid ?? (v.event >= 0 ? x.events[v.event]!.tid : 0);
    out.push({ name: `${v.property} (${v.rule})`, cat: 'violation', ph: 'i', s: 't', ts: at * STEP, pid: PID, tid: tidOf(t), args: { message: v.message, rule: v.rule, shown: v.shown } });
  }
  return { traceEvents: out, displayTimeUnit: 'ms', otherData: { scenario: x.scenario, file: x.file, schedule: x.token, generator: 'dmabuf-lab', timestamps: TIMESTAMPS } };
}
