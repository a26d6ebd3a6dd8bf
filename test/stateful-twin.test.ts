// The measurement twin (bench/stateful/twin.ts) against dmabuf-lab's own model: the same
// property sets as `check --count` (dpor) on small configurations, and its canonical lists
// keep every verdict and property of the ordered ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkScenario } from '../src/check/check.ts';
import { statefulSearch } from '../src/check/stateful.ts';
import { parseScenario } from '../src/scenario/load.ts';
import { twinModel, type TwinVariant } from '../bench/stateful/twin.ts';

function yaml(n: number, k: number, variant: TwinVariant): string {
  const ids = Array.from({ length: n }, (_, i) => `gpu${i}`);
  return [
    `name: twin-${n}x${k}-${variant}`, 'description: a revoke against identical importers',
    `exporter: { driver: vfio-pci, variant: ${variant} }`,
    'importers:', ...ids.map((id) => `  - { id: ${id}, driver: gpu-dynamic }`),
    'threads:', '  - { name: reset, steps: [revoke] }',
    ...ids.map((id) => `  - { name: ${id}-user, steps: [{ import: ${id} }, ${k ? `{ dma: { importer: ${id}, count: ${k} } }, ` : ''}{ release: ${id} }] }`),
    '',
  ].join('\n');
}

function twinProperties(n: number, k: number, variant: TwinVariant, canonical: boolean, symmetry = false): string[] {
  const r = statefulSearch(twinModel(n, k, variant, { canonical }), { stopAtFirst: false, symmetry });
  assert.ok(r.complete);
  return [...new Set(r.violations.map((v) => v.property))].sort();
}

for (const [n, k] of [[1, 0], [1, 1], [1, 2], [2, 0]] as const) {
  for (const variant of ['correct', 'v2-no-wait'] as const) {
    test(`twin ${n}x${k} ${variant}: the properties dpor --count finds in dmabuf-lab's model`, () => {
      const res = checkScenario(parseScenario(yaml(n, k, variant), 'twin.yaml'), { count: true });
      assert.ok(res.complete);
      assert.deepEqual(twinProperties(n, k, variant, false), [...res.violations].sort());
    });
  }
}

test('twin: canonical lists and symmetry keep the verdicts and property sets of the ordered twin (2x1, 2x2)', () => {
  for (const [n, k] of [[2, 1], [2, 2]] as const) {
    for (const variant of ['correct', 'v2-no-wait'] as const) {
      const ordered = twinProperties(n, k, variant, false);
      assert.deepEqual(twinProperties(n, k, variant, true), ordered, `${n}x${k} ${variant} canonical`);
      assert.deepEqual(twinProperties(n, k, variant, true, true), ordered, `${n}x${k} ${variant} canonical + symmetry`);
      assert.deepEqual(ordered, variant === 'correct' ? [] : ['dma-after-revoke']);
    }
  }
});

test('twin: fingerprints and exact states store the same states (2x2, canonical)', () => {
  const fp = statefulSearch(twinModel(2, 2, 'correct', { canonical: true }));
  const ex = statefulSearch(twinModel(2, 2, 'correct', { canonical: true }), { exact: true });
  assert.equal(fp.states, ex.states);
  assert.equal(fp.transitions, ex.transitions);
});
