// The dma-buf core in the subset (src/kernel/frame-dma-buf.ts, frame-attach.ts,
// frame-mapping.ts) against the generator kernel's (kernel/dma-buf.ts, attach.ts,
// mapping.ts), with the same test exporter (dynamic or not) and importers (dynamic with
// a callback, static, dynamic without one) on generated programs, every kernel version,
// the same schedules: the same events, enabled threads, violations, results and buffer
// and attachment state at the end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Runtime } from '../src/sim/runtime.ts';
import { OpKind, type Op, type Proc } from '../src/sim/op.ts';
import { newKernel, type KernelVersion } from '../src/kernel/kernel.ts';
import * as B from '../src/kernel/dma-buf.ts';
import * as A from '../src/kernel/attach.ts';
import * as M from '../src/kernel/mapping.ts';
import { dmaResvLock, dmaResvUnlock } from '../src/kernel/resv.ts';
import { Store, StoreLayout } from '../src/sim/store.ts';
import { FrameSimBuilder } from '../src/sim/frame-sim.ts';
import { frameStart, frameStep, frameThread, fnId, linkFrames, type FrameRunCtx } from '../src/sim/frames.ts';
import { structAt, structPool } from '../src/sim/struct.ts';
import { frameKernelSlots, type ExporterOpsTable } from '../src/kernel/frame-kernel.ts';
import { STRUCTS as RESV } from '../src/kernel/frame-resv.frames.ts';
import { dmaBufExport, STRUCTS as BUF } from '../src/kernel/frame-dma-buf.frames.ts';
import { storeList } from '../src/sim/store-list.ts';
import * as P from './frames/buf-progs.ts';
import { FN, frames } from './frames/buf-progs.frames.ts';
import { driveFrames, driveRuntime, recordingSink, runtimeRecord } from './frames/differential.ts';

type Code = readonly (readonly number[])[];
const DEVICES = 3;

interface Outcome {
  readonly events: string[];
  readonly enabled: string[];
  readonly violations: string[];
  readonly results: number[][];
  readonly end: string[];
}

function generatorRun(version: KernelVersion, dynamic: boolean, code: Code, choices: readonly number[]): Outcome {
  const rt = new Runtime();
  const k = newKernel(rt, version);
  const obj = rt.newObject('test ops');
  const step = (label: string, detail: string): Op => ({ kind: OpKind.Write, obj, write: true, label, detail });
  const seq = [0, 0, 0];
  const ops: Partial<B.DmaBufOps> = {
    *attach(_k, _b, a): Proc<number> { yield step('exp_attach', a.name); return 0; },
    *detach(_k, _b, a): Proc { yield step('exp_detach', a.name); },
    *mapDmaBuf(_k, a, dir): Proc<B.SgTable> {
      yield step('exp_map', a.name);
      const name = `${a.dev}-sgt${++seq[Number(a.dev.slice(1))]!}`;
      const region = { id: obj, name: 'mem', epoch: 0 };
      return { id: rt.newObject(name), name, attachment: a, dir, region, epoch: 0, createdAt: rt.events.length, readyAfter: [], live: true };
    },
    *unmapDmaBuf(_k, a): Proc { yield step('exp_unmap', a.name); },
    *release(): Proc { yield step('exp_release', 'buf'); },
    ...(dynamic ? { *pin(_k: unknown, a: B.DmaBufAttachment): Proc<number> { yield step('exp_pin', a.name); return 0; }, *unpin(_k: unknown, a: B.DmaBufAttachment): Proc { yield step('exp_unpin', a.name); } } : {}),
  };
  const buf = B.dmaBufExport(k, { name: 'buf', exporter: 'test', ops, priv: {} }) as B.DmaBuf;
  const importer: (B.DmaBufAttachOps | null)[] = [
    { allowPeer2peer: true, *invalidateMappings(_k, a): Proc { yield step('imp_invalidate', a.name); } }, null, { allowPeer2peer: false },
  ];
  const att: (B.DmaBufAttachment | undefined)[] = [];
  const state = [0, 0, 0];
  const last: (B.SgTable | undefined)[] = [];
  const results = code.map(() => [] as number[]);
  code.forEach((instrs, t) => rt.spawn(`t${t}`, function* (): Proc {
    for (const w of instrs) {
      const d = w & 15;
      const op = w >> 4;
      if ((op <= P.UNMAP_UNLOCKED || op === P.REVOCABLE) && (op === P.ATTACH ? state[d] === 1 : state[d] === 0)) continue;
      const a = att[d]!;
      const note = (r: number | boolean) => results[t]!.push(Number(r));
      const mapped = (r: B.SgTable | number) => { note(typeof r === 'number' ? r : 1); if (typeof r !== 'number') last[d] = r; };
      switch (op) {
        case P.ATTACH: {
          const before = state[d]!;
          state[d] = 3;
          const r = yield* A.dmaBufDynamicAttach(k, buf, `d${d}`, importer[d]!, null);
          note(typeof r === 'number' ? r : 0);
          state[d] = typeof r === 'number' ? before : 1;
          if (typeof r !== 'number') { att[d] = r; last[d] = undefined; }
          break;
        }
        case P.DETACH: yield* A.dmaBufDetach(k, buf, a); state[d] = 2; break;
        case P.PIN: note(yield* M.dmaBufPin(k, a)); break;
        case P.UNPIN: yield* M.dmaBufUnpin(k, a); break;
        case P.MAP: mapped(yield* M.dmaBufMapAttachment(k, a, 'DMA_BIDIRECTIONAL')); break;
        case P.UNMAP: if (last[d]) yield* M.dmaBufUnmapAttachment(k, a, last[d]!, 'DMA_BIDIRECTIONAL'); break;
        case P.MAP_UNLOCKED: mapped(yield* M.dmaBufMapAttachmentUnlocked(k, a, 'DMA_BIDIRECTIONAL')); break;
        case P.UNMAP_UNLOCKED: if (last[d]) yield* M.dmaBufUnmapAttachmentUnlocked(k, a, last[d]!, 'DMA_BIDIRECTIONAL'); break;
        case P.LOCK: yield* dmaResvLock(k, buf.resv); break;
        case P.UNLOCK: yield* dmaResvUnlock(k, buf.resv); break;
        case P.INVALIDATE: yield* M.dmaBufInvalidateMappings(k, buf); break;
        case P.GET: yield* B.dmaBufGet(k, buf); break;
        case P.PUT: yield* B.dmaBufPut(k, buf); break;
        default: note(A.dmaBufAttachRevocable(k, a));
      }
    }
  }));
  const enabled = driveRuntime(rt, choices);
  return {
    ...runtimeRecord(rt), enabled, results,
    end: [`buf ${buf.refcount} ${buf.released} [${buf.attachments.map((a) => a.dev)}]`,
      ...[0, 1, 2].map((d) => att[d]).map((a, d) => (state[d] === 3 ? `d${d} attaching` : a ? `d${d} ${a.onList} ${a.pins} ${a.mappings.size} ${a.pinnedOnMap} ${a.detached}` : `d${d} -`))],
  };
}

