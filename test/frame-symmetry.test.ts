// Symmetry of identical importers in the data world (src/check/frame-symmetry.ts): the
// audit that every renaming is an automorphism of the search's transition system on the
// states it reaches, a mutant whose slot kind is wrong caught by it, and the same
// verdicts and property sets with and without symmetry.
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { parseScenario } from '../src/scenario/load.ts';
import { frameModelOf } from '../src/check/stateful-run.ts';
import { statefulSearch } from '../src/check/stateful.ts';
import { FrameCanon, frameSymmetry } from '../src/check/frame-symmetry.ts';
import { frameModel, type FrameModel } from '../src/check/frame-model.ts';
import { buildFrameWorld } from '../src/scenario/frame-world.ts';
import { SlotValue } from '../src/scenario/frame-members.ts';
import { ExactStateSet } from '../src/check/visited.ts';
import { checkScenario } from '../src/check/check.ts';
import { hashSlots, Store } from '../src/sim/store.ts';

/** Two identical importers (`driver`, gpu-dynamic unless given) of a vfio-pci buffer of `variant`, `dma` transfers each, while the reset thread revokes. */
function twoImporters(variant: string, dma: number, driver = 'gpu-dynamic', importerVariant = 'correct'): string {
  const user = (i: number) => `  - name: imp${i}-user\n    steps:\n      - import: imp${i}\n${dma > 0 ? `      - dma: { importer: imp${i}, count: ${dma} }\n` : ''}      - release: imp${i}\n`;
  return `name: two-${variant}-${dma}\nexporter: { driver: vfio-pci, variant: ${variant} }\nimporters:\n  - { id: imp0, driver: ${driver}, variant: ${importerVariant} }\n  - { id: imp1, driver: ${driver}, variant: ${importerVariant} }\n`
    + `threads:\n  - name: reset\n    steps: [revoke]\n${user(0)}${user(1)}`;
}

const load = (m: FrameModel, x: Int32Array) => {
  const s = new Store(m.layout);
  s.slots.set(x);
  [s.h1, s.h2] = hashSlots(s.slots);
  return s;
};

/** The first `limit` states a search without symmetry stores. */
function statesOf(m: FrameModel, limit: number): Int32Array[] {
  const states: Int32Array[] = [];
  const set = new ExactStateSet(m.layout.size);
  const visited = Object.create(set) as ExactStateSet;
  visited.add = (s: Store) => { const r = set.add(s); if (r && states.length < limit) states.push(Int32Array.from(s.slots)); return r; };
  Object.defineProperty(visited, 'size', { get: () => set.size });
  statefulSearch(m, { stopAtFirst: false, reduction: false, maxStates: limit, visited });
  return states;
}

/**
 * For every state and renaming p: thread t is enabled at s exactly when its image is
 * enabled at p(s), and p(succ_t(s)) = succ_p(t)(p(s)), violations included. Returns the
 * mismatches, by slot name.
 */
function audit(m: FrameModel, canon: FrameCanon, states: readonly Int32Array[]): string[] {
  const bad: string[] = [];
  const renamings = (canon as unknown as { renamings: { tid: Int32Array }[] }).renamings;
  for (let p = 0; p < canon.images; p++) {
    const tid = renamings[p]!.tid;
    for (const x of states) {
      const image = new Store(m.layout);
      canon.imageOf(load(m, x), p, image);
      for (let t = 0; t < m.threads.length; t++) {
        const got: string[] = [];
        const want: string[] = [];
        const a = load(m, x);
        const ea = m.step(a, t, { report: (pr) => { want.push(pr); } });
        const b = new Store(m.layout);
        b.copyFrom(image);
        let eb: boolean;
        try { eb = m.step(b, tid[t]!, { report: (pr) => { got.push(pr); } }); } catch (e) { bad.push(`${m.threads[t]}: ${(e as Error).message}`); continue; }
        if (ea !== eb) { bad.push(`${m.threads[t]} enabled ${ea}, its image ${eb}`); continue; }
        if (want.sort().join() !== got.sort().join()) bad.push(`${m.threads[t]} reports ${want.join()}, its image ${got.join()}`);
        if (!ea) continue;
        const ia = new Store(m.layout);
        canon.imageOf(a, p, ia);
        for (let i = 0; i < m.layout.size; i++) if (ia.slots[i] !== b.slots[i]) bad.push(`${m.threads[t]}: ${m.layout.slotName(i)}`);
      }
    }
  }
  return bad;
}

