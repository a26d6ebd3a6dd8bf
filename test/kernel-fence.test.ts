// dma-fence rules R1-R15, one test (or more) per rule, as call-step scenarios.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explore } from '../src/check/explore.ts';
import { dmaFenceAddCallback, dmaFenceContextAlloc, dmaFenceInit, dmaFenceSignal, dmaFenceWait, type FenceCallback } from '../src/kernel/fence.ts';
import { newKernel } from '../src/kernel/kernel.ts';
import { Runtime } from '../src/sim/runtime.ts';
import { c, fence, model, rejects, safe, violates } from './kernel-util.ts';

test('R1 dma_fence_context_alloc hands out fresh contexts', () => {
  const k = newKernel(new Runtime(), 'landed');
  const a = dmaFenceContextAlloc(k, 3);
  const b = dmaFenceContextAlloc(k, 1);
  assert.equal(b, a + 3);
  safe({ t: [c('dma_fence_context_alloc', { num: 2 }, undefined, 'ctx1'), fence('f1', { context: 'ctx1' }), fence('f2'),
    c('dma_fence_is_later', { f1: 'f1', f2: 'f2' }, 'warn')] });
});

test('R2 dma_fence_init: pending, status 0; init64 compares 64-bit seqnos', () => {
  safe({ t: [fence('f1'), c('dma_fence_get_status', { fence: 'f1' }, 0), c('dma_fence_is_signaled', { fence: 'f1' }, 0),
    c('dma_fence_context_alloc', {}, undefined, 'x'),
    c('dma_fence_init64', { context: 'x', seqno: 4294967295 }, undefined, 'a'), c('dma_fence_init64', { context: 'x', seqno: 4294967297 }, undefined, 'b'),
    c('dma_fence_is_later', { f1: 'b', f2: 'a' }, 1)] });
});

test('R3 dma_fence_get/put; a put below zero is api-misuse', () => {
  safe({ t: [fence('f1'), c('dma_fence_get', { fence: 'f1' }, 'ok'), c('dma_fence_put', { fence: 'f1' }, 'ok'), c('dma_fence_put', { fence: 'f1' }, 'ok'),
    c('dma_fence_put', { fence: 'f1' }, 'warn')] });
  violates({ t: [fence('f1'), c('dma_fence_put', { fence: 'f1' }), c('dma_fence_put', { fence: 'f1' })] }, 'api-misuse', 'R3');
});

test('R4 dma_fence_signal: landed returns nothing, a second signal changes nothing', () => {
  safe({ t: [fence('f1'), c('dma_fence_signal', { fence: 'f1' }, 'ok'), c('dma_fence_signal', { fence: 'f1' }, 'ok'),
    c('dma_fence_signal', { fence: null }, 'warn'), c('dma_fence_get_status', { fence: 'f1' }, 1)] });
});

test('R4 [pre,v2,v3] dma_fence_signal returns 0 then -EINVAL; NULL -EINVAL', () => {
  for (const kernel of ['pre', 'v2', 'v3'] as const) {
    safe({ t: [fence('f1'), c('dma_fence_signal', { fence: 'f1' }, 0), c('dma_fence_signal', { fence: 'f1' }, '-EINVAL'), c('dma_fence_signal', { fence: null }, '-EINVAL')] }, { kernel });
  }
  // expecting the landed "ok" from a v2 double signal is an unexpected result
  violates({ t: [fence('f1'), c('dma_fence_signal', { fence: 'f1' }, 0), c('dma_fence_signal', { fence: 'f1' }, 0)] }, 'unexpected-result', 'R4', { kernel: 'v2' });
});

test('R4 [landed] dma_fence_check_and_signal; absent before', () => {
  safe({ t: [fence('f1'), c('dma_fence_check_and_signal', { fence: 'f1' }, 0), c('dma_fence_check_and_signal', { fence: 'f1' }, 1)] });
  rejects({ t: [fence('f1'), c('dma_fence_check_and_signal', { fence: 'f1' })] }, /does not exist in kernel v3/, { kernel: 'v3' });
});

test('R4 the signal consumes the queued callbacks: remove_callback afterwards finds neither (0)', () => {
  safe({ t: [fence('f1'), c('dma_fence_add_callback', { fence: 'f1' }, 0, 'cb1'), c('dma_fence_add_callback', { fence: 'f1' }, 0, 'cb2'),
    c('dma_fence_signal', { fence: 'f1' }), c('dma_fence_remove_callback', { fence: 'f1', cb: 'cb1' }, 0), c('dma_fence_remove_callback', { fence: 'f1', cb: 'cb2' }, 0)] });
});

