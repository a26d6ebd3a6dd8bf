// The installed CLI (compiled bundle): exit codes, the JSON result shape, run and replay.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { explore } from '../src/check/explore.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { buildWorld } from '../src/scenario/world.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/dmabuf-lab.cjs', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

test('check on the bundled scenarios exits 0 and prints the counterexample', () => {
  const r = cli('check');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ok {3}b1-vfio-revoke-no-wait +violation dma-after-revoke/);
  assert.match(r.stdout, /dma write BAR0 .*<-- dma-after-revoke \(P1\)/);
  assert.match(r.stdout, /vfio_pci_dma_buf_move\(revoked=true\) returned without waiting/, 'the story folds the revoke call');
  assert.match(r.stdout, /also seen: api-misuse \(P7\): .*\n +dmabuf-lab replay '/, 'every property seen is named');
  const n = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).length;
  assert.match(r.stdout, new RegExp(`${n} scenario\\(s\\): ${n} ok, 0 failed`));
});

test('check shows the story by default and every event with --full', () => {
  const file = 'scenarios/b1-vfio-revoke-no-wait.yaml';
  const story = cli('check', '--workers', '1', file);
  const full = cli('check', '--workers', '1', '--full', file);
  assert.equal(story.status, 0, story.stderr);
  assert.equal(full.status, 0, full.stderr);
  const rows = (s: string) => s.split('\n').filter((l) => /^ +\d+ /.test(l)).length;
  assert.ok(rows(story.stdout) <= 15, story.stdout);
  assert.match(story.stdout, /vfio_pci_dma_buf_move returned vfio-buf at \d+ \(reset\) \.\.\.\s+(\.\.\. )?dma write BAR0 via gpu0-sgt\d+ at \d+ \(gpu0-engine\)/);
  assert.match(full.stdout, /engine fetch/);
  assert.ok(rows(full.stdout) > 60, full.stdout);
});

test('an unexpected counterexample is reduced: how much was removed, and the smaller scenario as YAML', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-reduce-'));
  const file = join(dir, 'first.yaml');
  writeFileSync(file, `name: first
exporter: { driver: vfio-pci, variant: v2-no-wait }
importers:
  - { id: gpu0, driver: gpu-dynamic }
threads:
  - name: gpu0-user
    steps: [{ import: gpu0 }, { dma: { importer: gpu0, count: 3 } }, { release: gpu0 }]
  - name: reset
    steps: [revoke]
expect: { verdict: safe }
`);
  const r = cli('check', '--workers', '1', file);
  assert.equal(r.status, 1, r.stderr);
  assert.ok(r.stdout.split('\n').filter((l) => /^ +\d+ [│●]/.test(l)).length <= 15, `a user's scenario gets a story too\n${r.stdout}`);
  assert.match(r.stdout, /\(\d+ rows for \d+ of \d+ events/);
  const m = /reduced: a smaller scenario shows (\S+) too \((.*); \d+ executions\): (.*)\n((?: +\| .*\n)+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.match(m[2]!, /steps 4 -> \d/);
  const yaml = m[4]!.replace(/^ +\| ?/gm, '');
  writeFileSync(join(dir, 'small.yaml'), yaml);
  const again = cli('check', '--workers', '1', '--no-reduce', join(dir, 'small.yaml'));
  assert.equal(again.status, 1, again.stderr);
  assert.match(again.stdout, new RegExp(`FAIL small +violation ${m[1]}|FAIL first +violation ${m[1]}`));
  assert.doesNotMatch(again.stdout, /reduced:/);
  const expected = cli('check', '--workers', '1', 'scenarios/b1-vfio-revoke-no-wait.yaml');
  assert.doesNotMatch(expected.stdout, /reduced:/, 'an expected counterexample is not reduced by default');
});

test('--json prints the result object of the spec', () => {
  const r = cli('check', '--json');
  assert.equal(r.status, 0);
  const out = JSON.parse(r.stdout);
  assert.equal(out.version, '0.1.0');
  assert.deepEqual(Object.keys(out.summary).sort(), ['elapsedMs', 'failed', 'ok', 'scenarios']);
  const bug = out.results.find((x: { scenario: string }) => x.scenario === 'b1-vfio-revoke-no-wait');
  for (const k of ['scenario', 'file', 'verdict', 'complete', 'expected', 'ok', 'violation', 'violations', 'stats']) assert.ok(k in bug, k);
  assert.equal(bug.violation.property, 'dma-after-revoke');
  assert.equal(bug.violation.rule, 'P1');
  assert.deepEqual(Object.keys(bug.violation.trace[0]).slice(0, 3), ['seq', 'thread', 'event']);
  // the story beside the full trace: seqs into it, rows and the pair
  for (const seq of bug.violation.story.events) assert.ok(bug.violation.trace.some((e: { seq: number }) => e.seq === seq));
  assert.ok(bug.violation.story.rows.length <= 15);
  assert.equal(bug.violation.story.pair.effect, bug.violation.seq);
  assert.deepEqual(bug.seen.map((s: { property: string }) => s.property), bug.violations);
  for (const k of ['executions', 'redundant', 'maxDepth', 'elapsedMs']) assert.equal(typeof bug.stats[k], 'number');
});

test('replay reproduces a counterexample from its token and from the result file', () => {
  const out = JSON.parse(cli('check', '--json', 'scenarios/b1-vfio-revoke-no-wait.yaml').stdout);
  const token: string = out.results[0].violation.schedule;
  const r = cli('replay', token);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /dma-after-revoke \(P1\)/);
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-'));
  writeFileSync(join(dir, 'r.json'), JSON.stringify(out));
  const again = cli('replay', join(dir, 'r.json'));
  assert.equal(again.status, 1);
  assert.equal(again.stdout, r.stdout);
  const run = cli('run', 'scenarios/b1-vfio-revoke-fixed.yaml');
  assert.equal(run.status, 0);
  assert.match(run.stdout, /no violation/);
  const wrong = cli('run', 'scenarios/b1-vfio-revoke-fixed.yaml', '--schedule', token);
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /content hash/);
});

