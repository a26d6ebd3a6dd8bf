// Generated small programs for the explorer tests: two or three threads of reads, writes
// and locked increments over two variables; the final state (values and what each thread
// read) is reported as a 'leak' message so that tests can compare sets of outcomes.
import fc from 'fast-check';
import { normalOrder } from '../src/check/audit.ts';
import { explore, type Strategy } from '../src/check/explore.ts';
import { sharedRead, sharedWrite, waitUntil } from '../src/sim/completion.ts';
import { mutexLock, mutexUnlock, newMutex } from '../src/sim/mutex.ts';
import { OpKind } from '../src/sim/op.ts';
import { Runtime } from '../src/sim/runtime.ts';

export const opArb = fc.oneof(
  fc.record({ k: fc.constant('r' as const), v: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ k: fc.constant('w' as const), v: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ k: fc.constant('inc' as const), v: fc.integer({ min: 0, max: 1 }) }),
);
export const progArb = fc.array(fc.array(opArb, { minLength: 1, maxLength: Number(process.env.DPOR_LEN ?? 2) }), { minLength: 2, maxLength: 3 });

export function progWorld(prog: { k: 'r' | 'w' | 'inc'; v: number }[][]) {
  return () => {
    const rt = new Runtime();
    const objs = [rt.newObject('x'), rt.newObject('y')];
    const m = newMutex(rt, 'm');
    const vals = [0, 0];
    const seen: number[][] = prog.map(() => []);
    prog.forEach((ops, ti) => {
      rt.spawn(`t${ti}`, function* () {
        for (const [i, op] of ops.entries()) {
          if (op.k === 'r') seen[ti]!.push(yield* sharedRead(objs[op.v]!, 'r', '', () => vals[op.v]!));
          else if (op.k === 'w') yield* sharedWrite(objs[op.v]!, 'w', '', () => { vals[op.v] = ti * 10 + i; });
          else {
            yield* mutexLock(rt, m);
            const v = yield* sharedRead(objs[op.v]!, 'r', '', () => vals[op.v]!);
            yield* sharedWrite(objs[op.v]!, 'w', '', () => { vals[op.v] = v + 1; });
            yield* mutexUnlock(rt, m);
          }
        }
      });
    });
    rt.atEnd(() => rt.report('leak', 'state', JSON.stringify([vals, seen])));
    rt.start();
    return rt;
  };
}


/** Programs with waits: `wait` blocks until variable `v` holds `x`, which a later write may undo. */
export type WaitOp = { k: 'r' | 'w' | 'wait'; v: number; x: number };
export const waitOpArb: fc.Arbitrary<WaitOp> = fc.record({ k: fc.constantFrom('r' as const, 'w' as const, 'wait' as const), v: fc.integer({ min: 0, max: 1 }), x: fc.integer({ min: 0, max: 2 }) });
export const waitProgArb = fc.array(fc.array(waitOpArb, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 3 });

export function waitProgWorld(prog: WaitOp[][]) {
  return () => {
    const rt = new Runtime();
    const objs = [rt.newObject('x'), rt.newObject('y')];
    const vals = [0, 0];
    const seen: number[][] = prog.map(() => []);
    prog.forEach((ops, ti) => {
      rt.spawn(`t${ti}`, function* () {
        for (const op of ops) {
          if (op.k === 'r') seen[ti]!.push(yield* sharedRead(objs[op.v]!, 'r', '', () => vals[op.v]!));
          else if (op.k === 'w') yield* sharedWrite(objs[op.v]!, 'w', '', () => { vals[op.v] = op.x; });
          else yield* waitUntil(objs[op.v]!, 'wait', '', () => vals[op.v] === op.x, 'completion');
        }
      });
    });
    rt.atEnd(() => rt.report('leak', 'state', JSON.stringify([vals, seen])));
    rt.start();
    return rt;
  };
}

/**
 * Programs with a reference count (Op.counter): gets and puts (a put sees whether it
 * reached zero), plain reads and sets of the count, and writes of another variable.
 */
export type CountOp = { k: 'get' | 'put' | 'read' | 'set' | 'w'; x: number };
export const countOpArb: fc.Arbitrary<CountOp> = fc.record({
  k: fc.constantFrom('get' as const, 'put' as const, 'get' as const, 'put' as const, 'read' as const, 'set' as const, 'w' as const),
  x: fc.integer({ min: 0, max: 2 }),
});
export const countProgArb = fc.record({
  start: fc.integer({ min: 0, max: 3 }),
  threads: fc.array(fc.array(countOpArb, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 3 }),
});

/**
 * `plain`: the same program with its gets and puts as ordinary writes (no Op.counter);
 * `held`: counter ops with `held` (references held by the threads that took them).
 */
export function countProgWorld(prog: { start: number; threads: CountOp[][] }, plain = false, held = false) {
  return () => {
    const rt = new Runtime();
    const c = rt.newObject('count');
    const y = rt.newObject('y');
    let count = prog.start;
    let other = 0;
    const seen: unknown[][] = prog.threads.map(() => []);
    prog.threads.forEach((ops, ti) => {
      rt.spawn(`t${ti}`, function* () {
        for (const op of ops) {
          if (op.k === 'get' || op.k === 'put') {
            const delta = op.k === 'get' ? 1 : -1;
            seen[ti]!.push(yield {
              kind: OpKind.Write, obj: c, write: true, label: op.k, ...(plain ? {} : { counter: { delta, value: () => count, held } }),
              apply: () => (count += delta) === 0,
            });
          } else if (op.k === 'read') seen[ti]!.push(yield* sharedRead(c, 'read', '', () => count));
          else if (op.k === 'set') yield* sharedWrite(c, 'set', '', () => { count = op.x; });
          else yield* sharedWrite(y, 'w', '', () => { other = ti * 10 + op.x; });
        }
      });
    });
    rt.atEnd(() => rt.report('leak', 'state', JSON.stringify([count, other, seen])));
    rt.start();
    return rt;
  };
}

/** What a search meets: the final states (as the violations report them) and the classes. */
export function finals(build: () => Runtime, strategy: Strategy) {
  const out = new Set<string>();
  const forms = new Set<string>();
  const stats = explore(build, { strategy }, (rt) => {
    out.add(rt.violations.map((v) => v.message).join(';'));
    forms.add(Array.from(normalOrder(rt), (i) => rt.hb.tids[i]).join(''));
    return false;
  });
  return { out, forms, stats };
}
