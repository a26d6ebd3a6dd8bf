// The README's examples run: every `$ npx dmabuf-lab ...` line of a code block that shows
// output is run against the built CLI (bin/dmabuf-lab.cjs, `npm run build` first), and its
// output is compared by shape with what the README shows. The shape is the lines that
// carry the result: each scenario's verdict line, the violation it cites, the replay
// schedule, the `races:` heading, the summary line, and the exit code those verdicts imply.
// Times are masked; the rest is compared as printed: counts, object names and schedule
// tokens are deterministic (the README's replay commands reuse the tokens, and its prose
// quotes the counts). The timeline and other lines under a verdict (the race pairs, the
// diagram hint) are not compared: their form may change without changing what the
// example shows. After a deliberate change of the output,
// update the README's example; the failure message prints the actual shape.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const README = readFileSync('README.md', 'utf8');
const CLI = 'bin/dmabuf-lab.cjs';

/**
 * Examples whose input is not in the repository, with the reason. A missing input that is
 * not listed here fails the test.
 */
const NOT_RUNNABLE: Readonly<Record<string, string>> = {};

/** Inputs outside the repository that may be absent (a fresh clone without ../shared). */
const OPTIONAL_ROOT = '../shared/';

export interface Example { readonly line: number; readonly args: string[]; readonly shown: string[] }

/** The `$ npx dmabuf-lab` lines of the README's code blocks and the output shown under each. */
export function examples(text: string): Example[] {
  const out: Example[] = [];
  const lines = text.split('\n');
  let cur: { line: number; args: string[]; shown: string[] } | null = null;
  let fenced = false;
  lines.forEach((raw, i) => {
    if (/^\s*```/.test(raw)) { fenced = !fenced; cur = null; return; }
    // a blank line ends an example's output
    if (raw.trim() === '' || !(fenced || raw.startsWith('    '))) { cur = null; return; }
    const body = fenced ? raw : raw.slice(4);
    const cmd = /^\$ npx dmabuf-lab (.*)$/.exec(body);
    if (cmd) {
      cur = { line: i + 1, args: shellWords(cmd[1]!), shown: [] };
      out.push(cur);
    } else if (cur) cur.shown.push(body);
  });
  return out.filter((e) => e.shown.length > 0);
}

/** Splits a command line as a POSIX shell would for plain words and '...' quotes. */
function shellWords(s: string): string[] {
  const words: string[] = [];
  for (const m of s.matchAll(/'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2]!);
  return words;
}

const VERDICT = /^(ok  |FAIL|--  |ERROR|ERR ) /;
/** a `fuzz` finding's headline */
const FOUND = /^found [a-z-]+ \(/;
const KEY_LINES: readonly RegExp[] = [
  VERDICT,
  /^ {5}[a-z-]+ \([A-Z][A-Z0-9-]*\): /, // the violation and the rule it cites
  /^ {5}schedule /,
  /^ {5}races: /,
  /^\d+ scenario\(s\): /,
  FOUND,
  /^ {5}written /, // a fuzz finding's file and size
  /^\d+ scenario\(s\), \d+ executions, /, // fuzz's summary
  /^[a-z0-9-]+\/[a-z0-9-]+:$/, // a matrix exporter group
  /^ {2}[a-z0-9-]+\/[a-z0-9-]+(@[a-z0-9]+)? {2,}/, // a matrix row
];

/** Commands whose shown output the test compares (each has its key lines above). */
const COMPARED = new Set(['check', 'fuzz', 'matrix']);

/** The lines of an output that carry its result, normalised (see the header comment). */
export function shape(lines: readonly string[]): string[] {
  return lines
    .filter((l) => KEY_LINES.some((re) => re.test(l)))
    .map((l) => {
      return l.trim().replace(/\s+/g, ' ').replace(/\d+ ms\b/g, '# ms');
    });
}

/**
 * The exit code these lines imply: for `check` 0 when every scenario met its expectation,
 * for `fuzz` 1 when it found something.
 */
function exitCodeOf(command: string, lines: readonly string[]): number {
  if (command === 'fuzz') return lines.some((l) => FOUND.test(l)) ? 1 : 0;
  if (command === 'matrix') return 0;
  if (lines.some((l) => l.startsWith('ERR  '))) return 2;
  const verdicts = lines.filter((l) => VERDICT.test(l));
  return verdicts.some((l) => !l.startsWith('ok  ') && !l.startsWith('--  ')) ? 1 : 0;
}

test('the README example parser finds commands, quoted words and shown output', () => {
  const ex = examples(['text', '', "    $ npx dmabuf-lab replay 'a b@1:2' --x", '    ok   s   safe  3 executions, 9 ms', '', 'more', '    $ npx dmabuf-lab list drivers', ''].join('\n'));
  assert.deepEqual(ex, [{ line: 3, args: ['replay', 'a b@1:2', '--x'], shown: ['ok   s   safe  3 executions, 9 ms'] }]);
  assert.deepEqual(shape(['ok   s    safe (expected safe)  1658 executions, 12 ms', '   12 ● timeline', '     schedule f.yaml@3d:b1', '     dma-after-revoke (P1): x of sgt16', '1 scenario(s): 1 ok, 0 failed (13 ms)']),
    ['ok s safe (expected safe) 1658 executions, # ms', 'schedule f.yaml@3d:b1', 'dma-after-revoke (P1): x of sgt16', '1 scenario(s): 1 ok, 0 failed (# ms)']);
});

const found = examples(README);

test('the README has examples with shown output to check', () => {
  assert.ok(found.length >= 3, `found ${found.length}`);
  for (const e of found) assert.ok(COMPARED.has(e.args[0]!), `README:${e.line}: ${e.args[0]} output is not compared; extend KEY_LINES and exitCodeOf for it`);
});

for (const ex of found) {
  const input = ex.args.find((a) => a.endsWith('.yaml') || a.endsWith('.yml') || a.endsWith('/'));
  const why = input && NOT_RUNNABLE[input];
  const absent = input !== undefined && !why && input.startsWith(OPTIONAL_ROOT) && !existsSync(input) ? `${input} is not here (a clone without ../shared)` : false;
  test(`README:${ex.line}: dmabuf-lab ${ex.args.join(' ')} prints the result lines and exit code the README shows`, { skip: why || absent }, () => {
    assert.ok(input === undefined || existsSync(input), `README:${ex.line}: ${input} does not exist; add it or list it in NOT_RUNNABLE with the reason`);
    // fuzz writes its findings under the working directory: run it in a fresh one
    const cwd = ex.args[0] === 'fuzz' ? mkdtempSync(join(tmpdir(), 'dmabuf-lab-readme-')) : process.cwd();
    const r = spawnSync(process.execPath, [resolve(CLI), ...ex.args], { encoding: 'utf8', timeout: 300_000, cwd });
    assert.equal(r.error, undefined, String(r.error));
    const actual = r.stdout.split('\n');
    assert.equal(r.status, exitCodeOf(ex.args[0]!, ex.shown), `exit code; stderr: ${r.stderr}`);
    // a shown `...` elides the rest: compare the key lines shown before it
    const cut = ex.shown.findIndex((l) => l.trim() === '...');
    const shown = shape(cut < 0 ? ex.shown : ex.shown.slice(0, cut));
    assert.deepEqual(cut < 0 ? shape(actual) : shape(actual).slice(0, shown.length), shown, `README:${ex.line} shows a different result; the output now is:\n${actual.filter((l) => KEY_LINES.some((re) => re.test(l))).join('\n')}`);
  });
}