test('bad input exits 2 with file:line:column, and an unmet expectation exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-'));
  writeFileSync(join(dir, 'typo.yaml'), 'name: t\nexporter:\n  driver: vfio-pci\nimporters: []\nthreads:\n  - name: a\n    steps: [revoke]\nexpekt: {}\n');
  const bad = cli('check', join(dir, 'typo.yaml'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /typo\.yaml:8:1: expekt: unknown key "expekt" \(did you mean "expect"\?\)/);
  assert.doesNotMatch(bad.stderr, /at .*\.js:\d+/, 'no stack trace');
  writeFileSync(join(dir, 'unmet.yaml'), 'name: unmet\nexporter:\n  driver: vfio-pci\nimporters: []\nthreads:\n  - name: a\n    steps: [revoke]\nexpect: {verdict: violation, property: leak}\n');
  assert.equal(cli('check', join(dir, 'unmet.yaml')).status, 1);
  assert.equal(cli('check', '--preemptions', '-1').status, 2);
  assert.equal(cli('frobnicate').status, 2);
});

test('--quiet names every failing or invalid file on stdout, and an invalid file gets an ERR line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-'));
  writeFileSync(join(dir, 'a-typo.yaml'), 'name: t\nexporter:\n  driver: vfio-pci\nimporters: []\nthreads:\n  - name: a\n    steps: [revokx]\n  - name: b\n    steps: [unrevokx]\n');
  writeFileSync(join(dir, 'b-unmet.yaml'), 'name: unmet\nexporter:\n  driver: vfio-pci\nimporters: []\nthreads:\n  - name: a\n    steps: [revoke]\nexpect: {verdict: violation, property: leak}\n');
  writeFileSync(join(dir, 'c-fine.yaml'), 'name: fine\nexporter:\n  driver: vfio-pci\nimporters: []\nthreads:\n  - name: a\n    steps: [revoke]\n');
  const typo = join(dir, 'a-typo.yaml');
  const quiet = cli('check', '--quiet', '--workers', '1', dir);
  assert.equal(quiet.status, 2, 'an invalid file makes the exit code 2, as the contract says');
  const lines = quiet.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `ERR  ${typo}  7:13: threads[0].steps[0]: unknown operation "revokx" (did you mean "revoke"?) (and 1 more problem(s), on stderr)`);
  assert.match(lines[1]!, /^FAIL unmet +safe \(expected violation leak\)/);
  assert.doesNotMatch(quiet.stdout, /fine/, 'a scenario that met its expectation is not listed');
  assert.match(lines[lines.length - 1]!, /^3 scenario\(s\): 1 ok, 2 failed/);
  assert.match(quiet.stderr, /a-typo\.yaml:7:13: threads\[0\]\.steps\[0\]: unknown operation "revokx"/);
  assert.match(quiet.stderr, /a-typo\.yaml:9:13: threads\[1\]\.steps\[0\]: unknown operation "unrevokx"/);
  // without --quiet the invalid file has its line too, among the others
  const full = cli('check', '--workers', '1', dir);
  assert.equal(full.status, 2);
  assert.match(full.stdout, new RegExp(`^ERR  ${typo.replace(/[.\\/]/g, '\\$&')}  7:13: `, 'm'));
  assert.match(full.stdout, /^ok {3}fine /m);
  // --quiet with every expectation met prints the summary alone
  const ok = cli('check', '--quiet', '--workers', '1', join(dir, 'c-fine.yaml'));
  assert.equal(ok.status, 0);
  assert.match(ok.stdout, /^1 scenario\(s\): 1 ok, 0 failed \(\d+ ms\)\n$/);
});

