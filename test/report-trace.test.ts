// The Chrome/Perfetto trace of every bundled counterexample: the structure the Trace Event
// Format requires (ph/ts/pid/tid on every event, named tracks, nested slices, paired flows).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundledDir, loadScenario, scenarioFiles } from '../src/cli/files.ts';
import { reportExecution } from '../src/report/report.ts';
import { objectSpans, TRACKED_KINDS } from '../src/report/object-spans.ts';
import { renderTrace, type TraceEvent } from '../src/report/trace.ts';

const counterexamples = scenarioFiles([bundledDir()]).map((f) => loadScenario(f)).filter((sc) => sc.expect?.verdict === 'violation');

/** Checks one trace; returns a list of problems (empty = well formed). */
function problems(evs: readonly TraceEvent[]): string[] {
  const out: string[] = [];
  const named = new Set<number>();
  for (const e of evs) {
    for (const k of ['ph', 'ts', 'pid', 'tid'] as const) if (e[k] === undefined) out.push(`${e.name}: no ${k}`);
    if (typeof e.ts !== 'number' || typeof e.pid !== 'number' || typeof e.tid !== 'number') out.push(`${e.name}: ts/pid/tid not numbers`);
    if (e.ph !== 'M' && e.ts % 1000 !== 0) out.push(`${e.name}: ts ${e.ts} is not a logical step x 1000`);
    if (e.ph === 'M' && e.name === 'thread_name') named.add(e.tid);
  }
  const xs = evs.filter((e) => e.ph === 'X');
  for (const e of evs) if (e.ph !== 'M' && !named.has(e.tid)) out.push(`${e.ph} ${e.name} on unnamed track ${e.tid}`);
  // X slices nest on each track
  const byTid = new Map<number, TraceEvent[]>();
  for (const e of xs) {
    if (!(e.dur! > 0)) out.push(`${e.name}: dur ${e.dur}`);
    byTid.set(e.tid, [...(byTid.get(e.tid) ?? []), e]);
  }
  for (const [tid, list] of byTid) {
    const sorted = [...list].sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    const stack: TraceEvent[] = [];
    for (const s of sorted) {
      while (stack.length && stack[stack.length - 1]!.ts + stack[stack.length - 1]!.dur! <= s.ts) stack.pop();
      const top = stack[stack.length - 1];
      if (top && s.ts + s.dur! > top.ts + top.dur!) out.push(`track ${tid}: ${s.name}@${s.ts} crosses ${top.name}@${top.ts}`);
      stack.push(s);
    }
  }
  // flows: one s and one f per (cat, id), f after s, each inside a slice of its track
  const inSlice = (e: TraceEvent) => (byTid.get(e.tid) ?? []).some((s) => s.ts <= e.ts && e.ts < s.ts + s.dur!);
  const flows = new Map<string, TraceEvent[]>();
  for (const e of evs) if (e.ph === 's' || e.ph === 'f') flows.set(`${e.cat}:${e.id}`, [...(flows.get(`${e.cat}:${e.id}`) ?? []), e]);
  for (const [k, pair] of flows) {
    const s = pair.filter((e) => e.ph === 's'), f = pair.filter((e) => e.ph === 'f');
    if (s.length !== 1 || f.length !== 1) { out.push(`flow ${k}: ${s.length} starts, ${f.length} ends`); continue; }
    if (f[0]!.ts < s[0]!.ts) out.push(`flow ${k} ends before it starts`);
    if (f[0]!.bp !== 'e') out.push(`flow ${k}: no bp "e"`);
    if (!inSlice(s[0]!) || !inSlice(f[0]!)) out.push(`flow ${k}: an end is outside every slice`);
  }
  // async pairs
  const asyncs = new Map<number, TraceEvent[]>();
  for (const e of evs) if (e.ph === 'b' || e.ph === 'e') asyncs.set(e.id!, [...(asyncs.get(e.id!) ?? []), e]);
  for (const [id, pair] of asyncs) {
    if (pair.length !== 2 || pair[0]!.ph !== 'b' || pair[1]!.ph !== 'e' || pair[1]!.ts < pair[0]!.ts) out.push(`async ${id} unpaired`);
  }
  return out;
}

