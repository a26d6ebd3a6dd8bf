/**
 * The objects `call` steps create: fences, callbacks, reservation objects, acquire
 * contexts, iosys maps, dma-bufs exported with a configurable model exporter, and the
 * importer ops of dma_buf_dynamic_attach. End-of-run checks for what they leave behind
 * (P6, R14).
 */
import type { ExporterInstance, ImporterInstance } from '../drivers/types.ts';
import { unsupportedInvalidateOps } from '../kernel/attach.ts';
import type { IosysMap } from '../kernel/cpu-access.ts';
import { dmaBufExport, OP_NAMES, type DmaBuf, type DmaBufAttachment, type DmaBufAttachOps, type DmaBufOps, type MemTarget, type SgTable } from '../kernel/dma-buf.ts';
import { dmaFenceContextAlloc, dmaFenceInit, type DmaFence, type FenceCallback } from '../kernel/fence.ts';
import type { Kernel, KernelVersion } from '../kernel/kernel.ts';
import { callbackName } from '../kernel/mapping.ts';
import { dmaResvFences, dmaResvInit, DmaResvUsage, wwAcquireInit, type DmaResv, type WwAcquireCtx } from '../kernel/resv.ts';
import { local, type Proc } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import { errnoValue } from './call-args.ts';

export interface CallCtx {
  readonly k: Kernel;
  readonly rt: Runtime;
  readonly exporter: ExporterInstance;
  /** the allocator object (fence contexts, ww stamps): ids depend on allocation order */
  readonly allocObj: number;
  /** the name the current thread's running step binds with `as:` (object names in traces) */
  asName: string | null;
  contextAlloc(num: number): number;
  newFence(context: number, seqno: number, use64: boolean): DmaFence;
  newCallback(): FenceCallback;
  newResv(): DmaResv;
  newCtx(): WwAcquireCtx;
  iosysMap(name: string): IosysMap;
  exportBuf(ops: unknown, size: number, priv: unknown, resv: DmaResv | null): DmaBuf | number;
  /**
   * The ops dma_buf_dynamic_attach passes for `dev`: those of `importer_ops:` when given
   * (`raw`), else the importer's own when `dev` is an importer id (contract §1), else a
   * callback that records the invalidation and keeps its mappings.
   */
  importerOps(raw: unknown, dev: string): DmaBufAttachOps | null;
  /** an attachment a call made: checked for pins and mappings at the end (P6, P12) */
  trackAttachment(a: DmaBufAttachment): void;
  /** every object calls made (tests check their counts) */
  inventory(): { fences: readonly DmaFence[]; bufs: readonly DmaBuf[]; attachments: readonly DmaBufAttachment[] };
}

const DEFAULT_OPS = ['map_dma_buf', 'unmap_dma_buf', 'release'];
const KERNEL_OPS = Object.values(OP_NAMES);
const INT_OPS = ['attach', 'pin', 'map_dma_buf', 'mmap', 'vmap', 'begin_cpu_access', 'end_cpu_access'];

/** Checks an `ops:` value of dma_buf_export; a message, or null when valid. */
export function validateOps(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (Array.isArray(raw)) {
    for (const x of raw) if (typeof x !== 'string' || !KERNEL_OPS.includes(x)) return `unknown exporter op ${JSON.stringify(x)}; ops are ${KERNEL_OPS.join(', ')}`;
    return null;
  }
  if (typeof raw === 'object') {
    for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
      if (!KERNEL_OPS.includes(key)) return `unknown exporter op "${key}"; ops are ${KERNEL_OPS.join(', ')}`;
      if (v === 'ok' || v === 0 || v === true) continue;
      if (!INT_OPS.includes(key)) return `exporter op ${key} returns nothing; give it as "ok"`;
      if (typeof v !== 'string' || errnoValue(v) === undefined) return `exporter op ${key}: expected ok or an errno name, found ${JSON.stringify(v)}`;
    }
    return null;
  }
  return `expected a list of exporter ops or a map op: ok|-Exxx, found ${JSON.stringify(raw)}`;
}