test('list drivers shows every driver and variant', () => {
  const r = cli('list', 'drivers');
  assert.equal(r.status, 0);
  for (const s of ['vfio-pci (exporter)', 'gpu-dynamic (importer)', 'v2-no-wait', 'correct']) assert.ok(r.stdout.includes(s), s);
});

test('a missing scenario file is an input error everywhere, and check still runs the others', () => {
  for (const args of [['run', 'nosuch.yaml'], ['replay', 'nosuch.yaml@12345678:a3'], ['report', 'nosuch.yaml', '--html', 'x.html']]) {
    const r = cli(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^nosuch\.yaml: no such file or directory$/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const both = cli('check', '--json', 'scenarios/b1-vfio-revoke-no-wait.yaml', 'nosuch.yaml');
  assert.equal(both.status, 2);
  const out = JSON.parse(both.stdout);
  assert.deepEqual(out.results.map((r: { verdict: string }) => r.verdict), ['violation', 'error']);
  assert.deepEqual(out.results[1].errors, ['nosuch.yaml: no such file or directory']);
});

test('check --shard i/n on each shard, then merge, gives the verdict of the whole search', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-shard-'));
  const files = ['scenarios/b1-vfio-revoke-fixed.yaml', 'scenarios/b14-vfio-no-revoked-check.yaml'];
  const whole = JSON.parse(cli('check', '--json', '--workers', '1', '--strategy', 'dpor', ...files).stdout);
  const parts: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const r = cli('check', '--json', '--shard', `${i}/3`, ...files);
    assert.equal(r.status, 0, `a shard exits 0 when it saw nothing unexpected: ${r.stderr}`);
    const f = join(dir, `shard-${i}.json`);
    writeFileSync(f, r.stdout);
    parts.push(f);
    for (const res of JSON.parse(r.stdout).results) assert.deepEqual(res.shard.index, i);
  }
  const merged = cli('merge', '--json', ...parts);
  assert.equal(merged.status, 0, merged.stderr);
  const m = JSON.parse(merged.stdout);
  assert.deepEqual(m.results.map((r: { verdict: string }) => r.verdict), whole.results.map((r: { verdict: string }) => r.verdict));
  assert.equal(m.results[0].stats.executions, whole.results[0].stats.executions, 'the safe search is split, not repeated');
  assert.equal(m.results[1].violation.property, 'access-after-revoke');
  assert.ok(m.results.every((r: { ok: boolean; stats: { shards: number } }) => r.ok && r.stats.shards === 3));
  const text = cli('merge', ...parts);
  assert.match(text.stdout, /ok {3}b1-vfio-revoke-fixed +safe \(expected safe\) +\d+ executions, \d+ ms {2}\[3 shards\]/);
  // a missing shard, a result made without --shard, bad --shard values
  const missing = cli('merge', parts[0]!, parts[2]!);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /b1-vfio-revoke-fixed\.yaml \(b1-vfio-revoke-fixed\): shard 2\/3 missing/);
  const plain = join(dir, 'plain.json');
  writeFileSync(plain, JSON.stringify(whole));
  assert.match(cli('merge', plain).stderr, /is not a shard \(made without --shard\)/);
  for (const bad of ['0/2', '3/2', 'x']) assert.equal(cli('check', '--shard', bad, files[0]!).status, 2, bad);
  assert.equal(cli('check', '--shard', '1/2', '--strategy', 'pct', files[0]!).status, 2);
});

