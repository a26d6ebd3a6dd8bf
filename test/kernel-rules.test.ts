// The rules table: every core rule R1-R58 is listed with a source, and every modelled one
// has a test named with its number; `list rules` prints them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RULES } from '../src/kernel/rules.ts';
import { c, safe } from './kernel-util.ts';

test('the rules table lists R1-R58 (and R18a-c), each with a source', () => {
  const ids = RULES.map((r) => r.id);
  for (let i = 1; i <= 58; i++) assert.ok(ids.includes(`R${i}`), `R${i} missing`);
  for (const s of ['R18a', 'R18b', 'R18c']) assert.ok(ids.includes(s));
  for (const r of RULES) assert.match(r.source, /^(linux|seed|list): /, r.id);
});

test('every rule the core models has a test named with its number', () => {
  const names = ['fence', 'resv', 'dmabuf'].map((f) => readFileSync(`test/kernel-${f}.test.ts`, 'utf8')).join('\n');
  const titles = [...names.matchAll(/^test\('([^']+)'/gm)].map((m) => m[1]!);
  for (const r of RULES.filter((x) => x.modelled === true)) {
    const re = new RegExp(`(^|[ /(])${r.id}([ /)]|$)`);
    assert.ok(titles.some((t) => re.test(t)), `no test named ${r.id}`);
  }
});

test('R52 an exporter attach op may refuse; the core returns its error', () => {
  safe({ t: [c('dma_buf_export', { ops: { attach: '-EBUSY', map_dma_buf: 'ok', unmap_dma_buf: 'ok', release: 'ok' } }, undefined, 'b'),
    c('dma_buf_dynamic_attach', { dmabuf: 'b', dev: 'd' }, '-EBUSY'), c('dma_buf_put', { dmabuf: 'b' })] });
});

test('dmabuf-lab list rules prints each rule with its source', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'list', 'rules'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^R23 +modelled +dma_resv_add_fence/m);
  assert.match(r.stdout, /source: linux: drivers\/dma-buf\/dma-resv\.c:dma_resv_add_fence/);
  assert.match(r.stdout, /^R27 +not modelled/m);
});