function frameRun(version: KernelVersion, dynamic: boolean, code: Code, choices: readonly number[]): Outcome {
  const layout = new StoreLayout();
  const names = code.map((_, t) => `t${t}`);
  const b = new FrameSimBuilder(layout, names);
  const resv = structAt(layout, 'buf.resv', RESV.DmaResv, ['lock']);
  const list = storeList(layout, 'buf.resv.fence_slots', 2);
  b.lockClass(resv, 'reservation_ww_class');
  const sim = b.done();
  const slots = frameKernelSlots(layout, sim);
  const bufs = structPool(layout, 'bufs', 1, BUF.DmaBuf);
  const attachments = Array.from({ length: DEVICES }, (_, d) => structAt(layout, `d${d}-attach`, BUF.DmaBufAttachment));
  const state = Array.from({ length: DEVICES }, (_, d) => layout.field(`d${d}.state`));
  const lastTable = Array.from({ length: DEVICES }, (_, d) => layout.field(`d${d}.last_table`));
  const tableSeq = Array.from({ length: DEVICES }, (_, d) => layout.field(`d${d}.table_seq`));
  const tables = structPool(layout, 'tables', 24, BUF.SgTable);
  const prog = linkFrames(frames);
  const ths = names.map((n, t) => frameThread(layout, n, 8, prog.width, { local: t }));
  const s = new Store(layout);
  const id = (fn: number) => fnId(prog, frames, fn);
  const exporter: ExporterOpsTable = {
    name: 'test', attach: id(FN.expAttach), detach: id(FN.expDetach), map: id(FN.expMap), unmap: id(FN.expUnmap), release: id(FN.expRelease),
    pin: dynamic ? id(FN.expPin) : -1, unpin: dynamic ? id(FN.expUnpin) : -1,
  };
  const A_ = (f: string) => BUF.DmaBufAttachment.fields.indexOf(f as never);
  const T_ = (f: string) => BUF.SgTable.fields.indexOf(f as never);
  const kernel = {
    version, ...slots, callbacks: [], fenceName: () => '', callbackName: () => '',
    configMoveNotify: version === 'v3' || version === 'landed',
    exporters: [exporter],
    importers: [{ allowPeer2peer: true, invalidate: id(FN.impInvalidate), unsupported: false }, { allowPeer2peer: false, invalidate: -1, unsupported: false }],
    bufName: () => 'buf', labels: [], contexts: [], ctxName: () => '', wwGuard: -1,
    devName: (st: Store, a: number) => `d${st.get(a + A_('dev'))}`,
    attachmentName: (st: Store, a: number) => `d${st.get(a + A_('dev'))}-attach`,
    tableName: (st: Store, t: number) => `d${st.get(st.get(t + T_('attachment')) + A_('dev'))}-sgt${st.get(t + T_('seq'))}`,
  };
  const events: string[] = [];
  const violations: string[] = [];
  const out = recordingSink(events, violations);
  const env = { sim, kernel, code, buf: 0, attachments, state, lastTable, tableSeq, tables, results: code.map(() => [] as number[]) };
  const ctx = ths.map((th, tid): FrameRunCtx => ({ s, tid, out, env, th, prog }));
  s.set(resv + RESV.DmaResv.fields.indexOf('fences'), list.len);
  s.set(resv + RESV.DmaResv.fields.indexOf('cap'), 2);
  const buf = dmaBufExport(ctx[0]! as FrameRunCtx<never>, bufs, 0, 1, resv as never, 0, 'buf');
  (env as { buf: number }).buf = buf;
  ctx.forEach((k) => { frameStart(k, frames, FN.bufThread, []); frameStep(k); });
  const enabled = driveFrames(ctx, choices);
  const F = (f: string) => s.get(buf + BUF.DmaBuf.fields.indexOf(f as never));
  const order: string[] = [];
  for (let a = F('attachments'); a !== 0 && order.length <= DEVICES; a = s.get(a + A_('next'))) order.push(`d${s.get(a + A_('dev'))}`);
  const bool = (a: number, f: string) => s.get(a + A_(f)) !== 0;
  return {
    events, enabled, violations, results: env.results,
    end: [`buf ${F('refcount')} ${F('released') !== 0} [${order}]`,
      ...attachments.map((a, d) => (s.get(state[d]!) === 3 ? `d${d} attaching` : s.get(state[d]!) === 0 ? `d${d} -` : `d${d} ${bool(a, 'onList')} ${s.get(a + A_('pins'))} ${s.get(a + A_('mappings'))} ${s.get(a + A_('pinnedOnMap'))} ${bool(a, 'detached')}`))],
  };
}