test('--audit shows the audit and fails a dpor search that repeats a class', () => {
  const f = 'scenarios/b6-iommufd-unpin-fixed.yaml';
  const shown = cli('check', '--audit', '--workers', '1', f);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /ok {3}b6-iommufd-unpin-fixed +safe \(expected safe\) +\d+ executions, 0 redundant, \d+ sleep-blocked, \d+ ms/);
  assert.doesNotMatch(cli('check', '--workers', '1', f).stdout, /redundant/);
  // exhaustive search repeats classes by design: shown, not failed
  const ex = cli('check', '--audit', '--strategy', 'exhaustive', '--max-executions', '200', f);
  assert.equal(ex.status, 0);
  assert.match(ex.stdout, /[1-9]\d* redundant/);
  // a dpor result that repeated a class (doctored shard files) fails the merge under --audit
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-audit-'));
  const parts = [1, 2].map((i) => {
    const out = JSON.parse(cli('check', '--json', '--shard', `${i}/2`, f).stdout);
    if (i === 2) out.results[0].stats.redundant = 3;
    const p = join(dir, `s${i}.json`);
    writeFileSync(p, JSON.stringify(out));
    return p;
  });
  assert.equal(cli('merge', ...parts).status, 0, 'without --audit the count is only reported');
  const audited = cli('merge', '--audit', ...parts);
  assert.equal(audited.status, 1);
  assert.match(audited.stdout, /FAIL b6-iommufd-unpin-fixed .* 3 redundant/);
  assert.match(audited.stdout, /audit: dpor explored 3 execution\(s\) equivalent to earlier ones/);
  const json = JSON.parse(cli('merge', '--audit', '--json', ...parts).stdout).results[0];
  assert.equal(json.ok, false);
  assert.match(json.errors.join('\n'), /the reduction is unsound here/);
});

test('--races counts the races behind every backtrack choice, and merge sums them', () => {
  const f = 'scenarios/b1-vfio-revoke-fixed.yaml';
  const r = JSON.parse(cli('check', '--races', '--json', '--workers', '1', f).stdout).results[0];
  const races: { object: string; first: string; second: string; choices: number }[] = r.stats.races;
  const total = races.reduce((a, x) => a + x.choices, 0);
  // every execution after the first, and every abandoned prefix, began at a recorded choice
  assert.ok(total >= r.stats.executions - r.stats.prepass + r.stats.sleepBlocked - 1, `${total} choices for ${r.stats.executions} executions`);
  for (let i = 1; i < races.length; i++) assert.ok(races[i - 1]!.choices >= races[i]!.choices, 'most first');
  // the revoke's critical sections on the reservation lock are tried in every order
  assert.ok(races.some((x) => x.object === 'vfio-buf.resv.lock' && x.first === 'dma_resv_lock'), JSON.stringify(races.slice(0, 3)));
  const text = cli('check', '--races', '--workers', '1', f).stdout;
  assert.match(text, new RegExp(`races: ${total} backtrack choice\\(s\\); most from:\\n +\\d+ +[\\d.]+%  \\S+: \\S`));
  assert.doesNotMatch(cli('check', '--workers', '1', f).stdout, /races:/);
  assert.equal(JSON.parse(cli('check', '--json', '--workers', '1', f).stdout).results[0].stats.races, undefined, 'only with --races');
  // shards count their own races; merge adds them up
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-races-'));
  const parts = [1, 2].map((i) => {
    const p = join(dir, `s${i}.json`);
    writeFileSync(p, cli('check', '--races', '--json', '--shard', `${i}/2`, f).stdout);
    return p;
  });
  const sum = (file: string) => (JSON.parse(readFileSync(file, 'utf8')).results[0].stats.races as { choices: number }[]).reduce((a, x) => a + x.choices, 0);
  const merged = JSON.parse(cli('merge', '--json', ...parts).stdout).results[0].stats.races as { choices: number }[];
  assert.equal(merged.reduce((a, x) => a + x.choices, 0), sum(parts[0]!) + sum(parts[1]!));
});

