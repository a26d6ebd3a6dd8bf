/**
 * The core functions a `call` step can name (spec/scenario-format.md §1 "Core calls"):
 * kernel name, the versions that have it, parameters named as in the kernel, what `as:`
 * binds, and how the call runs against the model. Null arguments behave as the kernel
 * does: a WARN and an error where it checks, an oops (BUG, the thread stops) where it
 * dereferences.
 */
import { dmaBufAttachmentIsDynamic, dmaBufAttachRevocable, dmaBufDetach, dmaBufDynamicAttach, dmaBufUnsupportedInvalidateMappings } from '../kernel/attach.ts';
import { dmaBufBeginCpuAccess, dmaBufEndCpuAccess, dmaBufMmap, dmaBufVmap, dmaBufVmapUnlocked, dmaBufVunmap, dmaBufVunmapUnlocked, type IosysMap } from '../kernel/cpu-access.ts';
import { dmaBufFd, dmaBufGet, dmaBufGetFd, dmaBufIsDynamic, dmaBufPut, type DmaBuf, type DmaBufAttachment, type DmaDataDirection, type SgTable } from '../kernel/dma-buf.ts';
import { ERRNO } from '../kernel/errno.ts';
import {
  dmaFenceAddCallback, dmaFenceBeginSignalling, dmaFenceCheckAndSignal, dmaFenceEndSignalling, dmaFenceGet, dmaFenceGetStatus,
  dmaFenceIsLater, dmaFenceIsLaterOrSame, dmaFenceIsSignaled, dmaFencePutOp, dmaFenceRemoveCallback, dmaFenceSetError, dmaFenceSignal,
  dmaFenceWait, dmaFenceWaitTimeout, type DmaFence, type FenceCallback,
} from '../kernel/fence.ts';
import { isVersion, warn, type KernelVersion } from '../kernel/kernel.ts';
import { dmaBufInvalidateMappings, dmaBufMapAttachment, dmaBufMapAttachmentUnlocked, dmaBufPin, dmaBufUnmapAttachment, dmaBufUnmapAttachmentUnlocked, dmaBufUnpin } from '../kernel/mapping.ts';
import {
  dmaResvAddFence, dmaResvAssertHeld, dmaResvLock, dmaResvLockSlow, dmaResvReplaceFences, dmaResvReserveFences, dmaResvTestSignaled,
  dmaResvTrylock, dmaResvUnlock, dmaResvUsageRw, dmaResvWaitTimeout, wwAcquireFini, type DmaResv, type WwAcquireCtx,
} from '../kernel/resv.ts';
import { local } from '../sim/op.ts';
import { bool, nullWarn, num, oops, OPT, P, sync, timeoutOf, usage, VOID, type CallFn } from './call-fn-types.ts';

export type { CallFn, CallOut, Param } from './call-fn-types.ts';

