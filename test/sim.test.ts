// Runtime and explorer basics: a racy counter, a locked one, a lock-order inversion, and
// dpor against exhaustive on generated small programs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { explore } from '../src/check/explore.ts';
import { complete, newCompletion, retireWork, sharedRead, sharedWrite, waitForCompletion, waitOp, waitUntil } from '../src/sim/completion.ts';
import { mutexLock, mutexUnlock, newMutex, type Mutex } from '../src/sim/mutex.ts';
import { OpKind, type Proc } from '../src/sim/op.ts';
import { Runtime } from '../src/sim/runtime.ts';
import { countProgArb, countProgWorld, finals, progArb, progWorld, waitProgArb, waitProgWorld } from './programs.ts';

function counterWorld(threads: number, locked: boolean) {
  return () => {
    const rt = new Runtime();
    const x = rt.newObject('x');
    const m = newMutex(rt, 'm');
    let value = 0;
    for (let i = 0; i < threads; i++) {
      rt.spawn(`t${i}`, function* () {
        if (locked) yield* mutexLock(rt, m);
        const v = yield* sharedRead(x, 'read', 'x', () => value);
        yield* sharedWrite(x, 'write', 'x', () => { value = v + 1; });
        if (locked) yield* mutexUnlock(rt, m);
      });
    }
    rt.atEnd(() => { if (value !== threads) rt.report('leak', 'test', `counter is ${value}`); });
    rt.start();
    return rt;
  };
}

for (const strategy of ['exhaustive', 'dpor'] as const) {
  test(`${strategy}: a racy counter loses an update under some schedule`, () => {
    const { out } = finals(counterWorld(2, false), strategy);
    assert.ok(out.has('counter is 1'), `final states: ${[...out].join(', ')}`);
    assert.ok(out.has(''));
  });

  test(`${strategy}: a locked counter never loses an update`, () => {
    const { out, stats } = finals(counterWorld(3, true), strategy);
    assert.deepEqual([...out], ['']);
    assert.ok(stats.complete);
  });

  test(`${strategy}: a lock-order inversion is reported as deadlock`, () => {
    const build = () => {
      const rt = new Runtime();
      const a = newMutex(rt, 'A');
      const b = newMutex(rt, 'B');
      const two = (first: Mutex, second: Mutex) => function* (): Proc {
        yield* mutexLock(rt, first);
        yield* mutexLock(rt, second);
        yield* mutexUnlock(rt, second);
        yield* mutexUnlock(rt, first);
      };
      rt.spawn('ab', two(a, b));
      rt.spawn('ba', two(b, a));
      rt.start();
      return rt;
    };
    const props = new Set<string>();
    let hang = false;
    explore(build, { strategy }, (rt) => {
      for (const v of rt.violations) props.add(v.property);
      if (rt.violations.some((v) => v.rule === 'P8' && v.message.startsWith('threads block'))) hang = true;
      return false;
    });
    assert.deepEqual([...props], ['deadlock']);
    assert.ok(hang, 'some schedule hangs for ever');
  });
}

test('dpor explores fewer executions than exhaustive on independent threads', () => {
  const build = () => {
    const rt = new Runtime();
    for (let i = 0; i < 3; i++) {
      const x = rt.newObject(`x${i}`);
      rt.spawn(`t${i}`, function* () {
        yield* sharedWrite(x, 'w', '', () => {});
        yield* sharedWrite(x, 'w', '', () => {});
      });
    }
    rt.start();
    return rt;
  };
  assert.equal(finals(build, 'exhaustive').stats.executions, 90, '6!/(2!2!2!) orders');
  assert.equal(finals(build, 'dpor').stats.executions, 1, 'one execution: nothing is dependent');
});

// Small generated programs (programs.ts): dpor must reach exactly the final states
// exhaustive reaches.
test('dpor reaches the same final states as exhaustive (generated programs)', () => {
  fc.assert(
    fc.property(progArb, (prog) => {
      const ex = finals(progWorld(prog), 'exhaustive').out;
      const dp = finals(progWorld(prog), 'dpor').out;
      assert.deepEqual([...dp].sort(), [...ex].sort());
    }),
    { numRuns: Number(process.env.DPOR_RUNS ?? 60) },
  );
});