test('R4 in every schedule, each queued callback runs once, in registration order, inside the first signal\'s step, in the signalling thread', () => {
  let runs = 0;
  explore(() => {
    const rt = new Runtime();
    const k = newKernel(rt, 'landed');
    const f = dmaFenceInit(k, 'f1', dmaFenceContextAlloc(k, 1), 1, 'signaller');
    const ran: { cb: string; thread: string; event: number }[] = [];
    const cb = (name: string): FenceCallback => ({ name, ran: false, fence: null, func: () => { ran.push({ cb: name, thread: rt.currentName, event: rt.events.length - 1 }); } });
    const added: string[] = [];
    rt.spawn('adder', function* () {
      for (const x of [cb('cb1'), cb('cb2')]) if ((yield* dmaFenceAddCallback(k, f, x)) === 0) added.push(x.name);
    });
    rt.spawn('signaller', function* () { yield* dmaFenceSignal(k, f); yield* dmaFenceSignal(k, f); });
    rt.atEnd(() => {
      runs++;
      assert.deepEqual(ran.map((r) => r.cb), added, 'every callback queued before the signal, once, in order');
      for (const r of ran) {
        assert.equal(r.thread, 'signaller', `${r.cb} ran in ${r.thread}`);
        const ev = rt.events[r.event]!;
        assert.equal(ev.op.label, 'dma_fence_signal');
        assert.equal(rt.events.findIndex((e) => e.op.label === 'dma_fence_signal'), r.event, `${r.cb} ran at the first signal`);
      }
    });
    rt.start();
    return rt;
  }, { strategy: 'exhaustive' }, () => false);
  assert.ok(runs >= 3, `explored ${runs} schedules`);
});

test('R5 dma_fence_set_error: before the signal only, negative errno only', () => {
  safe({ t: [fence('f1'), c('dma_fence_set_error', { fence: 'f1', error: '-EIO' }, 'ok'), c('dma_fence_set_error', { fence: 'f1', error: 5 }, 'warn'),
    c('dma_fence_set_error', { fence: 'f1', error: -5000 }, 'warn'), c('dma_fence_set_error', { fence: 'f1', error: '-EIO' }, 'ok'), c('dma_fence_signal', { fence: 'f1' }),
    c('dma_fence_set_error', { fence: 'f1', error: '-ENODEV' }, 'warn'), c('dma_fence_get_status', { fence: 'f1' }, '-ENODEV')] });
});

test('R6 dma_fence_get_status: 0 pending, 1 signalled, the error', () => {
  safe({ t: [fence('f1'), fence('f2'), c('dma_fence_get_status', { fence: 'f1' }, 0), c('dma_fence_signal', { fence: 'f1' }),
    c('dma_fence_get_status', { fence: 'f1' }, 1), c('dma_fence_set_error', { fence: 'f2', error: '-ETIME' }), c('dma_fence_signal', { fence: 'f2' }),
    c('dma_fence_get_status', { fence: 'f2' }, '-ETIME')] });
});

test('R7 dma_fence_is_signaled follows the signal', () => {
  safe({ t: [fence('f1'), c('dma_fence_is_signaled', { fence: 'f1' }, false), c('dma_fence_signal', { fence: 'f1' }), c('dma_fence_is_signaled', { fence: 'f1' }, true)] });
});

test('R8 dma_fence_add_callback: NULL func WARNs, signalled -ENOENT, one fence per callback', () => {
  safe({ t: [fence('f1'), fence('f2'), c('dma_fence_add_callback', { fence: 'f1', func: null }, 'warn'), c('dma_fence_add_callback', { fence: null }, 'warn'),
    c('dma_fence_add_callback', { fence: 'f1' }, 0, 'cb'), c('dma_fence_add_callback', { fence: 'f2', cb: 'cb' }, 'warn'),
    c('dma_fence_signal', { fence: 'f1' }), c('dma_fence_signal', { fence: 'f2' }), c('dma_fence_add_callback', { fence: 'f1' }, '-ENOENT')] });
});

test('R9 dma_fence_remove_callback: true only while pending', () => {
  safe({ t: [fence('f1'), c('dma_fence_add_callback', { fence: 'f1' }, 0, 'cb'), c('dma_fence_remove_callback', { fence: 'f1', cb: 'cb' }, 1),
    c('dma_fence_remove_callback', { fence: 'f1', cb: 'cb' }, 0), c('dma_fence_signal', { fence: 'f1' })] });
});

test('R10 dma_fence_wait_timeout: negative WARNs, 0 polls, signalled returns the budget', () => {
  safe({ t: [fence('f1'), c('dma_fence_wait_timeout', { fence: 'f1', timeout: -1 }, 'warn'), c('dma_fence_wait_timeout', { fence: 'f1', timeout: 0 }, 0),
    c('dma_fence_signal', { fence: 'f1' }), c('dma_fence_wait_timeout', { fence: 'f1', timeout: 0 }, 1), c('dma_fence_wait_timeout', { fence: 'f1', timeout: 7 }, 7)] });
});

test('R10 a finite wait may time out (explorer choice): wait-timeout unless 0 is expected', () => {
  const steps = (expect?: unknown) => ({ boot: [fence('f1')], waiter: [c('dma_fence_wait_timeout', { fence: 'f1', timeout: 10 }, expect)], signaller: [c('dma_fence_signal', { fence: 'f1' })] });
  violates(steps(), 'wait-timeout', 'P9');
  violates(steps(10), 'unexpected-result');
});

