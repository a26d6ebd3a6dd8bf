// Bad input: every message has file:line:column, the field path and what was expected.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { InputError } from '../src/scenario/errors.ts';
import { parseScenario } from '../src/scenario/load.ts';

const good = readFileSync('scenarios/b1-vfio-revoke-no-wait.yaml', 'utf8');

function errorsOf(text: string): string[] {
  try {
    parseScenario(text, 'x.yaml');
  } catch (e) {
    assert.ok(e instanceof InputError, `not an InputError: ${String(e)}`);
    return e.message.split('\n');
  }
  assert.fail('expected an input error');
}

test('a misspelled key names line, column, path and a suggestion', () => {
  const [m] = errorsOf(good.replace('  variant: v2-no-wait', '  varaint: v2-no-wait'));
  assert.match(m!, /^x\.yaml:9:3: exporter\.varaint: unknown key "varaint" \(did you mean "variant"\?\)$/);
});

test('an unknown variant and driver get did-you-mean', () => {
  assert.match(errorsOf(good.replace('variant: v2-no-wait', 'variant: v2-nowait'))[0]!, /x\.yaml:9:\d+: exporter\.variant: .*no variant "v2-nowait" \(did you mean "v2-no-wait"\?\)/);
  assert.match(errorsOf(good.replace('driver: gpu-dynamic', 'driver: gpu-dynamc'))[0]!, /importers\[0\]\.driver: unknown importer driver "gpu-dynamc" \(did you mean "gpu-dynamic"\?\)/);
});

test('an undeclared importer, an unknown op, a wrong type and a YAML error', () => {
  assert.match(errorsOf(good.replace('- import: gpu0', '- import: gpu1'))[0]!, /threads\[1\]\.steps\[0\]\.import: importer "gpu1" is not declared/);
  assert.match(errorsOf(good.replace('      - revoke', '      - revok'))[0]!, /threads\[0\]\.steps\[0\]: unknown operation "revok" \(did you mean "revoke"\?\)/);
  assert.match(errorsOf(good.replace('count: 2', 'count: two'))[0]!, /steps\[1\]\.dma\.count: expected an integer >= 1, found "two"/);
  assert.match(errorsOf(good.replace('count: 2', 'count: 1000'))[0]!, /at most 8 transfers/);
  assert.match(errorsOf(good + '\n  bad: [\n')[0]!, /^x\.yaml:\d+:\d+: YAML syntax error/);
  assert.match(errorsOf(good.replace('property: dma-after-revoke', 'property: dma-after-revok'))[0]!, /expect\.property: unknown property "dma-after-revok" \(did you mean "dma-after-revoke"\?\)/);
  assert.match(errorsOf(good.replace('  - name: reset\n    steps:\n      - revoke\n', '  - name: reset\n    steps: []\n'))[0]!, /threads\[0\]\.steps: expected at least one step/);
});

test('a list or map used as a key is an error at the key, on one line', () => {
  const [m, ...rest] = errorsOf(good.replace('  - name: gpu0-user', '? - name: gpu0-user'));
  assert.match(m!, /^x\.yaml:\d+:3: expected a field name as key, found a list$/);
  assert.deepEqual(rest, []);
  assert.match(errorsOf('? {a: 1}\n: 2\n')[0]!, /^x\.yaml:1:3: expected a field name as key, found a map$/);
});

// Characters that mean something to YAML (anchors, aliases, tags, explicit keys, flow).
const yamlish = fc.string({ maxLength: 4, unit: fc.constantFrom(...'?*&!|>-:[]{},#\'"\n %@`'.split('')) });

test('mutated files never crash the loader', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 0, max: 3 }), fc.oneof(fc.string({ maxLength: 3 }), yamlish), (at, cut, ins) => {
      const text = good.slice(0, at) + ins + good.slice(at + cut);
      try {
        parseScenario(text, 'm.yaml');
      } catch (e) {
        assert.ok(e instanceof InputError, `crash on mutation: ${String(e)}`);
        for (const line of e.message.split('\n')) assert.match(line, /^m\.yaml:\d+:\d+: /);
      }
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
  );
});