// A step enabled only for a moment: B's wait can run only between A's two writes, and of
// two waiters for one completion only one gets it. The reduction must still try both.
test('dpor explores a wait that is enabled only for a moment', () => {
  const build = () => {
    const rt = new Runtime();
    const flag = rt.newObject('flag');
    let value = 0;
    let saw = false;
    rt.spawn('a', function* () {
      yield* sharedWrite(flag, 'set', 'flag', () => { value = 1; });
      yield* sharedWrite(flag, 'clear', 'flag', () => { value = 0; });
    });
    rt.spawn('b', function* () {
      yield* waitUntil(flag, 'wait', 'flag', () => value === 1, 'completion');
      saw = true;
    }, true);
    rt.atEnd(() => rt.report('leak', 'state', saw ? 'saw' : 'missed'));
    rt.start();
    return rt;
  };
  for (const s of ['exhaustive', 'dpor'] as const) assert.deepEqual([...finals(build, s).out].sort(), ['missed', 'saw'], s);
});

test('dpor lets either of two waiters take a single completion', () => {
  const build = () => {
    const rt = new Runtime();
    const c = newCompletion(rt, 'c');
    let winner = '';
    rt.spawn('completer', () => complete(c));
    for (const w of ['w1', 'w2']) {
      rt.spawn(w, function* () {
        yield* waitForCompletion(c);
        winner = w;
      }, true);
    }
    rt.atEnd(() => rt.report('leak', 'state', winner));
    rt.start();
    return rt;
  };
  for (const s of ['exhaustive', 'dpor'] as const) assert.deepEqual([...finals(build, s).out].sort(), ['w1', 'w2'], s);
});

// Waits whose condition a later write undoes: a thread may reach its wait only after the
// write that disabled it, and block for ever. Its pending op is then no event, so the race
// with that write is found only by analysing the waiting threads at the end; without that
// analysis dpor missed final states on 3 of 300 of these programs.
test('dpor reaches the classes and final states of exhaustive (generated programs with waits)', () => {
  let blockedForEver = 0;
  fc.assert(
    fc.property(waitProgArb, (prog) => {
      const ex = finals(waitProgWorld(prog), 'exhaustive');
      const dp = finals(waitProgWorld(prog), 'dpor');
      assert.deepEqual([...dp.out].sort(), [...ex.out].sort());
      assert.deepEqual([...dp.forms].sort(), [...ex.forms].sort());
      if ([...ex.out].some((o) => o.includes('blocked for ever'))) blockedForEver++;
    }),
    { numRuns: Number(process.env.DPOR_RUNS ?? 300), seed: 1 },
  );
  assert.ok(blockedForEver > 20, 'the programs do block');
});

// An op whose objects depend on state (Op.refresh): the pending op and the event show the
// table the selector points at when they are looked at, not when the op was yielded.
test('a refreshed op names what it touches at that moment', () => {
  const build = () => {
    const rt = new Runtime();
    const sel = rt.newObject('sel');
    const tables = [rt.newObject('t0'), rt.newObject('t1')];
    let current = 0;
    let touched = -1;
    rt.spawn('device', function* () {
      yield { kind: OpKind.Read, obj: sel, write: false, label: '', refresh: () => ({
        kind: OpKind.Read, obj: sel, write: false, also: [tables[current]!], label: 'access', apply: () => { touched = current; },
      }) };
    });
    rt.spawn('driver', () => sharedWrite(sel, 'switch', 'sel', () => { current = 1; }));
    rt.atEnd(() => rt.report('leak', 'state', `touched t${touched}`));
    rt.start();
    return rt;
  };
  const rt = build();
  const [t0, t1] = [rt.objNames.indexOf('t0'), rt.objNames.indexOf('t1')];
  assert.deepEqual(rt.threads[0]!.pending!.also, [t0]);
  rt.step(1);
  assert.deepEqual(rt.threads[0]!.pending!.also, [t1], 'refreshed after the other thread\'s step');
  rt.step(0);
  assert.deepEqual(rt.events[rt.visible[1]!]!.op.also, [t1]);
  for (const s of ['exhaustive', 'dpor'] as const) assert.deepEqual([...finals(build, s).out].sort(), ['touched t0', 'touched t1'], s);
});

