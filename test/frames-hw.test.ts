// The hardware layer in the subset (src/hw/frame-region.ts, frame-oracle.ts,
// frame-prefetch.ts, frame-engine.ts, frame-iommu.ts) against hw/region.ts, oracle.ts,
// engine.ts and iommu.ts on
// generated programs: tables built onto two regions and taken back, region state
// changes, a revoke tracker's progress, device accesses and a fence a table must wait
// for, jobs submitted to an engine per device through tables and IOVA ranges, with the engines and a prefetcher per
// device in the background; the same schedules, the same
// events, enabled threads, violations and results. The oracle's revoke comparisons are
// counts in the data world and event indices in the generator one (frame-oracle.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Runtime } from '../src/sim/runtime.ts';
import type { Proc } from '../src/sim/op.ts';
import { newKernel } from '../src/kernel/kernel.ts';
import * as GF from '../src/kernel/fence.ts';
import type { DmaBufAttachment, SgTable as GTable } from '../src/kernel/dma-buf.ts';
import { newRegion, regionMapTable, regionUnmapTable, setRegionState, type MemRegion as GRegion, type RegionState } from '../src/hw/region.ts';
import { newRevokeTracker, revokeBeganOp, revokeFencedOp, revokeReturnedOp } from '../src/hw/oracle.ts';
import { dmaAccess, engineThread, newEngine, prefetchThread, submitJob } from '../src/hw/engine.ts';
import { iommuMap, iommuUnmap, type IommuMapping } from '../src/hw/iommu.ts';
import { Store, StoreLayout } from '../src/sim/store.ts';
import { FrameSimBuilder } from '../src/sim/frame-sim.ts';
import { frameStart, frameStep, frameThread, linkFrames, type FrameRunCtx } from '../src/sim/frames.ts';
import { structAt, structPool } from '../src/sim/struct.ts';
import { frameKernelSlots } from '../src/kernel/frame-kernel.ts';
import { dmaFenceInit, STRUCTS as FENCE } from '../src/kernel/frame-fence.frames.ts';
import { STRUCTS as BUF } from '../src/kernel/frame-dma-buf.frames.ts';
import { STRUCTS as REGION } from '../src/hw/frame-region.frames.ts';
import { STRUCTS as ORACLE } from '../src/hw/frame-oracle.frames.ts';
import { STATE_NAMES } from '../src/hw/frame-region.ts';
import { FN as PREFETCH_FN, frames as prefetchFrames } from '../src/hw/frame-prefetch.frames.ts';
import { FN as ENGINE_FN, frames as engineFrames, STRUCTS as ENGINE } from '../src/hw/frame-engine.frames.ts';
import { STRUCTS as IOMMU } from '../src/hw/frame-iommu.frames.ts';
import * as P from './frames/hw-progs.ts';
import { FN, frames } from './frames/hw-progs.frames.ts';
import { driveFrames, driveRuntime, NO_BUFFERS, recordingSink, runtimeRecord } from './frames/differential.ts';

type Code = readonly (readonly number[])[];
const DEVICES = 2;
const LABELS = ['set state', 'revoke began', 'revoke returned'];

interface Outcome {
  readonly events: string[];
  readonly enabled: string[];
  readonly violations: string[];
}

