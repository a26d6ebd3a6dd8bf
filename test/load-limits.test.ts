// Size limits refuse a file before the YAML is parsed, with the limit named; messages that
// used to point at 1:1 or at the wrong line point at their cause; a document that is not a
// mapping says what it is.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadScenario } from '../src/cli/files.ts';
import { InputError } from '../src/scenario/errors.ts';
import { LIMITS } from '../src/scenario/limits.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { scanLimits } from '../src/scenario/yaml-scan.ts';

const good = readFileSync('scenarios/b1-vfio-revoke-no-wait.yaml', 'utf8');
const head = 'name: huge\nexporter: {driver: vfio-pci}\nimporters: [{id: gpu0, driver: gpu-dynamic}]\nthreads:\n  - name: t\n    steps: [';

function errorsOf(text: string, file = 'x.yaml'): string[] {
  try {
    parseScenario(text, file);
  } catch (e) {
    assert.ok(e instanceof InputError, `not an InputError: ${String(e)}`);
    return e.message.split('\n');
  }
  assert.fail('expected an input error');
}

test('a 2.4 MB file of 300,000 steps is refused by its size, the 1 MiB limit named, at the byte where it falls', () => {
  const text = head + Array(300_000).fill('revoke').join(', ') + ']\n';
  assert.ok(text.length > 2_400_000);
  const m = errorsOf(text);
  assert.equal(m.length, 1);
  const col = LIMITS.fileBytes - head.split('\n').slice(0, 5).join('\n').length;
  assert.equal(m[0], `x.yaml:6:${col}: the file has ${text.length.toLocaleString('en-US')} bytes, over the limit of a scenario file, 1,048,576 bytes (1 MiB), which falls here; refused before parsing`);
});

test('loadScenario refuses a file over the limit from its size (it reads only the first MiB), and the CLI exits 2 without a stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-limits-'));
  const file = join(dir, 'huge.yaml');
  writeFileSync(file, head + Array(300_000).fill('revoke').join(', ') + ']\n');
  assert.throws(() => loadScenario(file), (e: unknown) => e instanceof InputError && /the file has 2,400,1\d\d bytes, over the limit of a scenario file, 1,048,576 bytes \(1 MiB\)/.test(e.message));
  const r = spawnSync(process.execPath, ['bin/dmabuf-lab.cjs', 'check', file], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /huge\.yaml:6:\d+: the file has .* 1,048,576 bytes \(1 MiB\)/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  // a pipe has no size: one byte past the limit is enough to refuse it
  // (through the shell: node's own stdin pipe is a socket, which /dev/stdin cannot open)
  const piped = spawnSync('sh', ['-c', `cat '${file}' | '${process.execPath}' bin/dmabuf-lab.cjs check /dev/stdin`], { encoding: 'utf8' });
  assert.equal(piped.status, 2);
  assert.match(piped.stderr, /^\/dev\/stdin:6:\d+: the file has more than 1,048,576 bytes \(1 MiB\), over the limit/m);
});

test('a file under 1 MiB with more list items than a scenario can hold is refused at the entry that passes the limit', () => {
  const m = errorsOf(head + Array(200_000).fill('x').join(',') + ']\n');
  assert.equal(m.length, 1);
  assert.match(m[0]!, /^x\.yaml:6:\d+: more than 10,000 list items and keys by here, the limit of a scenario document \(8 threads of 32 steps need far fewer\); refused before parsing$/);
  const block = 'name: x\nexporter: {driver: vfio-pci}\nimporters: []\nthreads:\n  - name: t\n    steps:\n' + '    - x\n'.repeat(20_000);
  assert.match(errorsOf(block)[0]!, /^x\.yaml:\d+:5: more than 10,000 list items and keys/);
});

test('a thread over the step limit gets one message, not one per step', () => {
  const text = good.replace('      - revoke\n', '      - revoke\n' + '      - revok\n'.repeat(40));
  assert.deepEqual(errorsOf(text), ['x.yaml:16:7: threads[0].steps: at most 32 steps a thread, found 41']);
});

test('nesting, aliases and tokens have limits too, each named', () => {
  assert.match(errorsOf(`a: ${'['.repeat(100)}\n`)[0]!, /^x\.yaml:1:68: flow collections nested more than 64 deep/);
  assert.match(errorsOf(`a: ${'- '.repeat(200)}x\n`)[0]!, /^x\.yaml:1:202: a block "-" at column 202: .* at most 200 columns deep/);
  assert.match(errorsOf(`a: &a x\nb: [${Array(101).fill('*a').join(', ')}]\n`)[0]!, /^x\.yaml:2:\d+: more than 100 aliases by here/);
  assert.match(errorsOf(`a: ${'!t '.repeat(100_000)}x\n`)[0]!, /^x\.yaml:1:\d+: more than 200,000 YAML tokens/);
});

test('an alias bomb is reported at the alias that passes the limit, not at 1:1', () => {
  const bomb = ['name: bomb', 'a: &a [x, x, x, x, x, x, x, x, x]'];
  for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e']] as const) bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  // a: 9, b: 90, c: 819, d: 7,380 entries; the first *d in e's list takes the document past 10,000
  assert.deepEqual(errorsOf(bomb.join('\n') + '\n'), ['x.yaml:6:8: alias *d repeats 7,380 list items and keys, which takes the document past 10,000 (the limit of a scenario document)']);
  assert.deepEqual(errorsOf('a: &a [1, *a]\n'), ['x.yaml:1:11: alias *a names a collection that contains it (a cycle)']);
});