test('--count explores past every violation: the classes of the whole space, in one process or as merged shards', () => {
  const f = 'scenarios/b1-vfio-revoke-no-wait.yaml';
  const first = JSON.parse(cli('check', '--json', '--workers', '1', f).stdout).results[0];
  const r = JSON.parse(cli('check', '--count', '--json', '--workers', '1', f).stdout).results[0];
  assert.equal(r.stats.counted, true);
  assert.equal(r.complete, true);
  assert.equal(r.stats.prepass, 0, 'no pre-pass runs in the count');
  assert.equal(r.ok, true);
  assert.deepEqual(r.violations, ['dma-after-revoke']);
  assert.equal(r.violation.property, 'dma-after-revoke', 'the first counterexample is still shown');
  // the same number as the search itself, run to its end here, and more than the default stops at
  const sc = parseScenario(readFileSync(f, 'utf8'), f);
  const classes = explore(() => buildWorld(sc).rt, { strategy: 'dpor' }, () => false).executions;
  assert.equal(r.stats.executions, classes);
  assert.ok(classes > first.stats.executions, `${classes} classes, ${first.stats.executions} executions to the first counterexample`);
  assert.match(cli('check', '--count', '--workers', '1', f).stdout, new RegExp(`${classes} executions \\(all ${classes} classes; dma-after-revoke\\)`));
  // shards that each ran to their end sum to the same count
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-count-'));
  const parts = [1, 2, 3].map((i) => {
    const p = join(dir, `s${i}.json`);
    writeFileSync(p, cli('check', '--count', '--json', '--shard', `${i}/3`, f).stdout);
    return p;
  });
  const merged = JSON.parse(cli('merge', '--json', ...parts).stdout).results[0];
  assert.equal(merged.stats.executions, classes);
  assert.equal(merged.complete, true);
  assert.equal(merged.stats.counted, true);
  const pct = cli('check', '--count', '--strategy', 'pct', f);
  assert.equal(pct.status, 2);
  assert.match(pct.stderr, /--count counts the classes of a dpor search/);
});

test('check --workers 2 splits a long search and agrees with one worker', () => {
  // 2,182 executions: past the 2,000 run unsplit before workers are worth starting
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-workers-'));
  const long = join(dir, 'remap-two.yaml');
  writeFileSync(long, readFileSync('scenarios/b13-gpu-remap-lazily-fixed.yaml', 'utf8').replace('count: 1 }', 'count: 2 }'));
  for (const f of [long, 'scenarios/b1-vfio-revoke-fixed.yaml', 'scenarios/b14-vfio-no-revoked-check.yaml', 'scenarios/b1-vfio-revoke-no-wait.yaml']) {
    const one = JSON.parse(cli('check', '--json', '--workers', '1', f).stdout).results[0];
    const two = JSON.parse(cli('check', '--json', '--workers', '2', f).stdout).results[0];
    assert.equal(two.verdict, one.verdict, f);
    assert.equal(two.ok, true, f);
    assert.equal(two.stats.redundant, 0, f);
    if (one.verdict === 'safe') assert.equal(two.stats.executions, one.stats.executions, `${f}: the same executions`);
    else assert.equal(two.violation.property, one.violation.property, f);
    assert.equal(two.stats.shards, f === long ? 2 : undefined, `${f}: split only when long`);
  }
});