const fenceFns: CallFn[] = [
  {
    name: 'dma_fence_context_alloc', rule: 'R1', params: [P('num', 'int', 1)], binds: 'int',
    *run(c, a) { const ctx = yield* sync('dma_fence_context_alloc', [c.allocObj], true, () => c.contextAlloc(a.num as number)); return { v: ctx, bind: ctx }; },
  },
  ...(['dma_fence_init', 'dma_fence_init64'] as const).map((name): CallFn => ({
    name, rule: 'R2', params: [P('context', 'int', OPT), P('seqno', 'int', 1)], binds: 'fence',
    *run(c, a) {
      const context = a.context === OPT ? yield* sync('dma_fence_context_alloc', [c.allocObj], true, () => c.contextAlloc(1)) : (a.context as number);
      const f = c.newFence(context, a.seqno as number, name === 'dma_fence_init64');
      yield local(name, `${f.name} context ${context} seqno ${f.seqno}`);
      return { v: null, bind: f };
    },
  })),
  {
    name: 'dma_fence_get', rule: 'R3', params: [P('fence', 'fence')], binds: 'fence',
    *run(c, a) {
      const f = a.fence as DmaFence | null;
      if (!f) { yield local('dma_fence_get', 'NULL'); return { v: 0, bind: null }; }
      yield* sync('dma_fence_get', [f.id], true, () => dmaFenceGet(c.k, f));
      return { v: 0, bind: f };
    },
  },
  {
    name: 'dma_fence_put', rule: 'R3', params: [P('fence', 'fence')],
    *run(c, a) { const f = a.fence as DmaFence | null; if (f) yield* dmaFencePutOp(c.k, f); else yield local('dma_fence_put', 'NULL'); return VOID; },
  },
  {
    name: 'dma_fence_signal', rule: 'R4', params: [P('fence', 'fence')],
    *run(c, a) {
      const f = a.fence as DmaFence | null;
      const landed = isVersion(c.k, 'landed');
      if (!f) return landed ? yield* nullWarn(c.k, 'dma_fence_signal', 'R4', VOID) : (yield local('dma_fence_signal', 'NULL'), num(-ERRNO.EINVAL));
      const r = yield* dmaFenceSignal(c.k, f);
      return landed ? VOID : num(r);
    },
  },
  {
    name: 'dma_fence_check_and_signal', versions: ['landed'], rule: 'R4', params: [P('fence', 'fence')],
    *run(c, a) { const f = a.fence as DmaFence | null; if (!f) oops(c.k, 'dma_fence_check_and_signal', 'R4'); return bool(yield* dmaFenceCheckAndSignal(c.k, f)); },
  },
  {
    name: 'dma_fence_set_error', rule: 'R5', params: [P('fence', 'fence'), P('error', 'int')],
    *run(c, a) {
      const f = a.fence as DmaFence | null;
      if (!f) oops(c.k, 'dma_fence_set_error', 'R5');
      yield* sync('dma_fence_set_error', [f.id], true, () => dmaFenceSetError(c.k, f, a.error as number), `${f.name} ${a.error}`);
      return VOID;
    },
  },
  {
    name: 'dma_fence_get_status', rule: 'R6', params: [P('fence', 'fence')],
    *run(c, a) { const f = a.fence as DmaFence | null; if (!f) oops(c.k, 'dma_fence_get_status', 'R6'); return num(yield* sync('dma_fence_get_status', [f.id], false, () => dmaFenceGetStatus(f), f.name)); },
  },
  {
    name: 'dma_fence_is_signaled', rule: 'R7', params: [P('fence', 'fence')],
    *run(c, a) { const f = a.fence as DmaFence | null; if (!f) oops(c.k, 'dma_fence_is_signaled', 'R7'); return bool(yield* sync('dma_fence_is_signaled', [f.id], false, () => dmaFenceIsSignaled(f), f.name)); },
  },
  {
    name: 'dma_fence_add_callback', rule: 'R8', params: [P('fence', 'fence'), P('cb', 'cb', OPT), P('func', 'any', OPT)], binds: 'cb',
    *run(c, a) {
      const f = a.fence as DmaFence | null;
      const cb = a.cb === OPT || a.cb === null ? c.newCallback() : (a.cb as FenceCallback);
      if (!f || a.func === null) return { ...(yield* nullWarn(c.k, 'dma_fence_add_callback', 'R8', num(-ERRNO.EINVAL))), bind: cb };
      return { v: yield* dmaFenceAddCallback(c.k, f, cb), bind: cb };
    },
  },
  {
    name: 'dma_fence_remove_callback', rule: 'R9', params: [P('fence', 'fence'), P('cb', 'cb')],
    *run(c, a) {
      const f = a.fence as DmaFence | null;
      if (!f || !a.cb) oops(c.k, 'dma_fence_remove_callback', 'R9');
      return bool(yield* dmaFenceRemoveCallback(c.k, f, a.cb as FenceCallback));
    },
  },
  {
    name: 'dma_fence_wait_timeout', rule: 'R10', params: [P('fence', 'fence'), P('intr', 'bool', false), P('timeout', 'int', 'MAX_SCHEDULE_TIMEOUT')], timeout: 'timeout',
    *run(c, a) { const f = a.fence as DmaFence | null; if (!f) oops(c.k, 'dma_fence_wait_timeout', 'R10'); return num(yield* dmaFenceWaitTimeout(c.k, f, timeoutOf(a.timeout))); },
  },
  {
    name: 'dma_fence_wait', rule: 'R11', params: [P('fence', 'fence'), P('intr', 'bool', false)],
    *run(c, a) { const f = a.fence as DmaFence | null; if (!f) oops(c.k, 'dma_fence_wait', 'R11'); return num(yield* dmaFenceWait(c.k, f, a.intr as boolean)); },
  },
  ...(['dma_fence_is_later', 'dma_fence_is_later_or_same'] as const).map((name): CallFn => ({
    name, rule: 'R12', params: [P('f1', 'fence'), P('f2', 'fence')],
    *run(c, a) {
      const f1 = a.f1 as DmaFence | null, f2 = a.f2 as DmaFence | null;
      if (!f1 || !f2) oops(c.k, name, 'R12');
      const fn = name === 'dma_fence_is_later' ? dmaFenceIsLater : dmaFenceIsLaterOrSame;
      yield local(name, `${f1.name} ${f2.name}`);
      return bool(fn(c.k, f1, f2));
    },
  })),
  {
    name: 'dma_fence_begin_signalling', rule: 'R13', params: [], binds: 'int',
    *run(c) { yield local('dma_fence_begin_signalling'); const cookie = dmaFenceBeginSignalling(c.k); return { v: cookie ? 1 : 0, bind: cookie ? 1 : 0 }; },
  },
  {
    name: 'dma_fence_end_signalling', rule: 'R13', params: [P('cookie', 'bool', false)],
    *run(c, a) { yield local('dma_fence_end_signalling'); dmaFenceEndSignalling(c.k, a.cookie as boolean); return VOID; },
  },
];

