// Work stealing between the threads of one stateful search (src/check/work-board.ts and
// the `work` hook of statefulSearch): the board hands an entry over only to a waiting
// searcher and ends when every searcher is idle; a stack entry handed from one search to
// another is expanded by the receiver alone, so the two together store the states of the
// search alone and meet its properties, with counterexample schedules that start at the root.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { WorkBoard, type StackEntry } from '../src/check/work-board.ts';
import { statefulSearch } from '../src/check/stateful.ts';
import { fineSchedule, frameModelOf } from '../src/check/stateful-run.ts';
import { FingerprintSet } from '../src/check/visited.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { runSchedule } from '../src/check/replay.ts';

test('work board: no hand-over without a waiting searcher; a waiting one gets the entry; all idle ends the wait', () => {
  const b = WorkBoard.create(4, 8, 2);
  assert.equal(b.wanted(), false);
  assert.equal(b.donate(Int32Array.of(1, 2, 3, 4), [0, 1], 2, 1, 0, true), false, 'no searcher waits: nothing is handed over');
  let polls = 0;
  // the other searcher donates while this one waits (its poll runs in the wait loop)
  const got = b.idle(() => { if (polls++ === 0) assert.equal(b.donate(Int32Array.of(5, 6, 7, 8), [2, 0, 1], 3, 2, 1, false), true); }, () => false);
  assert.ok(got);
  assert.deepEqual(Array.from(got.slots), [5, 6, 7, 8]);
  assert.deepEqual(got.prefix, [2, 0, 1]);
  assert.equal(got.tried, 2);
  assert.equal(got.offset, 1);
  assert.equal(got.anyRan, false);
  // a schedule longer than the board holds stays with its search
  assert.equal(b.donate(Int32Array.of(1, 2, 3, 4), new Array(9).fill(0), 9, 0, 0, false), false);
  // the last busy searcher going idle ends the wait (with nothing handed over)
  const last = new WorkBoard(WorkBoard.create(4, 8, 1).buffer);
  assert.equal(last.idle(() => undefined, () => false), null);
});

test('work board: a stopped search ends the wait', () => {
  const b = WorkBoard.create(2, 4, 2);
  assert.equal(b.idle(() => undefined, () => true), null);
});

/** One search that hands its shallowest open entry over after `after` transitions, the other that takes it: together the search alone. */
for (const name of ['b1-vfio-revoke-fixed', 'b1-vfio-revoke-no-wait', 'b19-unrevoke-eager-remap']) {
  test(`stateful: an entry of ${name} handed from one search to another is searched once: the states and properties of the search alone`, () => {
    const sc = parseScenario(readFileSync(`scenarios/${name}.yaml`, 'utf8'), `scenarios/${name}.yaml`);
    const model = frameModelOf(sc);
    const alone = statefulSearch(model, { stopAtFirst: false, reduction: false });
    const visited = new FingerprintSet();
    const handed: StackEntry[] = [];
    let polls = 0;
    const donor = statefulSearch(model, {
      stopAtFirst: false, reduction: false, visited,
      work: {
        wanted: () => polls++ < 3 && handed.length < 3,
        donate: (slots, schedule, len, tried, offset, anyRan) => { handed.push({ slots: slots.slice(), prefix: schedule.slice(0, len), tried, offset, anyRan }); return true; },
        idle: () => null,
      },
    });
    assert.ok(handed.length > 0, 'the search handed nothing over');
    const receiver = statefulSearch(model, {
      stopAtFirst: false, reduction: false, visited, order: 1,
      work: { wanted: () => false, donate: () => false, idle: () => handed.shift() ?? null },
    });
    assert.ok(donor.complete && receiver.complete);
    assert.ok(receiver.states > 0, 'the receiver stored nothing: the hand-over was empty');
    assert.equal(donor.states + receiver.states, alone.states);
    const props = (vs: readonly { property: string }[]) => [...new Set(vs.map((v) => v.property))].sort();
    assert.deepEqual(props([...donor.violations, ...receiver.violations]), props(alone.violations));
    // a counterexample met below a handed-over entry replays from the root
    for (const v of receiver.violations) {
      const { rt } = runSchedule(sc, fineSchedule(sc, v.schedule));
      assert.ok(rt.violations.some((x) => x.property === v.property), `${v.property} does not replay`);
    }
  });
}
