// The text timeline: one column per thread, time downwards, marks, width, colour.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { checkScenario } from '../src/check/check.ts';
import type { ViolationResult } from '../src/check/result.ts';
import { loadScenario } from '../src/cli/files.ts';
import { formatTimeline } from '../src/report/timeline.ts';

const b1 = checkScenario(loadScenario('scenarios/b1-vfio-revoke-no-wait.yaml')).violation!;
/** b1 as a result without a story (an older version's): every event but the bookkeeping */
const legacy: ViolationResult = { ...b1, story: undefined };

test('one column per thread: every event line has its dot in its thread\'s column', () => {
  const out = formatTimeline(b1, { color: false, full: true }).split('\n');
  const header = out[0]!;
  const threads = [...new Set(b1.trace.map((e) => e.thread))];
  const heads = [...header.matchAll(/\S+/g)];
  assert.equal(heads.length, threads.length, header);
  heads.forEach((h, i) => assert.ok(threads[i]!.startsWith(h[0].replace(/…$/, '')), `${h[0]} names ${threads[i]}`));
  const cols = heads.map((h) => h.index!);
  for (const line of out.slice(1)) {
    const m = /^ *(\d+) /.exec(line);
    if (!m) continue;
    const e = b1.trace.find((t) => t.seq === Number(m[1]))!;
    assert.equal(line[cols[threads.indexOf(e.thread)]!], '●', line);
  }
});

test('time runs downwards, bookkeeping is elided, the marks are on their lines', () => {
  const plain = formatTimeline(legacy, { color: false });
  const seqs = [...plain.matchAll(/^ *(\d+) /gm)].map((m) => Number(m[1]));
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  assert.ok(seqs.length < b1.trace.length, 'some bookkeeping steps are not shown');
  assert.doesNotMatch(plain, /engine idle/);
  assert.match(plain, /bookkeeping steps not shown/);
  assert.match(plain, /vfio_pci_dma_buf_move returned .*<-- revoke returned/);
  assert.match(plain, new RegExp(`^ *${b1.seq} .*dma write BAR0 .*<-- dma-after-revoke \\(P1\\)$`, 'm'));
  assert.match(plain, /resv_lock vfio-buf.resv/, 'lock acquire shown');
  assert.match(plain, /add_fence vfio-buf.resv gpu0-job1 WRITE/, 'fence add shown');
  assert.match(plain, /signal gpu0-job1/, 'fence signal shown');
  const full = formatTimeline(b1, { color: false, full: true });
  assert.match(full, /engine idle/);
});

test('fits 100 columns (and a narrower terminal) with the marks intact', () => {
  for (const [width, full] of [[100, false], [80, false], [100, true], [80, true]] as const) {
    const out = formatTimeline(b1, { color: false, width, full });
    for (const line of out.split('\n')) assert.ok(line.length <= width, `${line.length} > ${width}: ${line}`);
    assert.match(out, /<-- dma-after-revoke \(P1\)/);
    assert.match(out, full ? /<-- revoke returned/ : /vfio_pci_dma_buf_move\(revoked=true\) returned/);
  }
});

test('colour only when asked; plain text is the same with the escapes removed', () => {
  const plain = formatTimeline(b1, { color: false });
  assert.doesNotMatch(plain, /\x1b\[/);
  const coloured = formatTimeline(b1, { color: true });
  // styleText itself honours NO_COLOR/FORCE_COLOR in newer Node releases: only compare when it painted
  if (/\x1b\[/.test(coloured)) assert.equal(stripVTControlCharacters(coloured), plain);
});

test('a violation at the end of the execution gets its own line', () => {
  const v: ViolationResult = { ...b1, seq: 0, property: 'leak', rule: 'P6' };
  assert.match(formatTimeline(v, { color: false }), /end leak \(P6\) at the end of the execution/);
});
