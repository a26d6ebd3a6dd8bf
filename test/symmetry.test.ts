// Symmetry reduction (sim/symmetry.ts): groups of identical threads explored once per orbit,
// against exhaustive search on generated programs and on scenarios with identical importers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { sharedRead, sharedWrite } from '../src/sim/completion.ts';
import { mutexLock, mutexUnlock, newMutex } from '../src/sim/mutex.ts';
import { Runtime } from '../src/sim/runtime.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { buildWorld, importerSymmetry } from '../src/scenario/world.ts';
import { finals } from './programs.ts';

/** A step of a group thread: read or write a shared variable (0, 1) or the group's own (2); `inc` under the lock. */
type GOp = { k: 'r' | 'w' | 'inc'; v: number; x: number };
const gopArb: fc.Arbitrary<GOp> = fc.record({ k: fc.constantFrom('r' as const, 'w' as const, 'inc' as const), v: fc.integer({ min: 0, max: 2 }), x: fc.integer({ min: 1, max: 2 }) });
const otherArb = fc.array(gopArb.map((o) => ({ ...o, v: o.v % 2 })), { maxLength: 2 });
/** two groups of one or two threads, or three groups of one thread, and a thread outside them */
const symProgArb = fc.oneof(
  fc.record({ groups: fc.constant(2), template: fc.array(fc.array(gopArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 }), other: otherArb }),
  fc.record({ groups: fc.constant(3), template: fc.array(fc.array(gopArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 1 }), other: otherArb }),
);
type SymProg = { groups: number; template: GOp[][]; other: GOp[] };

/**
 * The program's world; its final state is reported with the groups' parts sorted, so that
 * states equal up to renaming the groups compare equal. The lock is the pivot.
 */
function symWorld(prog: SymProg, symmetry: boolean) {
  return () => {
    const rt = new Runtime();
    const shared = [rt.newObject('x'), rt.newObject('y')];
    const m = newMutex(rt, 'm');
    const vals = [0, 0];
    const own = Array.from({ length: prog.groups }, (_, g) => ({ obj: rt.newObject(`z${g}`), val: 0 }));
    const seen: number[][] = [];
    const body = (ops: GOp[], g: number, slot: number) => function* () {
      for (const op of ops) {
        const obj = op.v < 2 ? shared[op.v]! : own[g]!.obj;
        const get = () => (op.v < 2 ? vals[op.v]! : own[g]!.val);
        const set = (x: number) => { if (op.v < 2) vals[op.v] = x; else own[g]!.val = x; };
        if (op.k === 'r') seen[slot]!.push(yield* sharedRead(obj, 'r', '', get));
        else if (op.k === 'w') yield* sharedWrite(obj, 'w', '', () => set(op.x));
        else {
          yield* mutexLock(rt, m);
          const v = yield* sharedRead(obj, 'r', '', get);
          yield* sharedWrite(obj, 'w', '', () => set(v + op.x));
          yield* mutexUnlock(rt, m);
        }
      }
    };
    const classes: number[][] = [];
    for (let g = 0; g < prog.groups; g++) {
      classes.push(prog.template.map((ops) => {
        seen.push([]);
        return rt.spawn(`g${g}t`, body(ops, g, seen.length - 1));
      }));
    }
    seen.push([]);
    rt.spawn('other', body(prog.other, 0, seen.length - 1));
    if (symmetry) rt.useSymmetry({ classes: [classes], names: [classes.map((_, g) => `g${g}`)], pivot: m.id });
    rt.atEnd(() => {
      const parts = own.map((o, g) => JSON.stringify([o.val, classes[g]!.map((t) => seen[t])])).sort();
      rt.report('leak', 'state', JSON.stringify([vals, parts, seen[seen.length - 1]]));
    });
    rt.start();
    return rt;
  };
}

/** A Spin-twin-like scenario: VFIO revokes while `n` identical gpu-dynamic importers each run `k` transfers. */
function twinYaml(name: string, n: number, k: number, variant: string): string {
  const ids = Array.from({ length: n }, (_, i) => `gpu${i}`);
  return [
    `name: ${name}`, 'description: a revoke against identical importers',
    `exporter: { driver: vfio-pci, variant: ${variant} }`,
    'importers:', ...ids.map((id) => `  - { id: ${id}, driver: gpu-dynamic }`),
    'threads:', '  - { name: reset, steps: [revoke] }',
    ...ids.map((id) => `  - { name: ${id}-user, steps: [{ import: ${id} }, ${k ? `{ dma: { importer: ${id}, count: ${k} } }, ` : ''}{ release: ${id} }] }`),
    variant === 'correct' ? 'expect: { verdict: safe }' : 'expect: { verdict: violation, property: dma-after-revoke }', '',
  ].join('\n');
}

/** Visible steps of a program (an `inc` is four), to keep `exhaustive` to the small ones. */
const size = (p: SymProg) => [...p.template.flat().map((o) => o.k === 'inc' ? 4 : 1).map((n) => n * p.groups), ...p.other.map((o) => (o.k === 'inc' ? 4 : 1))].reduce((a, b) => a + b, 0);

