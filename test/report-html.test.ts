// The HTML sequence diagram: self-contained, deterministic, complete; the report command
// and check --html. (test/report-browser.test.ts looks at it in Chromium.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadScenario } from '../src/cli/files.ts';
import { laneLabels, renderHtml } from '../src/report/html.ts';
import { reportExecution } from '../src/report/report.ts';
import { parseScenario } from '../src/scenario/load.ts';

const b1 = loadScenario('scenarios/b1-vfio-revoke-no-wait.yaml');
const x = reportExecution(b1);
const html = renderHtml(x);
const count = (re: RegExp) => (html.match(re) ?? []).length;

test('self-contained: nothing is fetched', () => {
  const urls = [...html.matchAll(/\b(?:https?:)?\/\/[^\s"'<>)]+/g)].map((m) => m[0]).filter((u) => u !== 'http://www.w3.org/2000/svg');
  assert.deepEqual(urls, []);
  assert.doesNotMatch(html, /<link|<img|<iframe|@import|\bsrc=/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test('deterministic: the same schedule gives the same bytes', () => {
  assert.equal(renderHtml(reportExecution(b1)), html);
});

test('one lifeline per thread, engine and shared object; one row per event', () => {
  assert.equal(count(/<line class="lane/g), x.threads.length + x.objects.length);
  assert.equal(count(/<line class="lane th"/g), x.threads.length);
  assert.equal(count(/<g class="ev[ "]/g), x.events.length);
  for (const name of ['reset', 'gpu0-user', 'gpu0-engine', 'vfio-buf.resv.lock', 'gpu0-job1']) assert.ok(html.includes(`data-lane="${name}"`), name);
  assert.ok(x.objects.some((o) => o.kind === 'fence') && x.objects.some((o) => o.kind === 'lock') && x.objects.some((o) => o.kind === 'memory'));
});

test('lane labels: two lines of at most 14 characters, distinct where the names share a long prefix', () => {
  const names = ['vfio-buf.resv.lock', 'vfio-buf.resv.fences', 'gpu0-unmapper', 'gpu0.attachment', 'averyveryverylongname', 'a-long-prefix-then-the-same-tail-1', 'a-long-prefix-then-other-the-same-tail-1'];
  const labels = laneLabels(names);
  assert.deepEqual(labels.slice(0, 4), [['vfio-buf.resv.', 'lock'], ['vfio-buf.resv.', 'fences'], ['gpu0-unmapper'], ['gpu0.', 'attachment']]);
  for (const l of labels) for (const line of l) assert.ok(line.length <= 14, `${line} fits the lane`);
  assert.equal(new Set(labels.map((l) => l.join('\n'))).size, names.length, labels.map((l) => l.join('/')).join(' | '));
  // the b1 page: its lane heads are distinct (the resv lock and the resv fences differ)
  const heads = [...html.matchAll(/class="lname">((?:<tspan[^>]*>[^<]*<\/tspan>)+)<\/text>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, '|'));
  assert.equal(heads.length, x.threads.length + x.objects.length);
  assert.equal(new Set(heads).size, heads.length);
});

test('happens-before edges cross threads, go forward in time and are not implied by earlier ones', () => {
  assert.ok(x.hb.length >= 3);
  assert.equal(count(/<path class="hb"/g), x.hb.length);
  const seen = new Set<string>();
  for (const h of x.hb) {
    const a = x.events[h.from]!, b = x.events[h.to]!;
    assert.ok(h.from < h.to);
    assert.notEqual(a.tid, b.tid);
    assert.ok(b.clock[a.tid]! >= a.clock[a.tid]!, 'a real happens-before edge');
    seen.add(`${x.threads[a.tid]!.name}->${x.threads[b.tid]!.name}`);
  }
  assert.ok([...seen].some((s) => s.endsWith('->gpu0-engine')), 'a job submission reaches the engine');
  const signalToWait = x.hb.filter((h) => x.events[h.from]!.label === 'dma_fence_signal' && x.events[h.to]!.label === 'dma_fence_wait');
  assert.ok(signalToWait.length >= 1, 'a fence signal reaches its waiter');
});

test('the violation: banner with property, rule, message and token; its row marked', () => {
  const v = x.violations.find((w) => w.shown)!;
  assert.equal(v.property, 'dma-after-revoke');
  assert.match(html, /<div class="viol" id="violation"><b>dma-after-revoke<\/b> \(rule P1\) at event #\d+ in gpu0-engine: gpu0 engine DMA write of BAR0/);
  assert.ok(html.includes(`<code id="token">${x.token}</code>`));
  assert.match(html, new RegExp(`<g class="ev bad shown" data-i="${v.event}"`));
  assert.match(html, /class="badlabel">✖ dma-after-revoke \(P1\)/);
});

test('text from the scenario is escaped', () => {
  const sc = parseScenario(readFileSync('scenarios/b1-vfio-revoke-no-wait.yaml', 'utf8').replace(/^description: >\n(  .*\n)+/m, 'description: "<script>alert(1)</script> & more"\n'), 'x.yaml');
  const out = renderHtml(reportExecution(sc));
  assert.ok(out.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; more'));
  assert.equal((out.match(/<script/g) ?? []).length, 2, 'only the page\'s own two script elements');
});

const cli = (...a: string[]) => spawnSync(process.execPath, ['bin/dmabuf-lab.cjs', ...a], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

test('report --html/--trace writes both files; --schedule picks the execution', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-report-'));
  const r = cli('report', 'scenarios/b1-vfio-revoke-no-wait.yaml', '--html', join(dir, 'b1.html'), '--trace', join(dir, 'b1.json'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /sequence diagram of \d+ events, dma-after-revoke \(P1\)/);
  assert.equal(readFileSync(join(dir, 'b1.html'), 'utf8'), html);
  assert.ok(Array.isArray(JSON.parse(readFileSync(join(dir, 'b1.json'), 'utf8')).traceEvents));
  const safe = cli('report', 'scenarios/b1-vfio-revoke-no-wait.yaml', '--schedule', `${b1.file}@${b1.hash}:a`, '--html', join(dir, 'first.html'));
  assert.equal(safe.status, 0, safe.stderr);
  assert.match(safe.stdout, /no violation/);
  assert.equal(cli('report', 'scenarios/b1-vfio-revoke-no-wait.yaml').status, 2, 'needs an output');
});

test('check --html DIR writes one diagram per counterexample', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmabuf-lab-check-html-'));
  const r = cli('check', '--html', dir, 'scenarios/b1-vfio-revoke-no-wait.yaml');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote 1 HTML report\(s\)/);
  assert.match(r.stdout, /diagram: dmabuf-lab report scenarios\/b1-vfio-revoke-no-wait.yaml --schedule '/);
  assert.ok(existsSync(join(dir, 'b1-vfio-revoke-no-wait.html')));
});

test('a violation found at the end of the execution (a hang, a leak) gets its own marked row', () => {
  const sc = loadScenario('scenarios/b5-rdma-stub-looks-revocable.yaml');
  const end = reportExecution(sc);
  const v = end.violations.find((w) => w.shown)!;
  assert.equal(v.event, -1, `${v.property} at ${v.event}`);
  const out = renderHtml(end);
  assert.match(out, new RegExp(`<g class="ev bad shown" data-i="${end.events.length}"[^>]*>.*end of the execution`));
  assert.match(out, new RegExp(`<b>${v.property}</b> \\(rule ${v.rule}\\) at the end of the execution`));
});
