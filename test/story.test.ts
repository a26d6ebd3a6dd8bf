// The story view: at most 15 rows under every bundled counterexample, holding the
// violating event and its contradicting pair; the headline; every property seen named.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkScenario, headline } from '../src/check/check.ts';
import { sample } from '../src/check/sample.ts';
import { STORY_ROWS, storyOf } from '../src/check/story.ts';
import { loadScenario } from '../src/cli/files.ts';
import { formatTimeline } from '../src/report/timeline.ts';
import { buildWorld } from '../src/scenario/world.ts';
import type { Runtime } from '../src/sim/runtime.ts';
import type { Violation } from '../src/sim/violation.ts';

const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort();
const results = files.map((f) => ({ f, r: checkScenario(loadScenario(`scenarios/${f}`)) }));
const violating = results.filter((x) => x.r.violation);

/** The timeline rows of a text: lines that start with an event's seq (or `end`). */
const rowsOf = (text: string) => text.split('\n').filter((l) => /^ *(\d+|end) /.test(l));

test('every bundled counterexample: at most 15 rows, holding the violation and its pair', () => {
  assert.ok(violating.length >= 20, `${violating.length} bundled counterexamples`);
  for (const { f, r } of violating) {
    const v = r.violation!;
    const story = v.story!;
    assert.ok(story, `${f}: a story`);
    const text = formatTimeline(v, { color: false });
    const rows = rowsOf(text);
    assert.ok(rows.length <= 15, `${f}: ${rows.length} rows\n${text}`);
    assert.ok(rows.length < v.trace.length, `${f}: fewer rows than events`);
    if (v.seq > 0) {
      assert.ok(story.events.includes(v.seq), `${f}: the violating event ${v.seq} is in the story`);
      assert.match(text, new RegExp(`^ *${v.seq} .*<-- ${v.property} \\(${v.rule}\\)`, 'm'), `${f}: violation row\n${text}`);
      if (story.pair) {
        assert.equal(story.pair.effect, v.seq, f);
        assert.ok(story.events.includes(story.pair.cause), `${f}: the pair's cause ${story.pair.cause} is in the story`);
        assert.ok(story.rows.some((row) => row.mark === 'cause' && row.from <= story.pair!.cause && story.pair!.cause <= row.to), `${f}: cause row`);
        assert.ok(text.replace(/ \.\.\.\n +\.\.\. /g, ' ... ').includes(story.pair.text), `${f}: the pair is named\n${text}`);
        assert.match(story.pair.text, new RegExp(` at ${story.pair.cause} \\(.*\\) \\.\\.\\. .* at ${v.seq} \\(${v.thread}\\)$`));
      }
    } else assert.match(text, /^ *end .*at the end of the execution$/m, f);
    const full = rowsOf(formatTimeline(v, { color: false, full: true }));
    assert.equal(full.length, v.trace.length + (v.seq === 0 ? 1 : 0), `${f}: --full shows every event`);
  }
});

test('a returned revoke folds into one row that says whether it waited; the pair names the revoke return', () => {
  const b1 = violating.find((x) => x.f === 'b1-vfio-revoke-no-wait.yaml')!.r.violation!;
  const rev = b1.story!.rows.find((r) => /^vfio_pci_dma_buf_move\(revoked=true\) returned/.test(r.text))!;
  assert.ok(rev, JSON.stringify(b1.story!.rows));
  assert.match(rev.text, /returned without waiting$/);
  assert.ok(rev.to - rev.from >= 5, 'the call folds its inner events');
  const ret = b1.trace.find((e) => e.seq === rev.seq)!;
  assert.equal(ret.role, 'return');
  assert.equal(b1.story!.pair!.cause, rev.seq);
  assert.ok(b1.story!.rows.every((r) => b1.trace[r.seq - 1]!.role !== 'bookkeeping'), 'bookkeeping hidden');
  const b18 = violating.find((x) => x.f === 'b18-vfio-timeout-1s.yaml')!.r.violation!;
  assert.ok(b18.story!.rows.some((r) => /returned after .*wait/.test(r.text)), JSON.stringify(b18.story!.rows));
});

test('every property a search saw is listed with a token that replays an execution showing it', () => {
  for (const { f, r } of results) {
    assert.deepEqual((r.seen ?? []).map((s) => s.property), r.violations, f);
    for (const s of r.seen ?? []) assert.match(s.schedule, /@[0-9a-f]{8}:/, f);
  }
  assert.ok(results.filter(({ r }) => r.violations.length > 1).length >= 5, 'bundled scenarios that see more than one property');
});

/** A world whose events are given by their roles, with violations at some of them. */
const fakeWorld = (roles: (string | undefined)[]) => ({ events: roles.map((role) => ({ tid: 0, op: role ? { role } : {} })) }) as unknown as Runtime;
const at = (event: number): Violation => ({ property: 'dma-after-revoke', rule: 'P1', message: '', event, thread: 't' });

test('a committed DMA leads over a speculative read that breaks the same rule', () => {
  const rt = fakeWorld(['speculative', undefined, 'speculative']);
  assert.equal(headline(rt, [at(0), at(1)])!.event, 1);
  assert.equal(headline(rt, [at(0), at(2)])!.event, 0, 'only speculative: the first');
  assert.equal(headline(rt, [at(-1), at(0)])!.event, -1);
  assert.equal(headline(rt, []), undefined);
});

test('property: in any execution, a story stays within STORY_ROWS and inside the violation\'s cone', () => {
  const scs = ['b1-vfio-revoke-no-wait', 'b13-gpu-remap-in-callback', 'b14-vfio-no-revoked-check', 'b8-vfio-unrevoke-race'].map((n) => loadScenario(`scenarios/${n}.yaml`));
  fc.assert(fc.property(fc.integer({ min: 0, max: scs.length - 1 }), fc.integer({ min: 1, max: 1_000_000 }), (k, seed) => {
    const sc = scs[k]!;
    sample(() => buildWorld(sc).rt, { strategy: 'pct', runs: 1, seed, depth: 3 }, (rt) => {
      for (const v of rt.violations) {
        const s = storyOf(rt, v);
        assert.ok(s.rows.length <= STORY_ROWS);
        const seqs = s.rows.map((r) => r.seq);
        assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
        if (v.event < 0) continue;
        assert.ok(s.rows.some((r) => r.mark === 'violation' && r.seq === v.event + 1));
        for (const e of s.events) {
          const i = e - 1;
          const t = rt.events[i]!.tid;
          assert.ok(rt.hb.at(i, t) <= rt.hb.at(v.event, t), `event ${e} happens before the violation at ${v.event + 1}`);
        }
      }
      return false;
    });
  }), { numRuns: 40, seed: 20 });
});
