// P7: a scenario thread that returns while it holds a lock (a dma_resv/ww_mutex, a mutex,
// an acquire context not finished, a fence signalling section) is lockdep's "lock held
// when returning to user space!" (kernel/locking/lockdep.c:lockdep_sys_exit). Background
// threads never return and are exempt.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSchedule } from '../src/check/replay.ts';
import { mutexLock, mutexUnlock, newMutex } from '../src/sim/mutex.ts';
import { Runtime } from '../src/sim/runtime.ts';
import { c, safe, scenario, violates, type StepIn } from './kernel-util.ts';

const L = c('dma_resv_lock', { obj: 'buf' });
const U = c('dma_resv_unlock', { obj: 'buf' });

/** The violations of the one execution of a single-thread call scenario. */
function violationsOf(steps: StepIn[]): { property: string; rule: string; message: string; thread: string }[] {
  return runSchedule(scenario({ t: steps }), []).rt.violations;
}

test('P7: a thread that returns holding the dma-buf resv (a ww_mutex) is api-misuse naming the lock', () => {
  const r = violates({ t: [L] }, 'api-misuse', 'P7');
  assert.match(r.violation!.message, /^t returns to user space holding .*resv.* \(lockdep: lock held when returning to user space!\)$/);
  safe({ t: [L, U] });
});

test('P7: a thread that returns with an acquire context not finished is api-misuse; after ww_acquire_fini it is not', () => {
  const r = violates({ t: [c('ww_acquire_init', {}, undefined, 'ctx')] }, 'api-misuse', 'P7');
  assert.match(r.violation!.message, /t returns to user space with ctx not finished/);
  safe({ t: [c('ww_acquire_init', {}, undefined, 'ctx'), c('ww_acquire_fini', { ctx: 'ctx' })] });
  // a context another thread initialised is that thread's: only it is reported
  const vs = runSchedule(scenario({ a: [c('ww_acquire_init', {}, undefined, 'ctx')], b: [c('dma_fence_init', {}, undefined, 'f')] }), []).rt.violations;
  assert.deepEqual(vs.map((v) => [v.rule, v.thread]), [['P7', 'a']]);
});

test('P7: a thread that returns inside a fence signalling section is api-misuse', () => {
  violates({ t: [c('dma_fence_begin_signalling', {}, undefined, 'cookie')] }, 'api-misuse', 'P7');
  safe({ t: [c('dma_fence_begin_signalling', {}, undefined, 'cookie'), c('dma_fence_end_signalling', { cookie: 'cookie' })] });
});

test('P7: a thread that returns holding a mutex is api-misuse; a background thread that does is exempt', () => {
  const run = (background: boolean) => {
    const rt = new Runtime();
    const m = newMutex(rt, 'vfio.memory_lock');
    rt.spawn('holder', function* () { yield* mutexLock(rt, m); }, background);
    rt.spawn('fine', function* () { yield* mutexLock(rt, newMutex(rt, 'other')); }, true);
    rt.start();
    while (rt.enabledMask()) rt.step(31 - Math.clz32(rt.enabledMask() & -rt.enabledMask()));
    rt.finish();
    return rt.violations;
  };
  const vs = run(false);
  assert.deepEqual(vs.map((v) => [v.property, v.rule, v.thread]), [['api-misuse', 'P7', 'holder']]);
  assert.match(vs[0]!.message, /holder returns to user space holding vfio\.memory_lock/);
  assert.deepEqual(run(true), []);
  // a released mutex leaves nothing held
  const rt = new Runtime();
  const m = newMutex(rt, 'm');
  rt.spawn('t', function* () { yield* mutexLock(rt, m); yield* mutexUnlock(rt, m); });
  rt.start();
  while (rt.enabledMask()) rt.step(0);
  rt.finish();
  assert.deepEqual(rt.violations, []);
});

test('P7 is not added for a thread a BUG stopped with the lock held (the oops is the one violation)', () => {
  const vs = violationsOf([c('dma_fence_init', {}, undefined, 'f1'), L, c('dma_resv_add_fence', { obj: 'buf', fence: 'f1', usage: 'WRITE' })]);
  assert.deepEqual(vs.map((v) => v.rule), ['R23']);
  assert.match(vs[0]!.message, /^BUG: /);
});
