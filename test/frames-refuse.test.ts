// Code outside the compiled function* subset is refused with file:line:column, the
// construct and why (scripts/compile-frames.ts). Each source marks the expected position
// with /*@*/ right before the construct.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFrames } from '../scripts/compile-frames.ts';

const FILE = 'test/frames/refused.ts';
const HEAD = `import { sched, type FrameCtx, type FrameProc } from '../../src/sim/frame-ops.ts';
let count = 0;
const obj = { n: 0 };
export function use(x: unknown): void { count += Number(x !== undefined); }
export function* g(k: FrameCtx): FrameProc { yield sched(); }
`;

/** The position of /*@*\/ in `src` as file:line:column of the character after it. */
function marker(src: string): string {
  const i = src.indexOf('/*@*/');
  const before = src.slice(0, i).split('\n');
  return `${FILE}:${before.length}:${before[before.length - 1]!.length + 6}`;
}

/** A function calling into another frames source (src/sim/frame-mutex.ts). */
const crossWith = (body: string) => `import { mutexLock } from '../../src/sim/frame-mutex.ts';\nimport type { SimCtx } from '../../src/sim/frame-sim.ts';\n${HEAD}export function* f(k: SimCtx): FrameProc {\n  ${body}\n}\n`;

/** A struct and a helper over it (typed store views, src/sim/struct.ts). */
const viewWith = (rest: string) => `import type { Ref } from '../../src/sim/struct.ts';\n${HEAD}export interface Obj { n: number; ok: boolean; next: Ref<Obj> }\n${rest}`;

const fnWith = (body: string, params = '') => `${HEAD}export function* f(k: FrameCtx${params}): FrameProc {\n  ${body}\n}\n`;