function generatorRun(code: Code, choices: readonly number[]): Outcome {
  const rt = new Runtime();
  const k = newKernel(rt, 'landed');
  const regions = [newRegion(rt, 'R0', 'bar'), newRegion(rt, 'R1', 'bar')];
  const tracker = newRevokeTracker(rt, 'bar');
  const fence = GF.dmaFenceInit(k, 'f0', 1, 1, 'test');
  const engines = Array.from({ length: DEVICES }, (_, d) => Object.assign(newEngine(rt, `d${d}`), { tracker }));
  const attachments = Array.from({ length: DEVICES }, (_, d) => ({ dev: `d${d}` }) as DmaBufAttachment);
  const last: (GTable | undefined)[] = [];
  const seq = [0, 0];
  const jobs = [0, 0];
  const iovaSeq = [0, 0];
  const iovas: (IommuMapping | undefined)[] = [];
  code.forEach((instrs, t) => rt.spawn(`t${t}`, function* (): Proc {
    for (const w of instrs) {
      const a = (w >> 4) & 15;
      const b = w & 15;
      switch (w >> 8) {
        case P.MAP: {
          const d = a & 1;
          const r = regions[b & 1]!;
          const name = `d${d}-sgt${++seq[d]!}`;
          const table: GTable = { id: rt.newObject(name), name, attachment: attachments[d]!, dir: 'DMA_BIDIRECTIONAL', region: r, epoch: r.epoch, createdAt: rt.events.length, readyAfter: b >= 2 ? [fence] : [], live: true };
          last[d] = table;
          yield* regionMapTable(r, table);
          break;
        }
        case P.UNMAP: {
          const table = last[a];
          if (table) { table.live = false; yield* regionUnmapTable(table.region as GRegion, table); }
          break;
        }
        case P.STATE: yield* setRegionState(regions[a]!, STATE_NAMES[b]! as RegionState, LABELS[0]!); break;
        case P.BEGAN: yield revokeBeganOp(rt, tracker, LABELS[1]!); break;
        case P.FENCED: yield revokeFencedOp(tracker); break;
        case P.RETURNED: yield revokeReturnedOp(tracker, LABELS[2]!); break;
        case P.ACCESS: {
          const table = last[a];
          if (table) yield* dmaAccess(rt, { device: `d${a}`, table, region: table.region as GRegion, write: b === 1, speculative: false, tracker }, b === 1 ? 'dma write' : 'dma read');
          break;
        }
        case P.SUBMIT: {
          const f = GF.dmaFenceInit(k, `d${a}-job${++jobs[a]!}`, 2, jobs[a]!, 'test');
          yield* submitJob(engines[a]!, { name: f.name, table: last[a] ?? null, write: (b & 1) === 1, deps: (b & 2) === 2 ? [fence] : [], fence: f });
          break;
        }
        case P.IOMAP: iovas[a] = yield* iommuMap(rt, `d${a}`, regions[b & 1]!, ++iovaSeq[a]!); break;
        case P.IOUNMAP: if (iovas[a]) yield* iommuUnmap(iovas[a]!); break;
        case P.SUBMIT_IOVA: {
          if (!iovas[a]) break;
          const f = GF.dmaFenceInit(k, `d${a}-job${++jobs[a]!}`, 2, jobs[a]!, 'test');
          yield* submitJob(engines[a]!, { name: f.name, table: null, iova: iovas[a]!, write: b === 1, deps: [], fence: f });
          break;
        }
        default: yield* GF.dmaFenceSignal(k, fence);
      }
    }
  }));
  engines.forEach((e, d) => rt.spawn(`d${d}-engine`, () => engineThread(k, e), true));
  engines.forEach((e, d) => rt.spawn(`d${d}-prefetch`, () => prefetchThread(k, e, regions, rt.newObject(`d${d}.slot`)), true));
  const enabled = driveRuntime(rt, choices);
  const { events, violations } = runtimeRecord(rt);
  return { events, enabled, violations };
}