// A work queue whose worker retires items (Op.retires): producers queue work, a flusher
// waits for none pending. The reduction does not reverse a retire with a wait, so it
// must still reach every class and final state exhaustive search reaches.
function queueWorld(producers: number, items: number, lying: boolean) {
  return () => {
    const rt = new Runtime();
    const q = rt.newObject('queue');
    const st = { queue: 0, pending: 0, done: 0 };
    const seen: string[] = [];
    for (let p = 0; p < producers; p++) {
      rt.spawn(`producer${p}`, function* () {
        for (let i = 0; i < items; i++) yield* sharedWrite(q, 'queue work', 'q', () => { st.queue++; st.pending++; });
      });
    }
    rt.spawn('flusher', function* () {
      yield* waitUntil(q, 'flush', 'q', () => st.pending === 0, 'completion');
      seen.push(`flushed after ${st.done}`);
    });
    rt.spawn('worker', function* () {
      for (;;) {
        yield waitOp(q, 'worker idle', 'q', () => st.queue > 0, 'idle');
        yield* sharedWrite(q, 'fetch', 'q', () => { st.queue--; if (lying) st.pending--; });
        yield* retireWork(q, 'work done', 'q', () => { if (!lying) st.pending--; st.done++; });
      }
    }, true);
    rt.atEnd(() => rt.report('leak', 'state', seen.join(',')));
    rt.start();
    return rt;
  };
}

test('a write that retires work is never reversed with the waits it ends, and nothing is lost', () => {
  for (const [producers, items] of [[1, 2], [2, 1], [2, 2]] as const) {
    const ex = finals(queueWorld(producers, items, false), 'exhaustive');
    const dp = finals(queueWorld(producers, items, false), 'dpor');
    assert.deepEqual([...dp.out].sort(), [...ex.out].sort(), `${producers} x ${items}: final states`);
    assert.deepEqual([...dp.forms].sort(), [...ex.forms].sort(), `${producers} x ${items}: classes`);
    assert.ok(ex.out.size > 1, 'the flush sees different amounts of work done');
  }
  // the claim checked: here the fetch already drops `pending`, so the flush can run while
  // the retire is pending, and the runtime says the model is wrong
  assert.throws(() => explore(queueWorld(1, 1, true), { strategy: 'dpor' }, () => false), /model bug: 'work done' of worker retires work on queue while 'flush' of flusher can run/);
});

// The reduction takes it that an op's enabled() reads only the op's objects; a wait that
// reads a flag another object's writes change is a model bug, and dpor says so.
test('a wait whose enabled() reads outside its footprint stops the dpor search', () => {
  const build = (honest: boolean) => () => {
    const rt = new Runtime();
    const flagObj = rt.newObject('flag');
    const other = rt.newObject('other');
    let flag = false;
    rt.spawn('waiter', () => waitUntil(flagObj, 'wait for flag', 'flag', () => flag, 'completion'));
    rt.spawn('setter', () => sharedWrite(honest ? flagObj : other, 'set flag', 'flag', () => { flag = true; }));
    rt.start();
    return rt;
  };
  assert.equal(explore(build(true), { strategy: 'dpor' }, () => false).executions, 1);
  assert.throws(() => explore(build(false), { strategy: 'dpor' }, () => false), /model bug: 'wait for flag' of waiter was enabled by 'set flag' of setter, which touches none of its objects/);
});

// Reference counts (Op.counter): gets from at least 1 commute with each other, and puts to
// at least 1; everything else about a count stays dependent. dpor must still reach every
// final state exhaustive reaches, including which put saw zero, and the sleep-set search
// (which relies on no race rule) must complete exactly dpor's classes.
test('dpor with commuting reference counts reaches the final states of exhaustive, one execution a class (generated programs)', () => {
  const commuted = { sign: 0, held: 0 };
  fc.assert(
    fc.property(countProgArb, (prog) => {
      for (const held of [false, true]) {
        const ex = finals(countProgWorld(prog, false, held), 'exhaustive');
        const dp = finals(countProgWorld(prog, false, held), 'dpor');
        const sl = finals(countProgWorld(prog, false, held), 'sleep');
        assert.deepEqual([...dp.out].sort(), [...ex.out].sort());
        assert.deepEqual([...dp.forms].sort(), [...ex.forms].sort());
        assert.equal(dp.stats.executions, dp.forms.size, 'dpor explored a class twice');
        assert.equal(sl.stats.executions, dp.stats.executions, 'the sleep-set search completes the same classes');
        if (dp.stats.executions < finals(countProgWorld(prog, true), 'dpor').stats.executions) commuted[held ? 'held' : 'sign']++;
      }
    }),
    { numRuns: Number(process.env.DPOR_RUNS ?? 300), seed: 2 },
  );
  assert.ok(commuted.sign > 30 && commuted.held > 30, `commuting counts saved executions on too few programs: ${JSON.stringify(commuted)}`);
});