const instr = fc.tuple(fc.nat(P.REVOCABLE), fc.nat(DEVICES - 1)).map(([op, d]) => op * 16 + d);
/** An importer's life as drivers write it: attach, map under the lock, unmap, detach; with stray instructions around. */
const life = fc.tuple(fc.nat(DEVICES - 1), fc.boolean(), fc.boolean()).map(([d, pin, unmap]) => [
  P.ATTACH * 16 + d, P.LOCK * 16, ...(pin ? [P.PIN * 16 + d] : []), P.MAP * 16 + d, P.UNLOCK * 16, ...(unmap ? [P.UNMAP_UNLOCKED * 16 + d] : []), P.DETACH * 16 + d,
]);
const thread = fc.array(fc.oneof(life, instr.map((w) => [w]), fc.constant([P.LOCK * 16, P.INVALIDATE * 16, P.UNLOCK * 16])), { maxLength: 3 }).map((p) => p.flat());
/**
 * Each thread owns one device (an importer's attachment is its own: two threads attaching
 * one device's object at once is not a program drivers write), in a random assignment.
 */
const PERMS = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
const codeArb = fc.tuple(fc.array(thread, { minLength: 1, maxLength: 3 }), fc.constantFrom(...PERMS))
  .map(([threads, perm]) => threads.map((code, t) => code.map((w) => (w & ~15) | perm[t]!)));
const versionArb = fc.constantFrom<KernelVersion>('pre', 'v2', 'v3', 'landed');
const choicesArb = fc.array(fc.nat(5), { maxLength: 40 });

test('dma-buf core: the subset and the generator kernel give the same events, enabled threads, violations, results and end state', () => {
  fc.assert(fc.property(versionArb, fc.boolean(), codeArb, choicesArb, (v, dyn, code, choices) => {
    assert.deepEqual(frameRun(v, dyn, code, choices), generatorRun(v, dyn, code, choices));
  }), { numRuns: 500 });
});

test('dma-buf core: the generated programs reach the rules the model checks (the comparison is not vacuous)', () => {
  const seen = new Set<string>();
  fc.assert(fc.property(versionArb, fc.boolean(), codeArb, choicesArb, (v, dyn, code, choices) => {
    const r = frameRun(v, dyn, code, choices);
    for (const x of r.violations) seen.add(x.replace(/^@-?\d+ t\d /, '').replace(/:.*/, ''));
    if (r.events.some((e) => e.includes('imp_invalidate'))) seen.add('invalidated');
    if (r.events.some((e) => e.includes('exp_release'))) seen.add('released');
    if (r.end.some((e) => /\[d\d,d\d/.test(e))) seen.add('two attachments');
  }), { numRuns: 800, seed: 4 });
  assert.deepEqual([...seen].sort(), [
    'api-misuse P7', 'api-misuse R19', 'api-misuse R21', 'api-misuse R31', 'api-misuse R32', 'api-misuse R33', 'api-misuse R34', 'api-misuse R35', 'api-misuse R36', 'api-misuse R37', 'api-misuse R40',
    'deadlock R18', 'invalidated', 'leak P12', 'leak R35', 'released', 'two attachments',
  ]);
});