test('there are bundled counterexamples to check', () => {
  assert.ok(counterexamples.length >= 1);
});

test('the structure check finds crossing slices and unpaired flows', () => {
  const base = { pid: 1, tid: 1 };
  const bad: TraceEvent[] = [
    { ...base, name: 'thread_name', ph: 'M', ts: 0, args: { name: 't' } },
    { ...base, name: 'a', ph: 'X', ts: 0, dur: 3000 },
    { ...base, name: 'b', ph: 'X', ts: 2000, dur: 3000 },
    { ...base, name: 'fl', cat: 'fence', ph: 's', ts: 1000, id: 7 },
  ];
  const p = problems(bad);
  assert.ok(p.some((m) => m.includes('crosses')), p.join('; '));
  assert.ok(p.some((m) => m.includes('flow fence:7')), p.join('; '));
});

for (const sc of counterexamples) {
  test(`trace of ${sc.name} is well-formed Trace Event Format`, () => {
    const x = reportExecution(sc);
    const t = renderTrace(x);
    assert.deepEqual(problems(t.traceEvents), []);
    const evs = t.traceEvents;
    // a track per thread and engine, named
    const names = evs.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === 1).map((e) => String(e.args!['name']));
    assert.equal(names.length, x.threads.length);
    for (const th of x.threads) assert.ok(names.some((n) => n.startsWith(th.name)), th.name);
    // a violation instant per recorded violation, naming property and rule
    const inst = evs.filter((e) => e.ph === 'i');
    assert.equal(inst.length, x.violations.length);
    assert.ok(inst.some((e) => e.name === `${sc.expect!.properties.find((p) => e.name.startsWith(p)) ?? '?'} (${e.args!['rule']})`), 'the expected property is an instant');
    // every event of the execution is a one-step slice
    assert.equal(evs.filter((e) => e.ph === 'X' && e.dur === 1000 && (e.cat === 'event' || e.cat === 'dma' || e.cat === 'bookkeeping')).length, x.events.length);
    // a track per shared lock, fence and memory region in process 2, each event that
    // touched it on it, and no tid shared between two tracks
    const tracked = x.objects.filter((o) => TRACKED_KINDS.has(o.kind));
    const objTracks = evs.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === 2);
    assert.deepEqual(objTracks.map((e) => String(e.args!['name'])).sort(), tracked.map((o) => `${o.name} (${o.kind})`).sort());
    assert.equal(new Set(evs.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.tid)).size, x.threads.length + tracked.length);
    const touches = tracked.reduce((n, o) => n + x.events.filter((e) => e.objs.includes(o.id)).length, 0);
    assert.equal(evs.filter((e) => e.ph === 'X' && e.pid === 2 && e.cat === 'access').length, touches);
    assert.match(String(t.otherData['timestamps']), /^logical steps: ts = step x 1000/);
    // JSON round trip (what the file holds)
    assert.deepEqual(JSON.parse(JSON.stringify(t)), t);
  });
}

test('the b1 trace has lock slices, DMA on the engine track and signal -> wait flows', () => {
  const sc = counterexamples.find((s) => s.name === 'b1-vfio-revoke-no-wait')!;
  const t = renderTrace(reportExecution(sc)).traceEvents;
  const tidOf = (name: string) => t.find((e) => e.ph === 'M' && e.name === 'thread_name' && String(e.args!['name']).startsWith(name))!.tid;
  assert.ok(t.some((e) => (e.ph === 'X' || e.ph === 'b') && e.cat === 'lock' && e.name === 'holds vfio-buf.resv.lock'), 'resv lock slice');
  const engine = tidOf('gpu0-engine');
  assert.ok(t.some((e) => e.ph === 'X' && e.cat === 'dma' && e.tid === engine && e.name.startsWith('dma write')), 'DMA slice on the engine track');
  assert.ok(t.some((e) => e.ph === 'X' && e.cat === 'job' && e.tid === engine && e.name === 'gpu0-job1'), 'job slice named by its fence');
  const fenceFlows = t.filter((e) => e.cat === 'fence' && e.ph === 's');
  assert.ok(fenceFlows.length >= 2);
  const job1 = fenceFlows.find((s) => s.name === 'signal gpu0-job1')!;
  assert.equal(job1.tid, engine, 'the engine signals the job fence');
  const end = t.find((e) => e.ph === 'f' && e.cat === 'fence' && e.id === job1.id)!;
  assert.notEqual(end.tid, engine, 'and another thread waits for it');
  const v = t.find((e) => e.ph === 'i' && e.name === 'dma-after-revoke (P1)')!;
  assert.equal(v.tid, engine);
});