const resvOf = (x: unknown): DmaResv | null => (x === null ? null : 'resv' in (x as object) && 'attachments' in (x as object) ? (x as DmaBuf).resv : (x as DmaResv));

const resvFns: CallFn[] = [
  {
    name: 'dma_resv_init', rule: 'R18', params: [], binds: 'resv',
    *run(c) { const r = c.newResv(); yield local('dma_resv_init', r.name); return { v: null, bind: r }; },
  },
  {
    name: 'ww_acquire_init', rule: 'R18', params: [P('ww_class', 'class', 'reservation_ww_class')], binds: 'ctx',
    *run(c) { const ctx = yield* sync('ww_acquire_init', [c.allocObj], true, () => c.newCtx()); return { v: null, bind: ctx }; },
  },
  {
    name: 'ww_acquire_fini', rule: 'R18', params: [P('ctx', 'ctx')],
    *run(c, a) { if (!a.ctx) oops(c.k, 'ww_acquire_fini', 'R18'); yield local('ww_acquire_fini', (a.ctx as WwAcquireCtx).name); wwAcquireFini(c.k, a.ctx as WwAcquireCtx); return VOID; },
  },
  ...(['dma_resv_lock', 'dma_resv_lock_interruptible'] as const).map((name): CallFn => ({
    name, rule: name === 'dma_resv_lock' ? 'R18' : 'R18a', params: [P('obj', 'resv'), P('ctx', 'ctx', null)],
    *run(c, a) { const o = resvOf(a.obj); if (!o) oops(c.k, name, 'R18'); return num(yield* dmaResvLock(c.k, o, a.ctx as WwAcquireCtx | null, name)); },
  })),
  ...(['dma_resv_lock_slow', 'dma_resv_lock_slow_interruptible'] as const).map((name): CallFn => ({
    name, rule: 'R18b', params: [P('obj', 'resv'), P('ctx', 'ctx')],
    *run(c, a) {
      const o = resvOf(a.obj);
      if (!o || !a.ctx) oops(c.k, name, 'R18b');
      const r = yield* dmaResvLockSlow(c.k, o, a.ctx as WwAcquireCtx, name);
      return name === 'dma_resv_lock_slow' ? VOID : num(r);
    },
  })),
  {
    name: 'dma_resv_trylock', rule: 'R18c', params: [P('obj', 'resv')],
    *run(c, a) { const o = resvOf(a.obj); if (!o) oops(c.k, 'dma_resv_trylock', 'R18c'); return bool((yield* dmaResvTrylock(c.k, o)) === 1); },
  },
  {
    name: 'dma_resv_unlock', rule: 'R19', params: [P('obj', 'resv')],
    *run(c, a) { const o = resvOf(a.obj); if (!o) oops(c.k, 'dma_resv_unlock', 'R19'); yield* dmaResvUnlock(c.k, o); return VOID; },
  },
  {
    name: 'dma_resv_assert_held', rule: 'R21', params: [P('obj', 'resv')],
    *run(c, a) { const o = resvOf(a.obj); if (!o) oops(c.k, 'dma_resv_assert_held', 'R21'); yield local('dma_resv_assert_held', o.name); dmaResvAssertHeld(c.k, o, 'dma_resv_assert_held'); return VOID; },
  },
  {
    name: 'dma_resv_reserve_fences', rule: 'R22', params: [P('obj', 'resv'), P('num_fences', 'int')],
    *run(c, a) { const o = resvOf(a.obj); if (!o) oops(c.k, 'dma_resv_reserve_fences', 'R22'); yield local('dma_resv_reserve_fences', `${o.name} ${a.num_fences}`); return num(dmaResvReserveFences(c.k, o, a.num_fences as number)); },
  },
  {
    name: 'dma_resv_add_fence', rule: 'R23', params: [P('obj', 'resv'), P('fence', 'fence'), P('usage', 'usage')],
    *run(c, a) { const o = resvOf(a.obj); if (!o || !a.fence) oops(c.k, 'dma_resv_add_fence', 'R23'); yield* dmaResvAddFence(c.k, o, a.fence as DmaFence, usage(a.usage)); return VOID; },
  },
  {
    name: 'dma_resv_replace_fences', rule: 'R24', params: [P('obj', 'resv'), P('context', 'int'), P('replacement', 'fence'), P('usage', 'usage')],
    *run(c, a) { const o = resvOf(a.obj); if (!o || !a.replacement) oops(c.k, 'dma_resv_replace_fences', 'R24'); yield* dmaResvReplaceFences(c.k, o, a.context as number, a.replacement as DmaFence, usage(a.usage)); return VOID; },
  },
  {
    name: 'dma_resv_test_signaled', rule: 'R25', params: [P('obj', 'resv'), P('usage', 'usage')],
    *run(c, a) { const o = resvOf(a.obj); if (!o) oops(c.k, 'dma_resv_test_signaled', 'R25'); return bool(yield* dmaResvTestSignaled(c.k, o, usage(a.usage))); },
  },
  {
    name: 'dma_resv_wait_timeout', rule: 'R26', params: [P('obj', 'resv'), P('usage', 'usage'), P('intr', 'bool', false), P('timeout', 'int', 'MAX_SCHEDULE_TIMEOUT')], timeout: 'timeout',
    *run(c, a) { const o = resvOf(a.obj); if (!o) oops(c.k, 'dma_resv_wait_timeout', 'R26'); return num(yield* dmaResvWaitTimeout(c.k, o, usage(a.usage), timeoutOf(a.timeout))); },
  },
  {
    name: 'dma_resv_usage_rw', rule: 'R17', params: [P('write', 'bool')],
    *run(_c, a) { yield local('dma_resv_usage_rw'); return num(dmaResvUsageRw(a.write as boolean)); },
  },
];