test('R11 dma_fence_wait blocks until signalled; nobody signalling is wait-timeout', () => {
  safe({ t: [fence('f1'), c('dma_fence_signal', { fence: 'f1' }), c('dma_fence_wait', { fence: 'f1' }, 0)] });
  const runs = model((k) => {
    const f = dmaFenceInit(k, 'f', dmaFenceContextAlloc(k, 1), 1, 'signaller');
    return {
      waiter: function* () { const r = yield* dmaFenceWait(k, f); assert.equal(r, 0); assert.equal(f.signaled, true); },
      signaller: function* () { yield* dmaFenceSignal(k, f); },
    };
  });
  assert.ok(runs.violations.length >= 1);
  for (const v of runs.violations) assert.deepEqual(v, []);
  for (const t of runs.traces) assert.ok(t.indexOf('signaller:dma_fence_signal') < t.indexOf('waiter:dma_fence_wait'));
  violates({ t: [fence('f1'), c('dma_fence_wait', { fence: 'f1' })] }, 'wait-timeout', 'P9');
});

test('R12 dma_fence_is_later: same context only, 32-bit wrap-around', () => {
  safe({ t: [c('dma_fence_context_alloc', {}, undefined, 'x'), fence('a', { context: 'x', seqno: 4294967295 }), fence('b', { context: 'x', seqno: 1 }), fence('o'),
    c('dma_fence_is_later', { f1: 'b', f2: 'a' }, 1), c('dma_fence_is_later', { f1: 'a', f2: 'b' }, 0), c('dma_fence_is_later', { f1: 'a', f2: 'a' }, 0),
    c('dma_fence_is_later_or_same', { f1: 'a', f2: 'a' }, 1), c('dma_fence_is_later', { f1: 'a', f2: 'o' }, 'warn')] });
});

test('R13 no resv lock and no fence wait in a signalling critical section', () => {
  safe({ t: [fence('f1'), c('dma_fence_begin_signalling', {}, 0, 'cookie'), c('dma_resv_lock', { obj: 'buf' }, 'warn'), c('dma_resv_unlock', { obj: 'buf' }),
    c('dma_fence_wait_timeout', { fence: 'f1', timeout: 0 }, 'warn'), c('dma_fence_end_signalling', { cookie: 'cookie' }), c('dma_resv_lock', { obj: 'buf' }, 0),
    c('dma_resv_unlock', { obj: 'buf' })] });
  violates({ t: [c('dma_fence_begin_signalling'), c('dma_resv_lock', { obj: 'buf' }), c('dma_resv_unlock', { obj: 'buf' })] }, 'api-misuse', 'R13');
});

test('R14 a published fence nobody signals: leak, or wait-timeout when waited for', () => {
  const publish = [fence('f1'), c('dma_resv_lock', { obj: 'buf' }), c('dma_resv_reserve_fences', { obj: 'buf', num_fences: 1 }), c('dma_resv_add_fence', { obj: 'buf', fence: 'f1', usage: 'WRITE' }), c('dma_resv_unlock', { obj: 'buf' })];
  violates({ t: publish }, 'leak', 'R14');
  violates({ t: [...publish, c('dma_resv_wait_timeout', { obj: 'buf', usage: 'WRITE' })] }, 'wait-timeout', 'P9');
  safe({ t: [...publish, c('dma_fence_signal', { fence: 'f1' })] });
});

test('R15 releasing a pending fence with callbacks: WARN, -EDEADLK, callbacks run', () => {
  safe({ t: [fence('f1'), c('dma_fence_add_callback', { fence: 'f1' }, 0, 'cb'), c('dma_fence_put', { fence: 'f1' }, 'warn'),
    c('dma_fence_remove_callback', { fence: 'f1', cb: 'cb' }, 0), c('dma_fence_get_status', { fence: 'f1' }, '-EDEADLK')] });
});

test('call steps: unknown functions and arguments are positioned errors with did-you-mean', () => {
  rejects({ t: [c('dma_fence_signall', { fence: 'f1' })] }, /rule-test\.yaml:\d+:\d+: threads\[0\]\.steps\[0\]\.call: "dma_fence_signall" is not a core function.*did you mean "dma_fence_signal"/);
  rejects({ t: [fence('f1'), c('dma_fence_signal', { fenc: 'f1' })] }, /steps\[1\]\.args\.fenc: dma_fence_signal has no parameter "fenc" \(did you mean "fence"\?\)/);
  rejects({ t: [c('dma_fence_signal', { fence: 'f9' })] }, /"f9" is not bound by any step's "as"/);
  rejects({ t: [fence('f1'), c('dma_buf_pin', { attach: 'f1' })] }, /"f1" is a fence, dma_buf_pin's attach expects a attach/);
  rejects({ t: [fence('f1'), c('dma_fence_signal', { fence: 'f1' }, 'maybe')] }, /expect: expected a number, an errno name/);
});

test('call steps: a name used before its step ran is unexpected-result', () => {
  violates({ a: [c('dma_fence_signal', { fence: 'f1' })], b: [fence('f1'), c('dma_fence_signal', { fence: 'f1' })] }, 'unexpected-result');
});