test('dpor with symmetry reaches every final state of dpor and exhaustive up to renaming the groups (generated programs)', () => {
  let fewer = 0;
  let exhaustive = 0;
  fc.assert(fc.property(symProgArb, (prog) => {
    const plain = finals(symWorld(prog, false), 'dpor');
    const sym = finals(symWorld(prog, true), 'dpor');
    assert.deepEqual([...sym.out].sort(), [...plain.out].sort());
    if (size(prog) <= 8) {
      exhaustive++;
      assert.deepEqual([...finals(symWorld(prog, false), 'exhaustive').out].sort(), [...plain.out].sort());
    }
    assert.ok(sym.stats.executions <= plain.stats.executions);
    if (sym.stats.executions < plain.stats.executions) fewer++;
  }), { numRuns: Number(process.env.SYM_RUNS ?? 150), seed: 9 });
  assert.ok(fewer >= 30, `symmetry saved executions on ${fewer} programs`);
  assert.ok(exhaustive >= 30, `${exhaustive} programs checked against exhaustive`);
});

test('an execution held only by the symmetry order is dropped as an image, not reported as a hang', () => {
  // each group: if x is still 0, set it and take the lock; the group that finds it set does nothing
  const world = (symmetry: boolean) => () => {
    const rt = new Runtime();
    const x = rt.newObject('x');
    const m = newMutex(rt, 'm');
    let value = 0;
    const locked: number[] = [];
    const tids = [0, 1].map((g) => rt.spawn(`g${g}`, function* () {
      if ((yield* sharedRead(x, 'r', '', () => value)) !== 0) return;
      yield* sharedWrite(x, 'w', '', () => { value = 1; });
      yield* mutexLock(rt, m);
      locked.push(g);
      yield* mutexUnlock(rt, m);
    }));
    if (symmetry) rt.useSymmetry({ classes: [[[tids[0]!], [tids[1]!]]], names: [['g0', 'g1']], pivot: m.id });
    rt.atEnd(() => rt.report('leak', 'state', `${locked.length} took the lock`));
    rt.start();
    return rt;
  };
  const plain = finals(world(false), 'dpor');
  const sym = finals(world(true), 'dpor');
  assert.deepEqual([...sym.out].sort(), [...plain.out].sort());
  assert.ok(![...sym.out].some((s) => /block/.test(s)), [...sym.out].join(' | '));
  assert.ok(sym.stats.symmetric >= 1, 'g1 set x first and waits for g0 to take the lock, which g0 never does');
  assert.ok(sym.stats.executions < plain.stats.executions);
});

test('identical importers form groups: scenario threads then background threads; different ones do not', () => {
  const text = twinYaml('s1', 2, 2, 'correct');
  const sc = parseScenario(text, 's1.yaml');
  const rt = buildWorld(sc).rt;
  // the background threads, each with the importer that started it (as buildWorld records them)
  const bg = rt.threads.slice(sc.threads.length).map((t) => ({ owner: /^(gpu\d)-/.exec(t.name)?.[1] }));
  const groups = importerSymmetry(sc, bg);
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0]!.importers, ['gpu0', 'gpu1']);
  const names = groups[0]!.threads.map((g) => g.map((t) => rt.threads[t]!.name));
  assert.deepEqual(names.map((g) => g[0]), ['gpu0-user', 'gpu1-user']);
  assert.deepEqual(names[1], names[0]!.map((n) => n.replace('gpu0', 'gpu1')));
  const other = parseScenario(text.replace('{ id: gpu1, driver: gpu-dynamic }', '{ id: gpu1, driver: gpu-dynamic, variant: no-fence }'), 'x.yaml');
  assert.deepEqual(importerSymmetry(other, []), []);
});

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/dmabuf-lab.cjs', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

test('check --symmetry: two identical importers, half the classes and the same verdicts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-sym-'));
  const f = join(dir, 'two-importers.yaml');
  writeFileSync(f, twinYaml('two-importers', 2, 0, 'correct'));
  const run = (...extra: string[]) => JSON.parse(cli('check', '--count', '--json', '--workers', '1', ...extra, f).stdout).results[0];
  const plain = run();
  const sym = run('--symmetry');
  assert.equal(plain.verdict, 'safe');
  assert.equal(sym.verdict, 'safe');
  assert.ok(plain.complete && sym.complete);
  assert.deepEqual(sym.stats.symmetry.importers, [['gpu0', 'gpu1']]);
  assert.equal(plain.stats.symmetry, undefined);
  // one of each pair of classes that differ only by which importer is which, and a few that are both
  assert.ok(sym.stats.executions < plain.stats.executions * 0.6, `${sym.stats.executions} against ${plain.stats.executions}`);
  assert.ok(sym.stats.executions >= plain.stats.executions / 2);
  assert.match(cli('check', '--symmetry', '--count', '--workers', '1', f).stdout, /all \d+ classes up to symmetry; no violation\), symmetry: gpu0 = gpu1/);
  for (const n of [2, 3]) {
    const twin = join(dir, `bug${n}.yaml`);
    writeFileSync(twin, twinYaml(`bug${n}`, n, 2, 'v2-no-wait'));
    const bug = JSON.parse(cli('check', '--symmetry', '--json', '--workers', '1', twin).stdout).results[0];
    assert.equal(bug.ok, true, `${n} importers`);
    assert.equal(bug.violation.property, 'dma-after-revoke');
    assert.equal(bug.stats.symmetry.importers[0].length, n);
  }
  const wrong = cli('check', '--symmetry', '--strategy', 'exhaustive', f);
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /--symmetry is a reduction of the dpor and stateful search/);
});