for (const [variant, dma, limit, driver, imv] of [
  ['correct', 0, 4000, 'gpu-dynamic', 'correct'], ['correct', 1, 1500, 'gpu-dynamic', 'correct'], ['no-unmap-wait', 1, 1500, 'gpu-dynamic', 'correct'],
  ['no-revoked-check', 0, 1500, 'gpu-dynamic', 'correct'], ['correct', 1, 3000, 'iommufd', 'correct'], ['correct', 1, 1500, 'iommufd', 'as-merged'],
  ['accepts-non-revocable', 1, 2000, 'rdma-pinned', 'correct'], ['correct', 1, 2000, 'rdma-odp', 'correct'], ['correct', 1, 1500, 'rdma-odp', 'zap-no-unmap'],
] as const) {
  test(`audit: every renaming of ${variant} x 2 ${driver} ${imv} importers (${dma} transfer${dma === 1 ? '' : 's'}) maps successors to successors on the first ${limit} states`, () => {
    const sc = parseScenario(twoImporters(variant, dma, driver, imv), `${variant}.yaml`);
    const m = frameModelOf(sc);
    assert.ok(m.canon instanceof FrameCanon, 'two identical importers give a renaming');
    assert.equal(m.canon.images, 1);
    const states = statesOf(m, limit);
    assert.equal(states.length, limit);
    assert.deepEqual(audit(m, m.canon, states).slice(0, 5), []);
  });
}

test('audit: a slot kind left out (lock owners taken for plain numbers, not thread indices) is caught', () => {
  const sc = parseScenario(twoImporters('correct', 0), 'mutant.yaml');
  const w = buildFrameWorld(sc);
  for (const l of w.layout.locks) (w.members.kinds as Uint8Array)[l] = SlotValue.PLAIN;
  const s0 = new Store(w.layout);
  w.init(s0);
  const canon = frameSymmetry(sc, w, s0)!;
  const m = frameModel(w, { canon });
  // a mismatch, or the image's step breaking the lock discipline (the classifier's model-bug error)
  let seen: string;
  try { seen = audit(m, canon, statesOf(m, 500)).join('\n'); } catch (e) { seen = (e as Error).message; }
  assert.match(seen, /\.ops|resv\.lock|memory_lock/);
});

test('a scenario whose importers differ (or whose threads do not match up) gives no renaming', () => {
  const mixed = twoImporters('correct', 0).replace('{ id: imp1, driver: gpu-dynamic, variant: correct }', '{ id: imp1, driver: gpu-dynamic, variant: no-fence }');
  assert.equal(frameModelOf(parseScenario(mixed, 'mixed.yaml')).canon, undefined);
  const lopsided = twoImporters('correct', 0).replace('      - release: imp1\n', '');
  const drivers = twoImporters('correct', 0).replace('{ id: imp1, driver: gpu-dynamic, variant: correct }', '{ id: imp1, driver: iommufd, variant: correct }');
  assert.equal(frameModelOf(parseScenario(drivers, 'drivers.yaml')).canon, undefined);
  assert.equal(frameModelOf(parseScenario(lopsided, 'lopsided.yaml')).canon, undefined);
});

for (const [variant, dma, driver, imv] of [['correct', 0, 'gpu-dynamic', 'correct'], ['no-unmap-wait', 0, 'gpu-dynamic', 'correct'], ['no-revoked-check', 0, 'gpu-dynamic', 'correct'], ['correct', 0, 'iommufd', 'no-unpin']] as const) {
  test(`symmetry on and off: the same verdict and property set, fewer states (${variant} x 2 ${driver} ${imv} importers), exact = fingerprints`, () => {
    const m = frameModelOf(parseScenario(twoImporters(variant, dma, driver, imv), `${variant}.yaml`));
    const run = (symmetry: boolean, exact = false) => statefulSearch(m, { stopAtFirst: false, reduction: false, symmetry, exact });
    const off = run(false);
    const on = run(true);
    const exact = run(true, true);
    assert.ok(off.complete && on.complete && exact.complete);
    const props = (r: typeof on) => [...new Set(r.violations.map((v) => v.property))].sort();
    assert.deepEqual(props(on), props(off));
    assert.equal(exact.states, on.states);
    assert.ok(on.states < off.states * 0.6, `${on.states} states with symmetry, ${off.states} without`);
    if (variant === 'correct') assert.deepEqual(props(off), imv === 'no-unpin' ? ['leak'] : []);
  });
}