test('an unclosed brace or bracket is reported at the brace, not on the line after', () => {
  assert.deepEqual(errorsOf('name: x\nexporter: {driver: vfio-pci\nimporters: []\nthreads: []\n'),
    ['x.yaml:2:11: YAML syntax error: this { is not closed (Flow map in block collection must be sufficiently indented and end with a })']);
  assert.match(errorsOf(good + '\n  bad: [\n')[0]!, new RegExp(`^x\\.yaml:${good.split('\n').length + 1}:8: YAML syntax error: this \\[ is not closed`));
  // the error yaml gives later lines of the same mistake are capped, and the cap is said
  const m = errorsOf('a: [\n' + 'b: 1\n'.repeat(100));
  assert.equal(m.length, 21);
  assert.match(m[20]!, /^x\.yaml:\d+:1: \d+ more YAML syntax error\(s\) from here on, not shown/);
});

test('an empty threads list says what was expected and what was found', () => {
  const m = errorsOf('name: x\nexporter: {driver: vfio-pci}\nimporters: []\nthreads: []\n');
  assert.deepEqual(m, ['x.yaml:4:10: threads: expected at least one thread, found an empty list']);
});

test('an empty or non-mapping document says what it found (issue 20 point 8)', () => {
  const shape = 'expected a scenario (a mapping of name, exporter, importers, threads), found';
  assert.deepEqual(errorsOf(''), [`x.yaml:1:1: ${shape} nothing`]);
  assert.deepEqual(errorsOf('# only a comment\n'), [`x.yaml:1:1: ${shape} nothing`]);
  assert.deepEqual(errorsOf('~\n'), [`x.yaml:1:1: ${shape} nothing`]);
  assert.deepEqual(errorsOf('hello\n'), [`x.yaml:1:1: ${shape} a string ("hello")`]);
  assert.deepEqual(errorsOf('- a\n- b\n'), [`x.yaml:1:1: ${shape} a list`]);
  assert.deepEqual(errorsOf('[]\n'), [`x.yaml:1:1: ${shape} an empty list`]);
  assert.deepEqual(errorsOf('42\n'), [`x.yaml:1:1: ${shape} a number (42)`]);
  assert.deepEqual(errorsOf('\n\ntrue\n'), [`x.yaml:3:1: ${shape} a boolean (true)`]);
  assert.deepEqual(errorsOf('\x7fELF\x02\x01\x01\x00'), ['x.yaml:1:1: expected a scenario (YAML text), found binary data (control character 0x7f)']);
  assert.deepEqual(errorsOf('name: a\x00b\n'), ['x.yaml:1:8: expected a scenario (YAML text), found binary data (control character 0x00)']);
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-limits-'));
  writeFileSync(join(dir, 'latin1.yaml'), Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
  assert.throws(() => loadScenario(join(dir, 'latin1.yaml')), (e: unknown) => e instanceof InputError && /latin1\.yaml:1:7: expected a scenario \(YAML text\), found bytes that are not UTF-8$/.test(e.message));
});

test('did-you-mean for keys reads the schema at every level', () => {
  const text = 'name: x\nexporter: {driver: vfio-pci, varant: x}\nimporters: [{id: g, driver: gpu-dynamic, pined: true}]\nthreads:\n  - name: a\n    steps: [revoke]\n    stps: 1\ncheck: {preemption: 1}\nconfg: {}\n';
  assert.deepEqual(errorsOf(text).sort(), [
    'x.yaml:9:1: confg: unknown key "confg" (did you mean "config"?)',
    'x.yaml:2:30: exporter.varant: unknown key "varant" (did you mean "variant"?)',
    'x.yaml:3:42: importers[0].pined: unknown key "pined" (did you mean "pinned"?)',
    'x.yaml:7:5: threads[0].stps: unknown key "stps" (did you mean "steps"?)',
    'x.yaml:8:9: check.preemption: unknown key "preemption" (did you mean "preemptions"?)',
  ].sort());
});

/** List items and map keys of a plain value: what the lexical count must find. */
function entries(x: unknown): number {
  if (Array.isArray(x)) return x.reduce((n: number, y) => n + 1 + entries(y), 0);
  if (x && typeof x === 'object') return Object.values(x).reduce((n: number, y) => n + 1 + entries(y), 0);
  return 0;
}

test('the lexical entry count equals the items and keys of the value, in block and flow style', () => {
  const key = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/);
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof({ depthSize: 'small' }, fc.oneof(fc.integer(), key, fc.constant('a: b, [c]')), fc.array(tie('tree'), { maxLength: 4 }), fc.dictionary(key, tie('tree'), { maxKeys: 4 })),
  }));
  fc.assert(
    fc.property(tree, fc.boolean(), (value, flow) => {
      const text = flow ? JSON.stringify(value) : stringify(value);
      const n = entries(value);
      const limits = { ...LIMITS, entries: n };
      assert.equal(scanLimits(text, limits), null, `${n} entries pass a limit of ${n}:\n${text}`);
      if (n > 0) assert.match(scanLimits(text, { ...limits, entries: n - 1 })?.message ?? 'none', /list items and keys/, text);
    }),
    { numRuns: 300 },
  );
});