const CASES: [string, string, RegExp][] = [
  ['try', fnWith('/*@*/try { yield sched(); } finally { use(1); }'), /try statement: not in the compiled subset/],
  ['closure', fnWith('use(/*@*/() => 1);'), /closure \(arrow function\)/],
  ['module-level let', fnWith('const c = /*@*/count + 1; use(c);'), /module-level mutable variable `count`: state lives in store slots/],
  ['string local', fnWith('let /*@*/name = "x"; use(name);'), /local `name` of type string: locals are numbers, booleans or object ids/],
  ['yield in an expression', fnWith('use(/*@*/yield sched());'), /yield inside an expression/],
  ['for-of', fnWith('/*@*/for (const x of [1, 2]) { use(x); }'), /for-of loop/],
  ['switch over a string', fnWith('switch (/*@*/String(count)) { default: use(0); }'), /switch over a value of type string: switch over numbers or booleans/],
  ['continue in a switch outside a loop', fnWith('switch (n) { default: /*@*/continue; }', ', n: number'), /type error: Jump target cannot cross function boundary/],
  ['object literal', fnWith('use(/*@*/{ a: 1 });'), /object literal/],
  ['yield* of an array', fnWith('/*@*/yield* [sched()];'), /yield\* of something else than a subset call/],
  ['assignment to an object', fnWith('/*@*/obj.n = 1;'), /assignment of `obj.n`: only the function's own locals are assigned/],
  ['function* called without yield*', fnWith('/*@*/g(k);'), /call of function\* g without yield\*/],
  ['function* as a value', fnWith('use(/*@*/g);'), /function\* g used as a value: callbacks are function ids/],
  ['nested function*', `${HEAD}export const h = /*@*/function* (): FrameProc { yield sched(); };\n`, /nested function\*: only top-level function\* declarations/],
  ['no context', `${HEAD}export function* f(/*@*/n: number): FrameProc { use(n); }\n`, /function\* without context: the first parameter must be the thread context `k`/],
  ['var', fnWith('/*@*/var v = 1; use(v);'), /var declaration: declare locals with let or const/],
  ['type error', fnWith('const /*@*/v: number = "x"; use(v);'), /type error: Type 'string' is not assignable to type 'number'/],
  ['labelled break', fnWith('/*@*/outer: while (true) { break outer; }'), /labelled statement/],
  ['helper not exported', `${HEAD}function hidden(): number { return 1; }\nexport function* f(k: FrameCtx): FrameProc { use(/*@*/hidden()); }\n`, /`hidden` is not exported: the compiled module reaches the source file's declarations through its exports/],
  ['context of an unnamed type', `${HEAD}export function* f(k: /*@*/{ s: number }): FrameProc { use(k); }\n`, /context type: name the context type/],
  ['increment in an expression', fnWith('let i = 0; use(/*@*/i++);'), /increment inside an expression/],
  ['imported function* called without yield*', crossWith('/*@*/mutexLock(k, 0);'), /call of function\* mutexLock without yield\*/],
  ['imported function* as a value', crossWith('use(/*@*/mutexLock);'), /function\* mutexLock used as a value/],
  ['field write inside an expression', viewWith('export function h(k: FrameCtx, o: Ref<Obj>): void { use(/*@*/o.n = 1); }\n'), /field write inside an expression: write a field as a statement/],
  ['helper over a view without the context', viewWith('export function h(/*@*/o: Ref<Obj>): number { return o.n; }\n'), /helper without context: a helper that touches a view takes the thread context `k` first/],
  ['struct field that is not a slot', `import type { Ref } from '../../src/sim/struct.ts';\n${HEAD}/*@*/export interface Bad { name: string }\nexport function h(k: FrameCtx, o: Ref<Bad>): void { use(o); }\n`, /struct field `Bad.name`: a struct's fields are numbers, booleans or Refs/],
  ['yield* into a field', viewWith('export function* c(k: FrameCtx): FrameProc<number> { yield sched(); return 1; }\nexport function* f(k: FrameCtx, o: Ref<Obj>): FrameProc { o.n = /*@*/yield* c(k); }\n'), /yield into a field: take the value into a local first/],
];

for (const [name, src, why] of CASES) {
  test(`refused: ${name}`, () => {
    const r = compileFrames(FILE, src);
    assert.equal(r.code, '');
    assert.equal(r.errors.length, 1, r.errors.join('\n'));
    assert.ok(r.errors[0]!.startsWith(`${marker(src)}: `), `${r.errors[0]} does not start at ${marker(src)}`);
    assert.match(r.errors[0]!, why);
  });
}

test('yield* into another file compiles to a call through the linked program; into a file not compiled to frames it is refused', () => {
  const src = crossWith('yield* mutexLock(k, 0);');
  const r = compileFrames(FILE, src);
  assert.deepEqual(r.errors, []);
  assert.match(r.code, /import \{ FN as frame_mutex\$FN, frames as frame_mutex\$frames \} from '..\/..\/src\/sim\/frame-mutex.frames.ts';/);
  assert.match(r.code, /frameCall\(k, k\.prog\.base\(frame_mutex\$frames\) \+ frame_mutex\$FN\.mutexLock, 0\)/);
  assert.match(r.code, /deps: \(\) => \[frame_mutex\$frames\]/);
  // refused at the call, after `yield* `
  const marked = src.replace('yield* mutexLock', 'yield* /*@*/mutexLock');
  const refused = compileFrames(FILE, marked, ['test/frames/progs.ts']);
  assert.equal(refused.errors.length, 1, refused.errors.join('\n'));
  assert.ok(refused.errors[0]!.startsWith(`${marker(marked)}: `), refused.errors[0]);
  assert.match(refused.errors[0]!, /yield\* into src\/sim\/frame-mutex\.ts: that file is not compiled to frames \(add it to FRAME_SOURCES/);
});

test('typed views: fields are slots at their declaration offsets, booleans compared, in function* bodies and in the helpers that touch them', () => {
  const src = viewWith(`export function bump(k: FrameCtx, o: Ref<Obj>): void { o.n += 2; o.ok = o.n > 3; }
export function total(k: FrameCtx, o: Ref<Obj>): number { let t = 0; for (let p = o; p !== 0; p = p.next) t += p.n; return t; }
export function* f(k: FrameCtx, o: Ref<Obj>): FrameProc { o.next.n++; bump(k, o); yield sched(); if (o.ok) use(total(k, o)); }
`);
  const r = compileFrames(FILE, src);
  assert.deepEqual(r.errors, []);
  // what each field names: the Ref field `next` is a slot (frame-symmetry.ts renames it)
  assert.match(r.code, /Obj: \{ width: 3, fields: \['n', 'ok', 'next'\], values: '..r' \}/);
  assert.match(r.code, /export function bump\(k: FrameCtx, o: Ref<src\.Obj>\): void \{ \{ const o\$ = o \+ 0; k\.s\.set\(o\$, k\.s\.get\(o\$\) \+ \(2\)\); \} \{ const o\$ = o \+ 1; k\.s\.set\(o\$, \(k\.s\.get\(o \+ 0\) > 3\) \? 1 : 0\); \} \}/);
  assert.match(r.code, /p = \(k\.s\.get\(p \+ 2\) as any\)/);
  // in the function*: the nested access, then the helpers called as compiled (no src. prefix)
  assert.match(r.code, /\{ const o\$ = \(s\.get\(\(s\.get\(fr \+ 2\) as any\) \+ 2\) as any\) \+ 0; s\.set\(o\$, s\.get\(o\$\) \+ \(1\)\); \}/);
  assert.match(r.code, /\n {8}bump\(k, \(s\.get\(fr \+ 2\) as any\)\);/);
  assert.match(r.code, /\(\(s\.get\(\(s\.get\(fr \+ 2\) as any\) \+ 1\) !== 0\)\)/);
  assert.match(r.code, /src\.use\(total\(k, /);
});

test('index locals: an importer or thread index is stored + 1 (0 is none), and each function says what its locals name', () => {
  const src = `import type { ImpIdx, Ref, Tid } from '../../src/sim/struct.ts';\n${HEAD}export interface Obj { n: number; next: Ref<Obj> }\n`
    + `export function* f(k: FrameCtx, imp: ImpIdx, o: Ref<Obj>, t: Tid): FrameProc {\n  let j: ImpIdx = imp;\n  yield sched();\n  use(j + t + o.n);\n}\n`;
  const r = compileFrames(FILE, src);
  assert.deepEqual(r.errors, []);
  // f's locals: imp an importer, o a slot, t a thread, j an importer (g has none)
  assert.match(r.code, /values: \['', 'irti'\]/);
  assert.match(r.code, /s\.set\(fr \+ 5, \(\(s\.get\(fr \+ 2\) - 1\)\) \+ 1\);/);
  assert.match(r.code, /src\.use\(\(s\.get\(fr \+ 5\) - 1\) \+ \(s\.get\(fr \+ 4\) - 1\) \+ /);
  // a struct field keeps an index + 1 itself: refused
  const field = `import type { ImpIdx, Ref } from '../../src/sim/struct.ts';\n${HEAD}export interface Obj { n: number; who: ImpIdx }\nexport function* f(k: FrameCtx, o: Ref<Obj>): FrameProc {\n  yield sched();\n  use(o.n);\n}\n`;
  assert.match(compileFrames(FILE, field).errors.join('\n'), /struct field `Obj\.who` holds an importer or thread index: a field keeps ImpContext/);
});

test('every function outside the subset is reported, not only the first', () => {
  const src = `${HEAD}export function* a(k: FrameCtx): FrameProc { /*@*/try { yield sched(); } finally { use(0); } }\nexport function* b(k: FrameCtx): FrameProc { use({}); }\n`;
  const r = compileFrames(FILE, src);
  assert.equal(r.errors.length, 2);
  assert.match(r.errors[1]!, /refused\.ts:7:\d+: object literal/);
});

test('the subset as written compiles (the refusals above are the construct, not the surroundings)', () => {
  const r = compileFrames(FILE, fnWith('let i = 0; while (i < 2) { i++; yield sched(); } yield* g(k); use(i);'));
  assert.deepEqual(r.errors, []);
  assert.match(r.code, /function f\$frames/);
});

test('npm run frames on a file outside the subset exits 2 with the position', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frames-'));
  const file = join(dir, 'bad.ts');
  writeFileSync(file, 'export function* f(k: unknown, s: string): Generator<number, void, void> { yield s.length; }\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/compile-frames.ts', file], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /bad\.ts:1:32: local `s` of type string/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