/** Checks an `importer_ops:` value for `version`; a message, or null when valid. */
export function validateImporterOps(raw: unknown, version: KernelVersion): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) return `expected {allow_peer2peer: bool, ${cbKey(version)}: true|null${version === 'v3' ? '|dma_buf_unsupported_invalidate_mappings' : ''}}, found ${JSON.stringify(raw)}`;
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    if (key === 'allow_peer2peer') { if (typeof v !== 'boolean') return 'allow_peer2peer: expected true or false'; continue; }
    if (key === 'move_notify' || key === 'invalidate_mappings') {
      if (key !== cbKey(version)) return `kernel ${version} names the importer callback ${cbKey(version)}, not ${key}`;
      if (v === 'dma_buf_unsupported_invalidate_mappings' && version !== 'v3') return 'dma_buf_unsupported_invalidate_mappings exists only in kernel v3';
      if (v !== true && v !== false && v !== null && v !== 'record' && v !== 'dma_buf_unsupported_invalidate_mappings') return `${key}: expected true (a callback that records the invalidation), null (none) or dma_buf_unsupported_invalidate_mappings`;
      continue;
    }
    return `unknown importer op "${key}"; the importer ops are allow_peer2peer and ${cbKey(version)}`;
  }
  return null;
}

function cbKey(version: KernelVersion): string {
  return version === 'pre' ? 'move_notify' : 'invalidate_mappings';
}