test('the b1 object tracks: who held the resv lock, the BAR disabled under the DMA write, the job fence until its signal', () => {
  const sc = counterexamples.find((s) => s.name === 'b1-vfio-revoke-no-wait')!;
  const x = reportExecution(sc);
  const t = renderTrace(x).traceEvents;
  const track = (name: string) => t.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === 2 && e.args!['name'] === name)?.tid;
  const on = (tid: number | undefined) => t.filter((e) => e.pid === 2 && e.tid === tid && e.ph === 'X');
  const covers = (span: TraceEvent, e: TraceEvent) => span.ts <= e.ts && e.ts < span.ts + span.dur!;
  // the lock: one 'held by' span per acquisition, each around its lock and unlock events
  const lock = on(track('vfio-buf.resv.lock (lock)'));
  const held = lock.filter((e) => e.cat === 'held');
  assert.equal(held.length, x.events.filter((e) => e.label === 'dma_resv_lock').length);
  assert.ok(held.some((e) => e.name === 'held by reset') && held.some((e) => e.name === 'held by gpu0-user'));
  for (const a of lock.filter((e) => e.cat === 'access')) assert.equal(held.filter((h) => covers(h, a)).length, 1, `${a.name}@${a.ts} inside one hold`);
  // the BAR: the DMA write that broke P1 lies inside the 'disabled' state span
  const bar = on(track('BAR0 (memory)'));
  // the last write: the first job may write before the revoke, as it does in this counterexample
  const write = bar.filter((e) => e.cat === 'access' && e.name === 'gpu0-engine: dma write').at(-1)!;
  const disabled = bar.find((e) => e.cat === 'state' && e.name === 'disabled')!;
  assert.ok(write && disabled && covers(disabled, write), 'disabled covers the write');
  assert.equal(disabled.args!['by'], 'reset');
  // the job fence: unsignalled from when the importer added it to the engine's signal
  const job = on(track('gpu0-job1 (fence)'));
  const pending = job.find((e) => e.cat === 'pending')!;
  const signal = job.find((e) => e.name === 'gpu0-engine: signal')!;
  assert.equal(pending.name, 'unsignalled');
  assert.equal(pending.ts + pending.dur!, signal.ts + signal.dur!, 'the pending span ends with the signal');
  assert.equal(pending.args!['signalledBy'], 'gpu0-engine');
  // process names say what ts is
  for (const p of t.filter((e) => e.ph === 'M' && e.name === 'process_name')) assert.match(String(p.args!['name']), /logical steps/);
});

test('the bundled counterexamples show every tracked kind: locks, fences and memory regions', () => {
  const kinds = new Set(counterexamples.flatMap((sc) => renderTrace(reportExecution(sc)).traceEvents)
    .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === 2).map((e) => /\((\w+)\)$/.exec(String(e.args!['name']))![1]));
  assert.deepEqual([...kinds].sort(), ['fence', 'lock', 'memory']);
});

test('object spans: a fence container gets no pending span, and one object\'s spans never overlap', () => {
  for (const sc of counterexamples) {
    const x = reportExecution(sc);
    const spans = objectSpans(x);
    for (const o of x.objects) {
      const mine = spans.filter((s) => s.obj === o.id);
      for (let k = 1; k < mine.length; k++) assert.ok(mine[k]!.from > mine[k - 1]!.to, `${sc.name} ${o.name}: spans overlap`);
      if (o.name.endsWith('.fences')) assert.equal(mine.length, 0, `${sc.name} ${o.name}`);
    }
  }
});