function frameRun(code: Code, choices: readonly number[]): Outcome {
  const layout = new StoreLayout();
  const names = [...code.map((_, t) => `t${t}`), ...Array.from({ length: DEVICES }, (_, d) => `d${d}-engine`), ...Array.from({ length: DEVICES }, (_, d) => `d${d}-prefetch`)];
  const sim = new FrameSimBuilder(layout, names).done();
  const slots = frameKernelSlots(layout, sim);
  const regionRefs = ['R0', 'R1'].map((n) => structAt(layout, n, REGION.MemRegion));
  const tracker = structAt(layout, 'bar', ORACLE.RevokeTracker);
  const devices = Array.from({ length: DEVICES }, (_, d) => structAt(layout, `d${d}-attach`, BUF.DmaBufAttachment));
  const fencePool = structPool(layout, 'fences', 1, FENCE.DmaFence);
  const jobFences = structPool(layout, 'job_fences', 24, FENCE.DmaFence);
  const engineRefs = devices.map((_, d) => structAt(layout, `d${d}.engine`, ENGINE.DmaEngine));
  const jobPools = devices.map((_, d) => structPool(layout, `d${d}.jobs`, 12, ENGINE.DmaJob));
  const jobSeq = devices.map((_, d) => layout.field(`d${d}.job_seq`));
  const iovaPools = devices.map((_, d) => structPool(layout, `d${d}.iovas`, 12, IOMMU.IommuMapping));
  const iovaSeqSlots = devices.map((_, d) => layout.field(`d${d}.iova_seq`));
  const lastIova = devices.map((_, d) => layout.field(`d${d}.last_iova`));
  const pool = structPool(layout, 'tables', 24, BUF.SgTable);
  const lastTable = devices.map((_, d) => layout.field(`d${d}.last_table`));
  const tableSeq = devices.map((_, d) => layout.field(`d${d}.table_seq`));
  const pendingReads = devices.map((_, d) => layout.field(`d${d}.pending_reads`));
  const prog = linkFrames(frames, engineFrames, prefetchFrames);
  const ths = names.map((n, t) => frameThread(layout, n, 6, prog.width, { local: t }));
  const s = new Store(layout);
  const A_ = (f: string) => BUF.DmaBufAttachment.fields.indexOf(f as never);
  const F_ = (f: string) => FENCE.DmaFence.fields.indexOf(f as never);
  const J_ = (f: string) => ENGINE.DmaJob.fields.indexOf(f as never);
  const T_ = (f: string) => BUF.SgTable.fields.indexOf(f as never);
  const kernel = {
    version: 'landed' as const, ...slots, callbacks: [], callbackName: () => '', ...NO_BUFFERS, labels: LABELS,
    fenceName: (st: Store, f: number) => (st.get(f + F_('owner')) === 9 ? 'f0' : `d${st.get(f + F_('owner'))}-job${st.get(f + F_('kind'))}`),
    devName: (st: Store, a: number) => `d${st.get(a + A_('dev'))}`,
    tableName: (st: Store, t: number) => `d${st.get(st.get(t + T_('attachment')) + A_('dev'))}-sgt${st.get(t + T_('seq'))}`,
  };
  const events: string[] = [];
  const violations: string[] = [];
  const out = recordingSink(events, violations, names);
  const tables = Array.from({ length: pool.cap }, (_, i) => pool.base + i * pool.width);
  const env: P.HwProgEnv = {
    sim, kernel, code, devices, regionRefs, tracker, fence: 0, pool, lastTable, tableSeq, engines: engineRefs, jobPools, jobSeq, jobFences, iovaPools, iovaSeq: iovaSeqSlots, lastIova,
    hw: { tables, regions: regionRefs, pendingReads, actions: [], jobName: (st: Store, j: number) => kernel.fenceName(st, st.get(j + J_('fence'))) },
  };
  const ctx = ths.map((th, tid): FrameRunCtx => ({ s, tid, out, env, th, prog }));
  devices.forEach((a, d) => s.set(a + A_('dev'), d));
  engineRefs.forEach((e, d) => { s.set(e + ENGINE.DmaEngine.fields.indexOf('dev'), devices[d]!); s.set(e + ENGINE.DmaEngine.fields.indexOf('tracker'), tracker); });
  (env as { fence: number }).fence = dmaFenceInit(ctx[0]! as FrameRunCtx<never>, fencePool, 1, 1, false, 9, 0);
  code.forEach((_, t) => frameStart(ctx[t]!, frames, FN.hwThread, []));
  engineRefs.forEach((e, d) => frameStart(ctx[code.length + d]!, engineFrames, ENGINE_FN.engineThread, [e]));
  devices.forEach((a, d) => frameStart(ctx[code.length + DEVICES + d]!, prefetchFrames, PREFETCH_FN.prefetchThread, [a, tracker]));
  ctx.forEach((k) => frameStep(k));
  const enabled = driveFrames(ctx, choices);
  return { events, enabled, violations };
}

