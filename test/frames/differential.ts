// What the differential tests of the ported models (frames-sync, frames-fence,
// frames-resv) share: one schedule driver for both runtimes, and the sink that records a
// data world's events and violations as the generator runtime's are printed.
import assert from 'node:assert/strict';
import type { FrameSink } from '../../src/sim/frame-ops.ts';
import { frameEnabled, frameStep, type FrameRunCtx } from '../../src/sim/frames.ts';
import type { Runtime } from '../../src/sim/runtime.ts';

/** `choices` (thread indices modulo n, a disabled one skipped), then the first enabled thread until none is. */
export function drive(n: number, enabled: (t: number) => boolean, step: (t: number) => void, choices: readonly number[], after: () => void): void {
  for (const c of choices) {
    if (!enabled(c % n)) continue;
    step(c % n);
    after();
  }
  for (let i = 0; i < 1000; i++) {
    let t = 0;
    while (t < n && !enabled(t)) t++;
    if (t === n) return;
    step(t);
    after();
  }
  throw new Error('no end after 1,000 steps');
}

/** Starts `rt` and drives it through `choices`: the enabled threads (bit strings) after every step. */
export function driveRuntime(rt: Runtime, choices: readonly number[]): string[] {
  rt.start();
  const enabled: string[] = [];
  drive(rt.threads.length, (t) => rt.isEnabled(t), (t) => rt.step(t), choices, () => enabled.push(rt.enabledMask().toString(2)));
  return enabled;
}

/** Drives a data world's threads through `choices`: the enabled threads after every step; then checks the write barrier's hash. */
export function driveFrames(ctx: readonly FrameRunCtx[], choices: readonly number[]): string[] {
  const enabled: string[] = [];
  const mask = () => ctx.reduce((m, k, t) => m | (frameEnabled(k) ? 1 << t : 0), 0).toString(2);
  drive(ctx.length, (t) => frameEnabled(ctx[t]!), (t) => { assert.ok(frameStep(ctx[t]!)); }, choices, () => enabled.push(mask()));
  assert.ok(ctx[0]!.s.rehash(), 'every write went through the write barrier');
  return enabled;
}

/** A recording sink: `t0 label detail` events and `@event thread property rule: message` violations (thread names `t0`... unless given). */
export function recordingSink(events: string[], violations: string[], names: readonly string[] = []): FrameSink {
  return {
    records: true,
    event: (tid, label, detail) => { events.push(`t${tid} ${label} ${detail ?? ''}`); },
    report: (tid, p, r, m) => { violations.push(`@${events.length - 1} ${names[tid] ?? `t${tid}`} ${p} ${r}: ${m}`); },
  };
}

/** The generator runtime's events and violations in the same form. */
export function runtimeRecord(rt: Runtime): { events: string[]; violations: string[] } {
  return {
    events: rt.events.map((e) => `t${e.tid} ${e.op.label} ${e.op.detail ?? ''}`),
    violations: rt.violations.map((v) => `@${v.event} ${v.thread} ${v.property} ${v.rule}: ${v.message}`),
  };
}

/** The kernel tables a world without buffers gives (frame-kernel.ts): no exporter, no importer. */
export const NO_BUFFERS = {
  configMoveNotify: false, exporters: [], importers: [],
  bufName: () => '', attachmentName: () => '', devName: () => '', tableName: () => '', labels: [],
  contexts: [], ctxName: () => '', wwGuard: -1,
};