const dir = (x: unknown) => x as DmaDataDirection;

const bufFns: CallFn[] = [
  {
    name: 'dma_buf_export', rule: 'R30', params: [P('ops', 'ops', OPT), P('size', 'int', 4096), P('priv', 'any', OPT), P('resv', 'resv', null)], binds: 'buf',
    *run(c, a) {
      const r = c.exportBuf(a.ops === OPT ? undefined : a.ops, a.size as number, a.priv === OPT ? undefined : a.priv, resvOf(a.resv));
      yield local('dma_buf_export', typeof r === 'number' ? String(r) : r.name);
      return typeof r === 'number' ? num(r) : { v: null, bind: r };
    },
  },
  {
    name: 'dma_buf_fd', rule: 'R31', params: [P('dmabuf', 'buf'), P('flags', 'int', 0)], binds: 'int',
    *run(c, a) {
      const b = a.dmabuf as DmaBuf | null;
      if (!b) { yield local('dma_buf_fd', 'NULL'); return num(-ERRNO.EINVAL); }
      const fd = yield* dmaBufFd(c.k, b);
      return { v: fd, bind: fd };
    },
  },
  {
    name: 'dma_buf_get', rule: 'R31', params: [P('fd', 'fd')], binds: 'buf',
    *run(c, a) {
      if (a.fd === c.exporter.buf) {
        const b = c.exporter.buf;
        const open = yield* sync('dma_buf_get', [b.id], false, () => c.exporter.fdOpen, `${b.name} fd`);
        if (!open) return num(-ERRNO.EBADF);
        yield* dmaBufGet(c.k, b);
        return { v: null, bind: b };
      }
      const r = yield* dmaBufGetFd(c.k, a.fd as number);
      return typeof r === 'number' ? num(r) : { v: null, bind: r };
    },
  },
  {
    name: 'dma_buf_put', rule: 'R31', params: [P('dmabuf', 'buf')],
    *run(c, a) { const b = a.dmabuf as DmaBuf | null; if (!b) return yield* nullWarn(c.k, 'dma_buf_put', 'R31', VOID); yield* dmaBufPut(c.k, b); return VOID; },
  },
  ...(['dma_buf_attach', 'dma_buf_dynamic_attach'] as const).map((name): CallFn => ({
    name, rule: name === 'dma_buf_attach' ? 'R34' : 'R33', binds: 'attach',
    params: name === 'dma_buf_attach' ? [P('dmabuf', 'buf'), P('dev', 'dev')] : [P('dmabuf', 'buf'), P('dev', 'dev'), P('importer_ops', 'importer_ops', OPT), P('importer_priv', 'any', null)],
    *run(c, a) {
      const b = a.dmabuf as DmaBuf | null;
      if (!b || !a.dev) return yield* nullWarn(c.k, name, name === 'dma_buf_attach' ? 'R34' : 'R33', num(-ERRNO.EINVAL));
      const ops = name === 'dma_buf_attach' ? null : c.importerOps(a.importer_ops === OPT ? undefined : a.importer_ops, a.dev as string);
      const r = yield* dmaBufDynamicAttach(c.k, b, a.dev as string, ops, a.importer_priv ?? null);
      return typeof r === 'number' ? num(r) : { v: null, bind: r };
    },
  })),
  {
    name: 'dma_buf_detach', rule: 'R35', params: [P('dmabuf', 'buf'), P('attach', 'attach')],
    *run(c, a) {
      if (!a.dmabuf || !a.attach) return yield* nullWarn(c.k, 'dma_buf_detach', 'R35', VOID);
      yield* dmaBufDetach(c.k, a.dmabuf as DmaBuf, a.attach as DmaBufAttachment);
      return VOID;
    },
  },
  {
    name: 'dma_buf_pin', rule: 'R36', params: [P('attach', 'attach')],
    *run(c, a) { if (!a.attach) oops(c.k, 'dma_buf_pin', 'R36'); return num(yield* dmaBufPin(c.k, a.attach as DmaBufAttachment)); },
  },
  {
    name: 'dma_buf_unpin', rule: 'R37', params: [P('attach', 'attach')],
    *run(c, a) { if (!a.attach) oops(c.k, 'dma_buf_unpin', 'R37'); yield* dmaBufUnpin(c.k, a.attach as DmaBufAttachment); return VOID; },
  },
  ...(['dma_buf_map_attachment', 'dma_buf_map_attachment_unlocked'] as const).map((name): CallFn => ({
    name, rule: name === 'dma_buf_map_attachment' ? 'R38' : 'R39', params: [P('attach', 'attach'), P('direction', 'dir', 'DMA_BIDIRECTIONAL')], binds: 'sgt',
    *run(c, a) {
      if (!a.attach) return yield* nullWarn(c.k, name, name === 'dma_buf_map_attachment' ? 'R38' : 'R39', num(-ERRNO.EINVAL));
      const fn = name === 'dma_buf_map_attachment' ? dmaBufMapAttachment : dmaBufMapAttachmentUnlocked;
      const r = yield* fn(c.k, a.attach as DmaBufAttachment, dir(a.direction));
      return typeof r === 'number' ? num(r) : { v: null, bind: r };
    },
  })),
  ...(['dma_buf_unmap_attachment', 'dma_buf_unmap_attachment_unlocked'] as const).map((name): CallFn => ({
    name, rule: name === 'dma_buf_unmap_attachment' ? 'R40' : 'R41', params: [P('attach', 'attach'), P('sg_table', 'sgt'), P('direction', 'dir', 'DMA_BIDIRECTIONAL')],
    *run(c, a) {
      if (!a.attach || !a.sg_table) return yield* nullWarn(c.k, name, name === 'dma_buf_unmap_attachment' ? 'R40' : 'R41', VOID);
      const fn = name === 'dma_buf_unmap_attachment' ? dmaBufUnmapAttachment : dmaBufUnmapAttachmentUnlocked;
      yield* fn(c.k, a.attach as DmaBufAttachment, a.sg_table as SgTable, dir(a.direction));
      return VOID;
    },
  })),
  {
    name: 'dma_buf_invalidate_mappings', aliases: ['dma_buf_move_notify'], rule: 'R43', params: [P('dmabuf', 'buf')],
    *run(c, a) { if (!a.dmabuf) oops(c.k, 'dma_buf_invalidate_mappings', 'R43'); yield* dmaBufInvalidateMappings(c.k, a.dmabuf as DmaBuf); return VOID; },
  },
  {
    name: 'dma_buf_attach_revocable', aliases: ['dma_buf_attachment_is_revoke'], versions: ['v2', 'v3', 'landed'], rule: 'R45', params: [P('attach', 'attach')],
    *run(c, a) { if (!a.attach) oops(c.k, 'dma_buf_attach_revocable', 'R45'); yield local('dma_buf_attach_revocable', (a.attach as DmaBufAttachment).name); return bool(dmaBufAttachRevocable(c.k, a.attach as DmaBufAttachment)); },
  },
  {
    name: 'dma_buf_unsupported_invalidate_mappings', versions: ['v3'], rule: 'R45', params: [P('attach', 'attach')],
    *run(c, a) { if (!a.attach) oops(c.k, 'dma_buf_unsupported_invalidate_mappings', 'R45'); yield* dmaBufUnsupportedInvalidateMappings(c.k, a.attach as DmaBufAttachment); return VOID; },
  },
  {
    name: 'dma_buf_is_dynamic', rule: 'R46', params: [P('dmabuf', 'buf')],
    *run(c, a) { if (!a.dmabuf) oops(c.k, 'dma_buf_is_dynamic', 'R46'); yield local('dma_buf_is_dynamic'); return bool(dmaBufIsDynamic(a.dmabuf as DmaBuf)); },
  },
  {
    name: 'dma_buf_attachment_is_dynamic', rule: 'R46', params: [P('attach', 'attach')],
    *run(c, a) { if (!a.attach) oops(c.k, 'dma_buf_attachment_is_dynamic', 'R46'); yield local('dma_buf_attachment_is_dynamic'); return bool(dmaBufAttachmentIsDynamic(a.attach as DmaBufAttachment)); },
  },
  {
    name: 'dma_buf_begin_cpu_access', rule: 'R47', params: [P('dmabuf', 'buf'), P('direction', 'dir', 'DMA_BIDIRECTIONAL')],
    *run(c, a) { if (!a.dmabuf) return yield* nullWarn(c.k, 'dma_buf_begin_cpu_access', 'R47', num(-ERRNO.EINVAL)); return num(yield* dmaBufBeginCpuAccess(c.k, a.dmabuf as DmaBuf, dir(a.direction))); },
  },
  {
    name: 'dma_buf_end_cpu_access', rule: 'R48', params: [P('dmabuf', 'buf'), P('direction', 'dir', 'DMA_BIDIRECTIONAL')],
    *run(c, a) {
      if (!a.dmabuf) { warn(c.k, 'R48', 'dma_buf_end_cpu_access with a NULL dma-buf'); oops(c.k, 'dma_buf_end_cpu_access', 'R48'); }
      return num(yield* dmaBufEndCpuAccess(c.k, a.dmabuf as DmaBuf, dir(a.direction)));
    },
  },
  ...(['dma_buf_vmap', 'dma_buf_vmap_unlocked'] as const).map((name): CallFn => ({
    name, rule: name === 'dma_buf_vmap' ? 'R49' : 'R50', params: [P('dmabuf', 'buf'), { name: 'map', kind: 'map', out: true }],
    *run(c, a) {
      const map = c.iosysMap(a.map as string);
      if (!a.dmabuf) { map.vaddr = 0; return yield* nullWarn(c.k, name, name === 'dma_buf_vmap' ? 'R49' : 'R50', num(-ERRNO.EINVAL)); }
      return num(yield* (name === 'dma_buf_vmap' ? dmaBufVmap : dmaBufVmapUnlocked)(c.k, a.dmabuf as DmaBuf, map));
    },
  })),
  ...(['dma_buf_vunmap', 'dma_buf_vunmap_unlocked'] as const).map((name): CallFn => ({
    name, rule: name === 'dma_buf_vunmap' ? 'R49' : 'R50', params: [P('dmabuf', 'buf'), P('map', 'map')],
    *run(c, a) {
      if (!a.dmabuf) return yield* nullWarn(c.k, name, name === 'dma_buf_vunmap' ? 'R49' : 'R50', VOID);
      const map: IosysMap = (a.map as IosysMap | null) ?? { vaddr: 0 };
      yield* (name === 'dma_buf_vunmap' ? dmaBufVunmap : dmaBufVunmapUnlocked)(c.k, a.dmabuf as DmaBuf, map);
      return VOID;
    },
  })),
  {
    name: 'dma_buf_mmap', rule: 'R51', params: [P('dmabuf', 'buf'), P('vma', 'vma'), P('pgoff', 'int', 0)],
    *run(c, a) {
      if (!a.dmabuf || a.vma === null) return yield* nullWarn(c.k, 'dma_buf_mmap', 'R51', num(-ERRNO.EINVAL));
      return num(yield* dmaBufMmap(c.k, a.dmabuf as DmaBuf, { pages: a.vma as number, pgoff: 0, file: null }, a.pgoff as number));
    },
  },
];

export const CALL_FNS: readonly CallFn[] = [...fenceFns, ...resvFns, ...bufFns];

/** Optional parameters without a default are passed as this marker. */
export const OPTIONAL = OPT;

/** The function a name means in `version`, or why not. */
export function findCallFn(name: string, version: KernelVersion): { fn: CallFn } | { error: string } {
  const fn = CALL_FNS.find((f) => f.name === name || f.aliases?.includes(name));
  if (!fn) return { error: 'unknown' };
  if (fn.versions && !fn.versions.includes(version)) return { error: `${name} does not exist in kernel ${version} (it exists in ${fn.versions.join(', ')})` };
  return { fn };
}

/** Every spelling a call step accepts (for "did you mean"). */
export const CALL_NAMES: readonly string[] = CALL_FNS.flatMap((f) => [f.name, ...(f.aliases ?? [])]);
