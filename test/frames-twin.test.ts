// The twin's reset thread compiled from its function* subset source
// (bench/stateful/revoke-frames.ts) against the hand-written step function it replaces:
// the stateful search must see the same state graph (states, transitions, depth) and the
// same violations with the same schedules. Any extra or missing program point, a wait
// guarded differently or control state outside the store would change the counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statefulSearch } from '../src/check/stateful.ts';
import { twinModel } from '../bench/stateful/twin.ts';

for (const [n, k] of [[1, 1], [1, 2], [2, 1], [2, 2]] as const) {
  for (const variant of ['correct', 'v2-no-wait'] as const) {
    for (const canonical of [false, true]) {
      test(`twin ${n}x${k} ${variant}${canonical ? ' canonical' : ''}: the compiled reset thread explores the hand-written one's state graph`, () => {
        const opts = { stopAtFirst: false, symmetry: n > 1, exact: true };
        const hand = statefulSearch(twinModel(n, k, variant, { canonical }), opts);
        const compiled = statefulSearch(twinModel(n, k, variant, { canonical, frames: true }), opts);
        assert.ok(hand.complete && compiled.complete);
        assert.equal(compiled.states, hand.states);
        assert.equal(compiled.transitions, hand.transitions);
        assert.equal(compiled.maxDepth, hand.maxDepth);
        assert.deepEqual(compiled.violations, hand.violations);
        assert.equal(hand.violations.length > 0, variant === 'v2-no-wait');
      });
    }
  }
}