/**
 * A count from `start` and `threads` threads that each run the counter steps `deltas` (a
 * put sees whether it reached zero); the final state lists the threads whose put did.
 */
function refWorld(start: number, threads: number, deltas: readonly (1 | -1)[], held: boolean) {
  return () => {
    const rt = new Runtime();
    const c = rt.newObject('count');
    let count = start;
    const zero: string[] = [];
    for (let i = 0; i < threads; i++) {
      rt.spawn(`t${i}`, function* () {
        for (const delta of deltas) {
          const hit = yield { kind: OpKind.Write, obj: c, write: true, label: delta > 0 ? 'get' : 'put', counter: { delta, value: () => count, held }, apply: () => (count += delta) === 0 };
          if (hit) zero.push(`t${i}`);
        }
      });
    }
    rt.atEnd(() => rt.report('leak', 'state', zero.join(',')));
    rt.start();
    return rt;
  };
}

test('puts that stay above zero commute; the one that reaches zero does not', () => {
  const build = (start: number) => refWorld(start, 3, [-1], false);
  // from 4 no put reaches zero: one class; from 3 the last put does: which thread is last
  // matters (3 classes), the order of the first two does not
  assert.equal(finals(build(4), 'dpor').stats.executions, 1);
  const three = finals(build(3), 'dpor');
  assert.equal(three.stats.executions, 3);
  assert.deepEqual([...three.out].sort(), ['t0', 't1', 't2']);
  assert.equal(finals(build(3), 'exhaustive').stats.executions, 6);
});

test('held references: each thread\'s get and put commute with the others while the base reference remains', () => {
  // a creator's reference (the base) and two importers that each take and drop their own
  const build = (start: number, held: boolean) => refWorld(start, 2, [1, -1], held);
  // base 1: no order reaches zero, one class; by sign a get and a put stay ordered
  assert.equal(finals(build(1, true), 'dpor').stats.executions, 1);
  assert.ok(finals(build(1, false), 'dpor').stats.executions > 1);
  // no base: the last put reaches zero, and which thread drops last matters
  const none = finals(build(0, true), 'dpor');
  assert.deepEqual([...none.out].sort(), [...finals(build(0, true), 'exhaustive').out].sort());
  assert.ok(none.out.size > 1);
});

test('counter ops of one object that mix held and by-sign rules stop the search as a model bug', () => {
  const build = () => {
    const rt = new Runtime();
    const c = rt.newObject('count');
    let count = 2;
    rt.spawn('t0', function* () {
      yield { kind: OpKind.Write, obj: c, write: true, label: 'get', counter: { delta: 1 as const, value: () => count, held: true }, apply: () => { count++; } };
    });
    rt.spawn('t1', function* () {
      yield { kind: OpKind.Write, obj: c, write: true, label: 'put', counter: { delta: -1 as const, value: () => count }, apply: () => { count--; } };
    });
    rt.start();
    return rt;
  };
  assert.throws(() => explore(build, { strategy: 'dpor' }, () => false), /model bug: counter ops of count with and without 'held'/);
});

test('the explorers release the worlds they are done with and leave a kept one intact', () => {
  const build = () => {
    const rt = new Runtime();
    const x = rt.newObject('x');
    for (const name of ['a', 'b']) {
      rt.spawn(name, function* () {
        yield { kind: OpKind.Write, obj: x, write: true, label: 'write', detail: name };
      });
    }
    rt.start();
    return rt;
  };
  const worlds: Runtime[] = [];
  const stats = explore(build, { strategy: 'dpor' }, (rt) => {
    assert.equal(rt.events.length, 2, 'intact while the callback runs');
    if (worlds.length === 0) rt.keep();
    worlds.push(rt);
    return false;
  });
  assert.equal(stats.executions, 2);
  assert.deepEqual(worlds.map((w) => w.events.length), [2, 0], 'the kept world keeps its events, the other is dropped');
  assert.equal(worlds[0]!.threads.length, 2);
});
