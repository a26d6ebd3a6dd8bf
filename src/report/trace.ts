/**
 * The Chrome/Perfetto trace of one execution (Trace Event Format JSON, ECOSYSTEM.md #8):
 * one process for the scenario, one track (tid) per thread and device engine named with
 * `M thread_name`; complete (`X`) slices for scenario steps, held locks, engine jobs and
 * every event (one logical step long), nested per track; a lock span that would cross
 * another slice of its track becomes an async `b`/`e` pair instead. Flow arrows (`s`/`f`,
 * `bp: "e"`) go from a fence's signal to every later wait for it in another thread, and
 * from a job's submission to the engine that takes it. Violations are instant (`i`)
 * events. `ts` is the logical step x 1000 (microseconds), so output is deterministic.
 */
import { OpKind } from '../sim/op.ts';
import { callSpans, jobSpans, lockSpans, signalFlows, type Execution } from './execution.ts';

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
const STEP = 1000;

interface Slice { tid: number; from: number; to: number; name: string; cat: string; args: Record<string, unknown> }

/** The trace of an execution. */
export function renderTrace(x: Execution): TraceFile {
  const out: TraceEvent[] = [];
  const tidOf = (t: number) => t + 1;
  const objName = (o: number) => x.objects.find((b) => b.id === o)?.name ?? `#${o}`;
  out.push({ name: 'process_name', ph: 'M', ts: 0, pid: PID, tid: 0, args: { name: `${x.scenario} (${x.file})` } });
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
  // Per track: longest first at equal start; a slice crossing the open one goes async.
  slices.sort((a, b) => a.tid - b.tid || a.from - b.from || b.to - a.to);
  let asyncId = 1;
  const stack: Slice[] = [];
  let curTid = -1;
  for (const s of slices) {
    if (s.tid !== curTid) { stack.length = 0; curTid = s.tid; }
    while (stack.length && stack[stack.length - 1]!.to < s.from) stack.pop();
    const top = stack[stack.length - 1];
    if (top && s.to > top.to) {
      const id = asyncId++;
      out.push({ name: s.name, cat: s.cat, ph: 'b', ts: s.from * STEP, pid: PID, tid: tidOf(s.tid), id, args: s.args });
      out.push({ name: s.name, cat: s.cat, ph: 'e', ts: (s.to + 1) * STEP, pid: PID, tid: tidOf(s.tid), id });
      continue;
    }
    out.push({ name: s.name, cat: s.cat, ph: 'X', ts: s.from * STEP, dur: (s.to - s.from + 1) * STEP, pid: PID, tid: tidOf(s.tid), args: s.args });
    stack.push(s);
  }
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
  return { traceEvents: out, displayTimeUnit: 'ms', otherData: { scenario: x.scenario, file: x.file, schedule: x.token, generator: 'dmabuf-lab' } };
}