const at = (op: number, a: number, b: number) => op * 256 + a * 16 + b;
const instr = fc.oneof(
  fc.tuple(fc.nat(DEVICES - 1), fc.nat(3)).map(([d, b]) => at(P.MAP, d, b)),
  fc.nat(DEVICES - 1).map((d) => at(P.UNMAP, d, 0)),
  fc.tuple(fc.nat(1), fc.nat(3)).map(([r, st]) => at(P.STATE, r, st)),
  fc.constantFrom(P.BEGAN, P.FENCED, P.RETURNED, P.SIGNAL).map((op) => at(op, 0, 0)),
  fc.tuple(fc.nat(DEVICES - 1), fc.nat(1)).map(([d, w]) => at(P.ACCESS, d, w)),
  fc.tuple(fc.nat(DEVICES - 1), fc.nat(3)).map(([d, b]) => at(P.SUBMIT, d, b)),
  fc.tuple(fc.constantFrom(P.IOMAP, P.IOUNMAP, P.SUBMIT_IOVA), fc.nat(DEVICES - 1), fc.nat(1)).map(([op, d, b]) => at(op, d, b)),
);
/** A revoke as exporters write it: began, the memory disabled, fenced, returned. */
const revoke = fc.tuple(fc.nat(1), fc.boolean()).map(([r, off]) => [at(P.BEGAN, 0, 0), ...(off ? [at(P.STATE, r, 2)] : []), at(P.FENCED, 0, 0), at(P.RETURNED, 0, 0)]);
const thread = fc.array(fc.oneof(instr.map((w) => [w]), revoke), { maxLength: 4 }).map((p) => p.flat());
const codeArb = fc.array(thread, { minLength: 1, maxLength: 3 });
const choicesArb = fc.array(fc.nat(8), { maxLength: 40 });

test('hardware: the subset and hw/*.ts give the same events, enabled threads and violations', () => {
  fc.assert(fc.property(codeArb, choicesArb, (code, choices) => {
    assert.deepEqual(frameRun(code, choices), generatorRun(code, choices));
  }), { numRuns: 600 });
});

test('hardware: the generated programs reach every verdict of the oracle (the comparison is not vacuous)', () => {
  const seen = new Set<string>();
  fc.assert(fc.property(codeArb, choicesArb, (code, choices) => {
    const r = frameRun(code, choices);
    // `property rule: why`, without the access, device, region, table and fence names
    if (r.events.some((e) => e.includes(' engine fetch '))) seen.add('engine fetched a job');
    if (r.events.some((e) => / dma_fence_signal d\d-job/.test(e))) seen.add("engine signalled a job's fence");
    if (r.events.some((e) => / dma_fence_wait f0/.test(e))) seen.add('engine waited for a dependency');
    if (r.events.some((e) => / IOMMU fault /.test(e))) seen.add('IOMMU fault');
    if (r.violations.some((v) => /through d\d-iova/.test(v))) seen.add('a violation through an IOVA range');
    for (const x of r.violations) seen.add(x.replace(/^@-?\d+ \S+ (\S+ \S+): .*?: (\S+ \S+ \S+).*$/, '$1: $2'));
  }), { numRuns: 1500, seed: 18 });
  assert.deepEqual([...seen].sort(), [
    'IOMMU fault', 'a violation through an IOVA range', 'dma-after-revoke P1: mapped before the', 'dma-after-revoke P1: the exporter is', 'dma-after-revoke P1: the memory is',
    'dma-after-revoke R42: before-ready, KERNEL fence', 'engine fetched a job', "engine signalled a job's fence", 'engine waited for a dependency', 'use-after-invalidate P3: the table was',
  ]);
});

test("hardware: P2, a write through a mapping older than a revoke whose fence wait is over, before it returns, in both", () => {
  // t0 maps, t1 begins a revoke and finishes its fence wait, t2 writes: then t1 returns
  const code = [[at(P.MAP, 0, 0)], [at(P.BEGAN, 0, 0), at(P.FENCED, 0, 0), at(P.RETURNED, 0, 0)], [at(P.ACCESS, 0, 1)]];
  const choices = [0, 1, 1, 2];
  const g = generatorRun(code, choices);
  assert.deepEqual(frameRun(code, choices), g);
  assert.deepEqual(g.violations.map((v) => v.replace(/^@\d+ /, '')), ["t2 dma-after-revoke P2: d0 engine DMA write of R0 through d0-sgt1: a write after the exporter's fence wait of the revoke"]);
});
