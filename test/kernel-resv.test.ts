// dma-resv rules R16-R28, one test (or more) per rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERRNO } from '../src/kernel/errno.ts';
import { dmaResvInit, dmaResvLock, dmaResvLockSlow, dmaResvUnlock, wwAcquireFini, wwAcquireInit, type DmaResv, type WwAcquireCtx } from '../src/kernel/resv.ts';
import type { Kernel } from '../src/kernel/kernel.ts';
import type { Proc } from '../src/sim/op.ts';
import { c, fence, model, safe, violates, type StepIn } from './kernel-util.ts';

const L = c('dma_resv_lock', { obj: 'buf' }, 0);
const U = c('dma_resv_unlock', { obj: 'buf' });
const add = (f: string, usage: string) => [c('dma_resv_reserve_fences', { obj: 'buf', num_fences: 1 }, 0), c('dma_resv_add_fence', { obj: 'buf', fence: f, usage }, 'ok')];
const sig = (f: string) => c('dma_fence_signal', { fence: f });
const test_ = (usage: string, want: number) => c('dma_resv_test_signaled', { obj: 'buf', usage }, want);

test('R16 usage U covers every fence of usage <= U', () => {
  safe({ t: [fence('w'), fence('b'), L, ...add('w', 'WRITE'), ...add('b', 'BOOKKEEP'), U,
    test_('KERNEL', 1), test_('WRITE', 0), test_('READ', 0), test_('BOOKKEEP', 0), sig('w'),
    test_('WRITE', 1), test_('READ', 1), test_('BOOKKEEP', 0), sig('b'), test_('BOOKKEEP', 1)] });
});

test('R17 dma_resv_usage_rw: a writer waits for readers (READ), a reader for writers (WRITE)', () => {
  safe({ t: [c('dma_resv_usage_rw', { write: true }, 'READ'), c('dma_resv_usage_rw', { write: false }, 'WRITE')] });
});

test('R18 dma_resv_lock: -EALREADY in the same context, self-deadlock without one', () => {
  safe({ t: [c('ww_acquire_init', {}, undefined, 'ctx'), c('dma_resv_lock', { obj: 'buf', ctx: 'ctx' }, 0), c('dma_resv_lock', { obj: 'buf', ctx: 'ctx' }, '-EALREADY'),
    U, c('ww_acquire_fini', { ctx: 'ctx' }, 'ok')] });
  violates({ t: [L, c('dma_resv_lock', { obj: 'buf' })] }, 'deadlock', 'R18');
  safe({ t: [c('ww_acquire_init', {}, undefined, 'ctx'), c('dma_resv_lock', { obj: 'buf', ctx: 'ctx' }, 0), c('ww_acquire_fini', { ctx: 'ctx' }, 'warn'), U] });
});

/** The kernel's ww back-off loop over `objs`: on -EDEADLK drop everything, lock_slow the contended one. */
function* lockAll(k: Kernel, objs: DmaResv[], ctx: WwAcquireCtx, backoffs: { n: number }): Proc {
  let slow: DmaResv | null = null;
  for (;;) {
    let failed: DmaResv | null = null;
    for (const o of objs) {
      if (o === slow) continue;
      const r: number = yield* dmaResvLock(k, o, ctx);
      if (r === -ERRNO.EDEADLK) { failed = o; break; }
      assert.equal(r, 0);
    }
    if (!failed) return;
    backoffs.n++;
    for (const o of [...ctx.locks]) yield* dmaResvUnlock(k, o);
    yield* dmaResvLockSlow(k, failed, ctx);
    slow = failed;
  }
}

test('R18 Wait-Die: ABBA through acquire contexts never deadlocks, and the younger backs off', () => {
  const backoffs = { n: 0 };
  const runs = model((k) => {
    const a = dmaResvInit(k, 'A'), b = dmaResvInit(k, 'B');
    const body = (order: DmaResv[]) => function* () {
      const ctx = wwAcquireInit(k, 'ctx');
      yield* lockAll(k, order, ctx, backoffs);
      for (const o of [...ctx.locks]) yield* dmaResvUnlock(k, o);
      wwAcquireFini(k, ctx);
    };
    return { t1: body([a, b]), t2: body([b, a]) };
  });
  assert.ok(runs.violations.length > 10);
  for (const v of runs.violations) assert.deepEqual(v.map((x) => x.property), []);
  assert.ok(backoffs.n > 0, 'some schedule needs the -EDEADLK back-off');
});

test('R18 Wait-Die: a context holding no lock waits instead of dying', () => {
  const runs = model((k) => {
    const a = dmaResvInit(k, 'A');
    const old = wwAcquireInit(k, 'old'), young = wwAcquireInit(k, 'young');
    return {
      holder: function* () { const r = yield* dmaResvLock(k, a, old); assert.equal(r, 0); yield* dmaResvUnlock(k, a); },
      young: function* () { const r = yield* dmaResvLock(k, a, young); assert.equal(r, 0, 'young holds nothing: it must wait, not die'); yield* dmaResvUnlock(k, a); },
    };
  });
  for (const v of runs.violations) assert.deepEqual(v, []);
});

test('R28 ABBA without acquire contexts is a deadlock (lockdep cycle or hang)', () => {
  const t = (x: string, y: string): StepIn[] => [c('dma_resv_lock', { obj: x }), c('dma_resv_lock', { obj: y }), c('dma_resv_unlock', { obj: y }), c('dma_resv_unlock', { obj: x })];
  violates({ boot: [c('dma_buf_export', {}, undefined, 'b2')], t1: t('buf', 'b2'), t2: t('b2', 'buf'), end: [c('dma_buf_put', { dmabuf: 'b2' })] }, 'deadlock');
});