/** Builds the call objects of one execution; registers their end-of-run checks. */
export function newCallCtx(k: Kernel, rt: Runtime, exporter: ExporterInstance, importers: ReadonlyMap<string, ImporterInstance>): CallCtx {
  const fences: DmaFence[] = [];
  const callbacks: FenceCallback[] = [];
  const bufs: DmaBuf[] = [];
  const attachments = new Set<DmaBufAttachment>();
  const maps = new Map<string, IosysMap>();
  /** acquire contexts by the thread that initialised them (P7 at its exit) */
  const ctxs: { ctx: WwAcquireCtx; tid: number }[] = [];
  const asNames = new Map<number, string | null>();
  let anon = 0;
  const nameOf = (what: string) => c.asName ?? `${what}#${++anon}`;

  const region: MemTarget = { id: rt.newObject('call-memory'), name: 'call-memory', epoch: 0 };

  function retOf(cfg: Map<string, number>, op: string): number {
    return cfg.get(op) ?? 0;
  }

  function genericOps(raw: unknown): Partial<DmaBufOps> | null {
    if (raw === null) return null;
    const cfg = new Map<string, number>();
    if (raw === undefined) for (const o of DEFAULT_OPS) cfg.set(o, 0);
    else if (Array.isArray(raw)) for (const o of raw as string[]) cfg.set(o, 0);
    else for (const [o, v] of Object.entries(raw as Record<string, unknown>)) cfg.set(o, typeof v === 'string' && v !== 'ok' ? errnoValue(v)! : 0);
    const ops: Partial<DmaBufOps> = {};
    const enter = (op: string) => local(`exporter ${op}`);
    if (cfg.has('attach')) ops.attach = function* () { yield enter('attach'); return retOf(cfg, 'attach'); };
    if (cfg.has('detach')) ops.detach = function* () { yield enter('detach'); };
    if (cfg.has('pin')) ops.pin = function* () { yield enter('pin'); return retOf(cfg, 'pin'); };
    if (cfg.has('unpin')) ops.unpin = function* () { yield enter('unpin'); };
    if (cfg.has('map_dma_buf')) {
      ops.mapDmaBuf = function* (kk: Kernel, a: DmaBufAttachment, dir): Proc<SgTable | number> {
        yield enter('map_dma_buf');
        const r = retOf(cfg, 'map_dma_buf');
        if (r < 0) return r;
        const name = `${a.dev}-sgt${++anon}`;
        const readyAfter = dmaResvFences(a.dmabuf.resv, DmaResvUsage.KERNEL);
        return { id: kk.rt.newObject(name), name, attachment: a, dir, region, epoch: region.epoch, createdAt: kk.rt.events.length, readyAfter, live: true };
      };
    }
    if (cfg.has('unmap_dma_buf')) ops.unmapDmaBuf = function* () { yield enter('unmap_dma_buf'); };
    if (cfg.has('release')) ops.release = function* () { yield enter('release'); };
    if (cfg.has('mmap')) ops.mmap = function* () { yield enter('mmap'); return retOf(cfg, 'mmap'); };
    if (cfg.has('vmap')) ops.vmap = function* (kk: Kernel) { yield enter('vmap'); const r = retOf(cfg, 'vmap'); if (r < 0) return r; kk.nextVaddr += 0x1000; return kk.nextVaddr; };
    if (cfg.has('vunmap')) ops.vunmap = function* () { yield enter('vunmap'); };
    if (cfg.has('begin_cpu_access')) ops.beginCpuAccess = function* () { yield enter('begin_cpu_access'); return retOf(cfg, 'begin_cpu_access'); };
    if (cfg.has('end_cpu_access')) ops.endCpuAccess = function* () { yield enter('end_cpu_access'); return retOf(cfg, 'end_cpu_access'); };
    return ops;
  }

  /** The default importer callback: records the invalidation and keeps its mappings. */
  function* recordInvalidate(kk: Kernel, a: DmaBufAttachment): Proc {
    yield local(`importer ${callbackName(kk)} ran`, a.name);
  }

  const c: CallCtx = {
    k, rt, exporter, allocObj: rt.newObject('call allocator'),
    // per thread: a call that yields must not see another thread's name
    get asName() { return asNames.get(rt.current) ?? null; },
    set asName(v: string | null) { asNames.set(rt.current, v); },
    contextAlloc: (num) => dmaFenceContextAlloc(k, num),
    newFence(context, seqno, use64) {
      const f = dmaFenceInit(k, nameOf('fence'), context, seqno, 'scenario', use64);
      fences.push(f);
      return f;
    },
    newCallback() {
      const cb: FenceCallback = { name: nameOf('cb'), ran: false, fence: null };
      callbacks.push(cb);
      return cb;
    },
    newResv: () => dmaResvInit(k, nameOf('resv')),
    newCtx() {
      const ctx = wwAcquireInit(k, nameOf('ctx'));
      ctxs.push({ ctx, tid: rt.current });
      return ctx;
    },
    iosysMap(name) {
      let m = maps.get(name);
      if (!m) maps.set(name, (m = { vaddr: 0 }));
      return m;
    },
    exportBuf(ops, size, priv, resv) {
      const name = nameOf('dmabuf');
      const r = dmaBufExport(k, { name, exporter: 'call', ops: genericOps(ops), priv: priv === undefined ? { name } : priv, size, ...(resv ? { resv } : {}) });
      if (typeof r !== 'number') bufs.push(r);
      return r;
    },
    importerOps(raw, dev) {
      if (raw === null) return null;
      if (raw === undefined) {
        const im = importers.get(dev);
        return im ? im.attachOps : { allowPeer2peer: true, invalidateMappings: recordInvalidate };
      }
      const o = raw as Record<string, unknown>;
      const p2p = o.allow_peer2peer === true;
      const cb = o.invalidate_mappings ?? o.move_notify;
      if (cb === 'dma_buf_unsupported_invalidate_mappings') return unsupportedInvalidateOps(p2p);
      return cb === true || cb === 'record' ? { allowPeer2peer: p2p, invalidateMappings: recordInvalidate } : { allowPeer2peer: p2p };
    },
    trackAttachment: (a) => { attachments.add(a); },
    inventory: () => ({ fences, bufs, attachments: [...attachments] }),
  };

  // lockdep holds the context's own map from ww_acquire_init to ww_acquire_fini
  rt.atThreadExit((tid) => {
    for (const x of ctxs) if (x.tid === tid && !x.ctx.done) rt.report('api-misuse', 'P7', `${rt.currentName} returns to user space with ${x.ctx.name} not finished (no ww_acquire_fini; lockdep: lock held when returning to user space!)`);
  });
  rt.atEnd(() => {
    rt.current = -1;
    for (const f of fences) if (f.published && !f.signaled) rt.report('leak', 'R14', `${f.name} was published in a reservation object and never signalled`);
    for (const cb of callbacks) if (cb.fence) rt.report('leak', 'P6', `callback ${cb.name} is still queued on pending ${cb.fence.name}`);
    for (const b of bufs) if (!b.released && b.refcount > 0) rt.report('leak', 'P6', `${b.name} still has ${b.refcount} reference(s) at the end`);
    for (const b of [...bufs, exporter.buf]) if (!b.released) for (const a of b.attachments) if (attachments.has(a) || b !== exporter.buf) rt.report('leak', 'P6', `${a.name} is still attached to ${b.name} at the end`);
    for (const a of attachments) {
      if (a.pins > 0) rt.report('leak', 'P12', `${a.name} still holds ${a.pins} pin(s) at the end`);
      if (a.mappings.size > 0 && !a.detached) rt.report('leak', 'P6', `${a.name} still has ${a.mappings.size} mapping(s) at the end`);
    }
    for (const b of bufs) if (b.vmappingCounter > 0) rt.report('leak', 'P6', `${b.name} is still vmapped (${b.vmappingCounter})`);
  });
  return c;
}