test('check: the stateful search stores one state an orbit by default (the renamings in stats.stateful), every state with symmetry false, the verdict unchanged', () => {
  const sc = parseScenario(`${twoImporters('correct', 0)}expect: { verdict: safe }\n`, 'two.yaml');
  const on = checkScenario(sc, {});
  const off = checkScenario(sc, { symmetry: false });
  assert.equal(checkScenario(sc, { strategy: 'stateful', symmetry: true }).stats.stateful?.states, on.stats.stateful?.states);
  assert.equal(on.verdict, 'safe');
  assert.equal(off.verdict, 'safe');
  assert.equal(on.stats.stateful?.renamings, 1);
  assert.equal(off.stats.stateful?.renamings, undefined);
  assert.deepEqual(on.stats.symmetry?.importers, [['imp0', 'imp1']]);
  assert.equal(off.stats.symmetry, undefined);
  assert.ok(on.stats.stateful!.states < off.stats.stateful!.states * 0.6);
});

test('the image fingerprints and signatures kept by the write barrier equal the ones computed from the slots, along random schedules', () => {
  const imp1 = '  - { id: imp1, driver: gpu-dynamic, variant: correct }\n';
  for (const [n, yaml] of [
    [2, twoImporters('correct', 1)],
    [2, twoImporters('correct', 1, 'iommufd')],
    [2, twoImporters('accepts-non-revocable', 1, 'rdma-pinned')],
    [2, twoImporters('correct', 1, 'rdma-odp')],
    [3, twoImporters('correct', 0).replace(imp1, `${imp1}${imp1.replace('imp1', 'imp2')}`) + '  - name: imp2-user\n    steps:\n      - import: imp2\n      - release: imp2\n'],
  ] as const) {
    const m = frameModelOf(parseScenario(yaml, `walk${n}.yaml`));
    const canon = m.canon as FrameCanon;
    assert.equal(canon.images, n === 2 ? 1 : 5);
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x80000000;
    let steps = 0;
    for (let run = 0; run < 40; run++) {
      const s = new Store(m.layout);
      m.init(s);
      canon.attach(s);
      for (let k = 0; k < 200; k++) {
        const en = m.threads.map((_, t) => t).filter((t) => m.enabled!(s, t));
        if (en.length === 0) break;
        m.step(s, en[Math.floor(rnd() * en.length)]!, { report(): void {} });
        steps++;
        const fresh = new Store(m.layout);
        fresh.copyFrom(s);
        fresh.lanes = new Int32Array(s.lanes!.length);
        canon.resync(fresh);
        assert.deepEqual(Array.from(s.lanes!), Array.from(fresh.lanes), `run ${run}, step ${k}`);
      }
    }
    assert.ok(steps > 500);
  }
});

test('the CLI: check FILE names the identical importers on its line, --no-symmetry stores every state', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sym-'));
  const f = join(dir, 'two.yaml');
  writeFileSync(f, `${twoImporters('correct', 0)}expect: { verdict: safe }\n`);
  const cli = (...a: string[]) => spawnSync(process.execPath, ['bin/dmabuf-lab.cjs', 'check', '--workers', '1', ...a, f], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const on = cli();
  assert.equal(on.status, 0, on.stderr);
  assert.match(on.stdout, /safe \(expected safe\) +\d+ states, \d+ transitions, symmetry: imp0 = imp1/);
  const off = cli('--no-symmetry', '--json');
  assert.equal(off.status, 0, off.stderr);
  const r = JSON.parse(off.stdout).results[0];
  assert.equal(r.stats.stateful.renamings, undefined);
  assert.ok(r.stats.stateful.states > 2 * Number(/(\d+) states/.exec(on.stdout)![1]) * 0.9);
});