test('R18a dma_resv_lock_interruptible behaves as dma_resv_lock (no signals)', () => {
  safe({ t: [c('dma_resv_lock_interruptible', { obj: 'buf' }, 0), U] });
});

test('R18b dma_resv_lock_slow with a lock still held in the context WARNs', () => {
  safe({ t: [c('dma_resv_init', {}, undefined, 'r2'), c('ww_acquire_init', {}, undefined, 'ctx'), c('dma_resv_lock', { obj: 'buf', ctx: 'ctx' }, 0),
    c('dma_resv_lock_slow', { obj: 'r2', ctx: 'ctx' }, 'warn'), c('dma_resv_unlock', { obj: 'r2' }), U, c('ww_acquire_fini', { ctx: 'ctx' })] });
});

test('R18c dma_resv_trylock: true iff acquired, never blocks', () => {
  safe({ t: [c('dma_resv_trylock', { obj: 'buf' }, true), c('dma_resv_trylock', { obj: 'buf' }, false), U] });
});

test('R19 dma_resv_unlock of a lock not held is api-misuse', () => {
  safe({ t: [c('dma_resv_unlock', { obj: 'buf' }, 'warn')] });
  violates({ t: [c('dma_resv_unlock', { obj: 'buf' })] }, 'api-misuse', 'R19');
});

test('R20 reservations end with the lock hold', () => {
  violates({ t: [fence('f'), L, c('dma_resv_reserve_fences', { obj: 'buf', num_fences: 1 }), U, L, c('dma_resv_add_fence', { obj: 'buf', fence: 'f', usage: 'READ' })] }, 'api-misuse', 'R23');
});

test('R21 dma_resv_assert_held', () => {
  safe({ t: [c('dma_resv_assert_held', { obj: 'buf' }, 'warn'), L, c('dma_resv_assert_held', { obj: 'buf' }, 'ok'), U] });
});

test('R22 dma_resv_reserve_fences is not additive', () => {
  violates({ t: [fence('f1'), fence('f2'), L, c('dma_resv_reserve_fences', { obj: 'buf', num_fences: 1 }), c('dma_resv_reserve_fences', { obj: 'buf', num_fences: 1 }),
    c('dma_resv_add_fence', { obj: 'buf', fence: 'f1', usage: 'READ' }), c('dma_resv_add_fence', { obj: 'buf', fence: 'f2', usage: 'READ' })] }, 'api-misuse', 'R23');
  safe({ t: [c('dma_resv_reserve_fences', { obj: 'buf', num_fences: 1 }, 'warn')] });
});

test('R23 dma_resv_add_fence: BUG without a slot; a later fence of the context replaces without one', () => {
  safe({ t: [c('dma_fence_context_alloc', {}, undefined, 'x'), fence('f1', { context: 'x', seqno: 1 }), fence('f2', { context: 'x', seqno: 2 }), L,
    ...add('f1', 'WRITE'), c('dma_resv_add_fence', { obj: 'buf', fence: 'f2', usage: 'WRITE' }, 'ok'), U, sig('f2'), test_('WRITE', 1), sig('f1')] });
  safe({ t: [fence('f1'), L, c('dma_resv_add_fence', { obj: 'buf', fence: 'f1', usage: 'WRITE' }, 'warn')] });
  safe({ t: [fence('f1'), c('dma_resv_add_fence', { obj: 'buf', fence: 'f1', usage: 'WRITE' }, 'warn')] });
});

test('R24 dma_resv_replace_fences swaps every fence of a context', () => {
  safe({ t: [c('dma_fence_context_alloc', {}, undefined, 'x'), fence('f1', { context: 'x' }), fence('p'), L, ...add('f1', 'WRITE'),
    c('dma_resv_replace_fences', { obj: 'buf', context: 'x', replacement: 'p', usage: 'BOOKKEEP' }, 'ok'), U,
    test_('READ', 1), test_('BOOKKEEP', 0), sig('p'), sig('f1'), c('dma_resv_replace_fences', { obj: 'buf', context: 'x', replacement: 'p', usage: 'READ' }, 'warn')] });
});

test('R25 dma_resv_test_signaled needs no lock', () => {
  safe({ t: [fence('f'), L, ...add('f', 'KERNEL'), U, test_('KERNEL', 0), sig('f'), test_('KERNEL', 1)] });
});

test('R26 dma_resv_wait_timeout: remaining time, 1 for a poll of signalled fences, 0 when pending', () => {
  safe({ t: [fence('f'), c('dma_resv_wait_timeout', { obj: 'buf', usage: 'BOOKKEEP', timeout: 0 }, 1), L, ...add('f', 'READ'), U,
    c('dma_resv_wait_timeout', { obj: 'buf', usage: 'BOOKKEEP', timeout: 0 }, 0), c('dma_resv_wait_timeout', { obj: 'buf', usage: 'WRITE', timeout: 5 }, 5),
    sig('f'), c('dma_resv_wait_timeout', { obj: 'buf', usage: 'BOOKKEEP' }, 'MAX_SCHEDULE_TIMEOUT')] });
});

test('R26 a waiter in another thread sees fences added meanwhile and waits for them', () => {
  safe({ waiter: [c('dma_resv_wait_timeout', { obj: 'buf', usage: 'BOOKKEEP' }, 'MAX_SCHEDULE_TIMEOUT')], producer: [fence('f'), L, ...add('f', 'BOOKKEEP'), U, sig('f')] });
  violates({ waiter: [c('dma_resv_wait_timeout', { obj: 'buf', usage: 'BOOKKEEP', timeout: 3 })], producer: [fence('f'), L, ...add('f', 'BOOKKEEP'), U, sig('f')] }, 'wait-timeout', 'P9');
});
