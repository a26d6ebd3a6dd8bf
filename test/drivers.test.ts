// The driver catalogue as the loader sees it: n/a ops, kernel-only variants, importer keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXPORTERS, IMPORTERS } from '../src/drivers/catalogue.ts';
import { InputError } from '../src/scenario/errors.ts';
import { parseScenario } from '../src/scenario/load.ts';

function scenario(exporter: string, importer: string, steps: string[], extra = ''): string {
  return [
    'name: t', extra,
    'exporter:', `  ${exporter}`,
    'importers:', `  - ${importer}`,
    'threads:', '  - name: a', '    steps:', ...steps.map((s) => `      - ${s}`),
  ].join('\n');
}

function problems(text: string): string {
  try {
    parseScenario(text, 't.yaml');
    return '';
  } catch (e) {
    if (e instanceof InputError) return e.message;
    throw e;
  }
}

test('every driver lists a source and every variant a description', () => {
  for (const d of [...EXPORTERS, ...IMPORTERS]) {
    assert.match(d.source, /^linux: /, d.name);
    assert.ok(d.variants.some((v) => v.name === 'correct'), `${d.name} has correct`);
    for (const v of d.variants) assert.ok(v.description.length > 10, `${d.name}/${v.name}`);
  }
});

test('ops the rule book marks n/a are rejected', () => {
  assert.match(problems(scenario('driver: gpu', '{id: g, driver: gpu-dynamic}', ['unrevoke'])), /exporter gpu has no operation "unrevoke"/);
  assert.match(problems(scenario('driver: vfio-pci', '{id: g, driver: gpu-dynamic}', ['evict'])), /has no operation "evict"/);
  assert.match(problems(scenario('driver: vfio-pci', '{id: g, driver: gpu-dynamic}', ['unplug'])), /has no operation "unplug"/);
  for (const d of ['iommufd', 'rdma-pinned', 'static']) {
    assert.match(problems(scenario('driver: vfio-pci', `{id: x, driver: ${d}}`, ['remap: x'])), /"remap" is n\/a/, d);
  }
  assert.equal(problems(scenario('driver: vfio-pci', '{id: x, driver: rdma-odp}', ['import: x', 'remap: x', 'release: x'])), '');
});

test('every VFIO revoke trigger is accepted; triggers are VFIO-only', () => {
  for (const t of ['mem-disable', 'flr', 'reset', 'hot-reset', 'd3']) {
    assert.equal(problems(scenario('driver: vfio-pci', '{id: g, driver: gpu-dynamic}', [`revoke: {trigger: ${t}}`, 'unrevoke', 'close'])), '', t);
  }
  assert.match(problems(scenario('driver: gpu', '{id: g, driver: gpu-dynamic}', ['revoke: {trigger: flr}'])), /vfio-pci only/);
});

test('variants that exist only in the landed kernel are rejected elsewhere', () => {
  for (const v of ['no-unmap-wait', 'timeout-1s', 'unrevoke-race', 'as-merged']) {
    assert.equal(problems(scenario(`{driver: vfio-pci, variant: ${v}}`, '{id: g, driver: gpu-dynamic}', ['revoke'])), '', v);
    assert.match(problems(scenario(`{driver: vfio-pci, variant: ${v}}`, '{id: g, driver: gpu-dynamic}', ['revoke'], 'kernel: v3')), /exists only with kernel: landed/, v);
  }
  assert.equal(problems(scenario('{driver: vfio-pci, variant: kernel-fence-only}', '{id: g, driver: gpu-dynamic}', ['revoke'], 'kernel: v2')), '');
});

test('importer keys: pinned is gpu-dynamic only, peer2peer dynamic only', () => {
  assert.equal(problems(scenario('driver: gpu', '{id: g, driver: gpu-dynamic, pinned: true}', ['import: g'])), '');
  assert.match(problems(scenario('driver: vfio-pci', '{id: x, driver: iommufd, pinned: true}', ['import: x'])), /has no key "pinned"/);
  assert.match(problems(scenario('driver: vfio-pci', '{id: x, driver: static, peer2peer: true}', ['import: x'])), /dynamic importers only/);
});
