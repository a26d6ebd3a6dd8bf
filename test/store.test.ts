// The registered state store: write barrier and hash, pools, ordered lists, visited sets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Store, StoreLayout } from '../src/sim/store.ts';
import { listGet, listIndexOf, listLength, listPushBack, listPushFront, listRemoveAt, storeList } from '../src/sim/store-list.ts';
import { ExactStateSet, FingerprintSet } from '../src/check/visited.ts';
import { canonicalise } from '../src/check/state-symmetry.ts';

const writes = fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: -3, max: 1 << 20 })), { maxLength: 60 });

test('store: the incremental hash equals the full hash after any writes, and equal contents hash equally', () => {
  fc.assert(fc.property(writes, writes, (w1, w2) => {
    const layout = new StoreLayout();
    layout.field('x', 16);
    const a = new Store(layout);
    const b = new Store(layout);
    for (const [i, v] of w1) a.set(i, v);
    assert.ok(a.rehash());
    b.copyFrom(a);
    assert.ok(b.equals(a));
    for (const [i, v] of w2) b.set(i, v);
    assert.ok(b.rehash());
    // undo w2 by writing a's contents back: the hash returns to a's
    for (let i = 0; i < 16; i++) b.set(i, a.get(i));
    assert.equal(b.h1, a.h1);
    assert.equal(b.h2, a.h2);
  }));
});

test('store: a write that bypasses the barrier leaves a stale hash that rehash() detects', () => {
  const layout = new StoreLayout();
  layout.field('x', 4);
  const s = new Store(layout);
  s.set(1, 7);
  s.slots[2] = 5;
  assert.equal(s.rehash(), false);
});

test('store: pools hand out the lowest free id; an owner\'s ids do not depend on the interleaving with other owners', () => {
  fc.assert(fc.property(fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (order) => {
    const layout = new StoreLayout();
    const pa = layout.pool('a', 4, 2);
    const pb = layout.pool('b', 4, 2);
    const s = new Store(layout);
    const got: Record<string, number[]> = { a: [], b: [] };
    for (const first of order) {
      const p = first ? pa : pb;
      if (s.get(p.used) === 0b1111) continue;
      got[p.name]!.push(s.alloc(p));
    }
    for (const ids of Object.values(got)) assert.deepEqual(ids, ids.map((_, i) => i));
    assert.ok(s.rehash());
  }));
  const layout = new StoreLayout();
  const p = layout.pool('f', 3, 1);
  const s = new Store(layout);
  assert.deepEqual([s.alloc(p), s.alloc(p), s.alloc(p), s.alloc(p)], [0, 1, 2, -1]);
  s.set(Store.at(p, 1, 0), 9);
  s.free(p, 1);
  assert.equal(s.get(Store.at(p, 1, 0)), 0, 'a freed object leaves no trace');
  assert.equal(s.alloc(p), 1);
});

test('store lists behave as arrays with push front/back and remove, through the barrier', () => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('front' as const), v: fc.integer({ min: 1, max: 9 }) }),
    fc.record({ k: fc.constant('back' as const), v: fc.integer({ min: 1, max: 9 }) }),
    fc.record({ k: fc.constant('remove' as const), v: fc.integer({ min: 1, max: 9 }) }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
    const layout = new StoreLayout();
    const l = storeList(layout, 'l', 5);
    const s = new Store(layout);
    const ref: number[] = [];
    for (const o of ops) {
      if (o.k === 'remove') {
        const i = listIndexOf(s, l, o.v);
        assert.equal(i, ref.indexOf(o.v));
        if (i >= 0) { assert.equal(listRemoveAt(s, l, i), o.v); ref.splice(i, 1); }
      } else {
        const ok = o.k === 'front' ? listPushFront(s, l, o.v) : listPushBack(s, l, o.v);
        assert.equal(ok, ref.length < 5);
        if (ok) { if (o.k === 'front') ref.unshift(o.v); else ref.push(o.v); }
      }
      assert.deepEqual(Array.from({ length: listLength(s, l) }, (_, i) => listGet(s, l, i)), ref);
    }
    // unused entries are 0, so equal lists are equal states
    for (let i = ref.length; i < 5; i++) assert.equal(listGet(s, l, i), 0);
    assert.ok(s.rehash());
  }));
});

test('fingerprint set: agrees with a Set of pairs while growing, (0, 0) included', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })), { maxLength: 3000 }), (pairs) => {
    const fp = new FingerprintSet();
    const ref = new Set<string>();
    for (const [a, b] of pairs) {
      const k = `${a === 0 && b === 0 ? 0 : a},${a === 0 && b === 0 ? 1 : b}`;
      assert.equal(fp.addPair(a, b), !ref.has(k));
      ref.add(k);
    }
    assert.equal(fp.size, ref.size);
  }), { numRuns: 30 });
  const fp = new FingerprintSet();
  for (let i = 0; i < 5000; i++) fp.addPair(i * 7919, i);
  assert.equal(fp.size, 5000);
  assert.equal(fp.omissionProbability(), (5000 * 5000) / 2 ** 65);
});

test('exact set: two states with equal hash lanes but different contents are both stored; the fingerprint set merges them', () => {
  const layout = new StoreLayout();
  layout.field('x', 3);
  const a = new Store(layout);
  const b = new Store(layout);
  b.set(0, 1);
  b.h1 = a.h1;
  b.h2 = a.h2;
  const exact = new ExactStateSet(layout.size);
  const fp = new FingerprintSet();
  assert.ok(exact.add(a) && exact.add(b));
  assert.equal(exact.add(b), false);
  assert.ok(fp.add(a));
  assert.equal(fp.add(b), false);
  // many states: survives growth of index and arena
  const c = new Store(layout);
  for (let i = 1; i <= 4000; i++) { c.set(1, i); assert.ok(exact.add(c)); }
  for (let i = 1; i <= 4000; i++) { c.set(1, i); assert.equal(exact.add(c), false); }
  assert.equal(exact.size, 4002);
  assert.equal(exact.omissionProbability(), 0);
});

test('symmetry: the representative sorts segments and renames references; every image of a state has one representative', () => {
  const layout = new StoreLayout();
  const owner = layout.field('owner');
  const seg = [layout.field('m0', 2), layout.field('m1', 2), layout.field('m2', 2)];
  const group = { name: 'm', bases: seg, len: 2, refs: [{ slots: [owner], stride: 1 }] };
  const s = new Store(layout);
  s.set(seg[0]!, 5); s.set(seg[1]!, 1); s.set(seg[2]!, 3);
  s.set(owner, 1); // member 0
  const c = new Store(layout);
  assert.ok(canonicalise(s, c, [group]));
  assert.deepEqual([c.get(seg[0]!), c.get(seg[1]!), c.get(seg[2]!)], [1, 3, 5]);
  assert.equal(c.get(owner), 3, 'member 0 moved to position 2');
  assert.ok(c.rehash());
  // the images under all six permutations
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  for (const p of perms) {
    const img = new Store(layout);
    for (let m = 0; m < 3; m++) for (let j = 0; j < 2; j++) img.set(seg[p[m]!]! + j, s.get(seg[m]! + j));
    img.set(owner, p[0]! + 1);
    const ci = new Store(layout);
    canonicalise(img, ci, [group]);
    assert.ok(ci.equals(c), `image ${p}`);
  }
});
