// dma-buf rules R30-R58 (and the revoke series by version), one test (or more) per rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { c, check, fence, rejects, safe, violates, type StepIn } from './kernel-util.ts';

const DYN = ['attach', 'detach', 'pin', 'unpin', 'map_dma_buf', 'unmap_dma_buf', 'release'];
const exp = (as: string, ops: unknown = DYN, more: Record<string, unknown> = {}) => c('dma_buf_export', { ops, ...more }, undefined, as);
const put = (b: string) => c('dma_buf_put', { dmabuf: b });
const lock = (b: string) => c('dma_resv_lock', { obj: b }, 0);
const unlock = (b: string) => c('dma_resv_unlock', { obj: b });
const dyn = (b: string, as: string, ops?: unknown) => c('dma_buf_dynamic_attach', { dmabuf: b, dev: as, ...(ops !== undefined ? { importer_ops: ops } : {}) }, 'ok', as);
const stat = (b: string, as: string) => c('dma_buf_attach', { dmabuf: b, dev: as }, 'ok', as);
const detach = (b: string, a: string) => c('dma_buf_detach', { dmabuf: b, attach: a }, 'ok');
const trace = (r: ReturnType<typeof check>) => (r.violation?.trace ?? []).map((e) => `${e.event} ${e.detail ?? ''}`);

test('R30 dma_buf_export: mandatory ops and priv, pin/unpin paired', () => {
  safe({ t: [exp('b'), put('b')] });
  safe({ t: [c('dma_buf_export', { ops: ['map_dma_buf', 'unmap_dma_buf'] }, 'warn'), c('dma_buf_export', { ops: ['map_dma_buf', 'unmap_dma_buf', 'release', 'pin'] }, 'warn'),
    c('dma_buf_export', { priv: null }, 'warn'), c('dma_buf_export', { ops: null }, 'warn')] });
  rejects({ t: [c('dma_buf_export', { ops: ['map'] })] }, /unknown exporter op "map"/);
});

test('R31 dma_buf_fd/get/put: -EBADF, NULL put WARNs, use after release', () => {
  safe({ t: [exp('b'), c('dma_buf_fd', { dmabuf: 'b' }, 3, 'fd'), c('dma_buf_get', { fd: 'fd' }, 'ok', 'b2'), put('b2'), c('dma_buf_get', { fd: 99 }, '-EBADF'),
    c('dma_buf_put', { dmabuf: null }, 'warn'), put('b'), c('dma_buf_put', { dmabuf: 'b' }, 'warn'), c('dma_buf_attach', { dmabuf: 'b', dev: 'x' }, 'warn', 'a')] });
  safe({ t: [c('dma_buf_get', { fd: 'buf' }, 'ok', 'mine'), put('mine')] });
});

test('R32 release: BUG while vmapped, WARN with attachments left', () => {
  // the BUG stops the thread: the buffer is then never freed (leak), the BUG itself was expected
  const b = violates({ t: [exp('b', ['map_dma_buf', 'unmap_dma_buf', 'release', 'vmap']), lock('b'), c('dma_buf_vmap', { dmabuf: 'b', map: 'm' }, 0), unlock('b'), c('dma_buf_put', { dmabuf: 'b' }, 'warn')] }, 'leak');
  assert.deepEqual(b.violations, ['leak']);
  const r = violates({ t: [exp('b'), stat('b', 'a'), put('b')] }, 'api-misuse', 'R32');
  assert.match(r.violation!.message, /attachment/);
});

test('R33 dma_buf_dynamic_attach: [pre,v2,v3] the callback is mandatory, [landed] optional', () => {
  for (const kernel of ['pre', 'v2', 'v3'] as const) {
    safe({ t: [exp('b'), c('dma_buf_dynamic_attach', { dmabuf: 'b', dev: 'd', importer_ops: { allow_peer2peer: true } }, 'warn'), put('b')] }, { kernel });
  }
  safe({ t: [exp('b'), dyn('b', 'a', { allow_peer2peer: true }), c('dma_buf_attach_revocable', { attach: 'a' }, 0), detach('b', 'a'), put('b')] });
  safe({ t: [exp('b'), c('dma_buf_dynamic_attach', { dmabuf: null, dev: 'd' }, 'warn'), put('b')] });
  rejects({ t: [exp('b'), c('dma_buf_dynamic_attach', { dmabuf: 'b', dev: 'd', importer_ops: { move_notify: true } })] }, /kernel landed names the importer callback invalidate_mappings, not move_notify/);
  safe({ t: [exp('b'), dyn('b', 'a', { move_notify: true }), detach('b', 'a'), put('b')] }, { kernel: 'pre' });
});

test('R33/RV10 an attachment whose exporter attach refuses is never listed', () => {
  safe({ t: [exp('b', { attach: '-EOPNOTSUPP', map_dma_buf: 'ok', unmap_dma_buf: 'ok', release: 'ok' }), c('dma_buf_dynamic_attach', { dmabuf: 'b', dev: 'd' }, '-EOPNOTSUPP'), put('b')] });
});

test('R34 dma_buf_attach makes a static attachment', () => {
  safe({ t: [exp('b'), stat('b', 'a'), c('dma_buf_attachment_is_dynamic', { attach: 'a' }, 0), detach('b', 'a'), put('b')] });
  safe({ t: [c('dma_buf_attach', { dmabuf: 'buf', dev: 'legacy' }, '-EOPNOTSUPP')] });
});

test('R35 dma_buf_detach: NULL WARNs; detaching with a live mapping is a leak', () => {
  safe({ t: [c('dma_buf_detach', { dmabuf: 'buf', attach: null }, 'warn')] });
  violates({ t: [exp('b'), dyn('b', 'a'), lock('b'), c('dma_buf_map_attachment', { attach: 'a' }, 'ok', 's'), unlock('b'), detach('b', 'a'), put('b')] }, 'leak', 'R35');
});

test('R36 dma_buf_pin: resv held, WARN on static, a failed pin is not counted', () => {
  safe({ t: [exp('b'), dyn('b', 'a'), stat('b', 's'), c('dma_buf_pin', { attach: 'a' }, 'warn'), lock('b'), c('dma_buf_unpin', { attach: 'a' }), c('dma_buf_pin', { attach: 's' }, 'warn'),
    c('dma_buf_unpin', { attach: 's' }, 'warn'), c('dma_buf_pin', { attach: 'a' }, 0), c('dma_buf_unpin', { attach: 'a' }, 'ok'), unlock('b'), detach('b', 'a'), detach('b', 's'), put('b')] });
  safe({ t: [exp('b', { pin: '-EBUSY', unpin: 'ok', map_dma_buf: 'ok', unmap_dma_buf: 'ok', release: 'ok' }), dyn('b', 'a'), lock('b'), c('dma_buf_pin', { attach: 'a' }, '-EBUSY'),
    c('dma_buf_unpin', { attach: 'a' }, 'warn'), unlock('b'), detach('b', 'a'), put('b')] });
});

test('R37 dma_buf_unpin without a pin is api-misuse; a pin never undone is a leak (P12)', () => {
  violates({ t: [exp('b'), dyn('b', 'a'), lock('b'), c('dma_buf_unpin', { attach: 'a' }), unlock('b'), detach('b', 'a'), put('b')] }, 'api-misuse', 'R37');
  violates({ t: [exp('b'), dyn('b', 'a'), lock('b'), c('dma_buf_pin', { attach: 'a' }), unlock('b'), detach('b', 'a'), put('b')] }, 'leak', 'P12');
});

test('R38 dma_buf_map_attachment: resv held; pin-on-map for a static importer of a dynamic exporter', () => {
  safe({ t: [exp('b'), dyn('b', 'a'), c('dma_buf_map_attachment', { attach: 'a' }, 'warn', 's0'), lock('b'), c('dma_buf_unmap_attachment', { attach: 'a', sg_table: 's0' }), unlock('b'), detach('b', 'a'), put('b')] });
  // the trace of a violating run shows the exporter pin before map_dma_buf and the unpin after unmap
  const r = violates({ t: [exp('b'), stat('b', 'a'), lock('b'), c('dma_buf_map_attachment', { attach: 'a' }, 'ok', 's'), c('dma_buf_unmap_attachment', { attach: 'a', sg_table: 's' }), unlock('b'), detach('b', 'a'), put('b'), c('dma_buf_put', { dmabuf: null })] }, 'api-misuse');
  const t = trace(r).map((x) => x.trim());
  const i = t.findIndex((x) => x.startsWith('exporter pin')), j = t.findIndex((x) => x.startsWith('exporter map_dma_buf'));
  const u = t.findIndex((x) => x.startsWith('exporter unmap_dma_buf')), v = t.findIndex((x) => x.startsWith('exporter unpin'));
  assert.ok(i >= 0 && i < j && u < v, t.join('\n'));
});

test('R38 pin-on-map -EBUSY WARNs and fails the map; a failed map undoes the pin (R57)', () => {
  safe({ t: [exp('b', { pin: '-EBUSY', unpin: 'ok', map_dma_buf: 'ok', unmap_dma_buf: 'ok', release: 'ok' }), stat('b', 'a'), lock('b'), c('dma_buf_map_attachment', { attach: 'a' }, 'warn'), unlock('b'), detach('b', 'a'), put('b')] });
  const r = violates({ t: [exp('b', { pin: 'ok', unpin: 'ok', map_dma_buf: '-ENOMEM', unmap_dma_buf: 'ok', release: 'ok' }), stat('b', 'a'), lock('b'), c('dma_buf_map_attachment', { attach: 'a' }, '-ENOMEM'), unlock('b'), detach('b', 'a'), put('b'), c('dma_buf_put', { dmabuf: null })] }, 'api-misuse');
  assert.ok(trace(r).some((x) => x.startsWith('exporter unpin')), 'the pin-on-map is undone');
});

test('R38 a static mapping waits for KERNEL fences; a dynamic one does not (R42)', () => {
  const kfence = [fence('k'), lock('buf'), c('dma_resv_reserve_fences', { obj: 'buf', num_fences: 1 }), c('dma_resv_add_fence', { obj: 'buf', fence: 'k', usage: 'KERNEL' }), unlock('buf')];
  const body = (attach: StepIn): StepIn[] => [exp('b'), ...kfence.map((s) => JSON.parse(JSON.stringify(s).replace(/"buf"/g, '"b"')) as StepIn), attach, lock('b'), c('dma_buf_map_attachment', { attach: 'a' }, 'ok', 's')];
  violates({ t: body(stat('b', 'a')) }, 'wait-timeout', 'P9');
  safe({ t: [...body(dyn('b', 'a')), c('dma_buf_unmap_attachment', { attach: 'a', sg_table: 's' }), unlock('b'), c('dma_fence_signal', { fence: 'k' }), detach('b', 'a'), put('b')] });
});

test('R39/R41 the unlocked forms take the lock; calling them with it held is misuse and a self-deadlock', () => {
  safe({ t: [exp('b'), dyn('b', 'a'), c('dma_buf_map_attachment_unlocked', { attach: 'a' }, 'ok', 's'), c('dma_buf_unmap_attachment_unlocked', { attach: 'a', sg_table: 's' }, 'ok'), detach('b', 'a'), put('b')] });
  violates({ t: [exp('b'), dyn('b', 'a'), lock('b'), c('dma_buf_map_attachment_unlocked', { attach: 'a' }, 'warn')] }, 'deadlock');
});

test('R40 dma_buf_unmap_attachment: a double unmap is api-misuse', () => {
  safe({ t: [exp('b'), dyn('b', 'a'), lock('b'), c('dma_buf_map_attachment', { attach: 'a' }, 'ok', 's'), c('dma_buf_unmap_attachment', { attach: 'a', sg_table: 's' }, 'ok'),
    c('dma_buf_unmap_attachment', { attach: 'a', sg_table: 's' }, 'warn'), unlock('b'), c('dma_buf_unmap_attachment', { attach: null, sg_table: 's' }, 'warn'), detach('b', 'a'), put('b')] });
});

test('R43 dma_buf_invalidate_mappings: resv held, newest attachment first, static and callback-less skipped', () => {
  const steps = (name: string): StepIn[] => [exp('b'), dyn('b', 'first'), stat('b', 'legacy'), dyn('b', 'nocb', { allow_peer2peer: true }), dyn('b', 'second'),
    c(name, { dmabuf: 'b' }, 'warn'), lock('b'), c(name, { dmabuf: 'b' }, 'ok'), unlock('b'), detach('b', 'first'), detach('b', 'legacy'), detach('b', 'nocb'), detach('b', 'second'), put('b'), c('dma_buf_put', { dmabuf: null })];
  for (const name of ['dma_buf_invalidate_mappings', 'dma_buf_move_notify']) {
    const r = violates({ t: steps(name) }, 'api-misuse', 'R31');
    const ran = trace(r).filter((x) => x.startsWith('importer invalidate_mappings ran')).map((x) => x.split(' ').pop());
    // the unlocked call WARNs and carries on, then the locked one: newest first both times
    assert.deepEqual(ran, ['second-attach', 'first-attach', 'second-attach', 'first-attach']);
  }
});

test('R43 [pre] the callback is move_notify and the entry point dma_buf_move_notify', () => {
  const r = violates({ t: [exp('b'), dyn('b', 'a'), lock('b'), c('dma_buf_invalidate_mappings', { dmabuf: 'b' }), unlock('b'), detach('b', 'a'), put('b'), c('dma_buf_put', { dmabuf: null })] }, 'api-misuse', 'R31', { kernel: 'pre' });
  assert.ok(trace(r).some((x) => x.startsWith('importer move_notify ran')));
});

test('R45 dma_buf_attach_revocable by version', () => {
  const q = (ops: unknown, want: number, kernel: 'v2' | 'v3' | 'landed', fn = 'dma_buf_attach_revocable', moveNotify?: boolean) =>
    safe({ t: [exp('b'), dyn('b', 'a', ops), c(fn, { attach: 'a' }, want), detach('b', 'a'), put('b')] }, { kernel, ...(moveNotify !== undefined ? { moveNotify } : {}) });
  q({ allow_peer2peer: true, invalidate_mappings: true }, 1, 'landed');
  q({ allow_peer2peer: true }, 0, 'landed');
  q({ allow_peer2peer: true, invalidate_mappings: true }, 1, 'landed', 'dma_buf_attachment_is_revoke');
  q({ allow_peer2peer: true, invalidate_mappings: true }, 1, 'v3');
  q({ allow_peer2peer: true, invalidate_mappings: 'dma_buf_unsupported_invalidate_mappings' }, 0, 'v3');
  q({ allow_peer2peer: true, invalidate_mappings: true }, 0, 'v2', 'dma_buf_attachment_is_revoke', false);
  q({ allow_peer2peer: true, invalidate_mappings: true }, 1, 'v2', 'dma_buf_attachment_is_revoke', true);
  safe({ t: [exp('b', ['map_dma_buf', 'unmap_dma_buf', 'release']), dyn('b', 'a'), c('dma_buf_attachment_is_revoke', { attach: 'a' }, 0), detach('b', 'a'), put('b')] }, { kernel: 'v2', moveNotify: true });
  rejects({ t: [exp('b'), dyn('b', 'a'), c('dma_buf_attach_revocable', { attach: 'a' })] }, /does not exist in kernel pre/, { kernel: 'pre' });
  rejects({ t: [exp('b'), dyn('b', 'a', { invalidate_mappings: 'dma_buf_unsupported_invalidate_mappings' })] }, /exists only in kernel v3/);
});

test('R45 [v3] the sentinel is called by invalidate and changes nothing', () => {
  safe({ t: [exp('b'), dyn('b', 'a', { allow_peer2peer: true, invalidate_mappings: 'dma_buf_unsupported_invalidate_mappings' }), lock('b'), c('dma_buf_map_attachment', { attach: 'a' }, 'ok', 's'),
    c('dma_buf_move_notify', { dmabuf: 'b' }, 'ok'), c('dma_buf_unmap_attachment', { attach: 'a', sg_table: 's' }, 'ok'), unlock('b'), detach('b', 'a'), put('b')] }, { kernel: 'v3' });
});

test('R46 dma_buf_is_dynamic iff the exporter can pin', () => {
  safe({ t: [exp('d'), exp('s', ['map_dma_buf', 'unmap_dma_buf', 'release']), c('dma_buf_is_dynamic', { dmabuf: 'd' }, 1), c('dma_buf_is_dynamic', { dmabuf: 's' }, 0), put('d'), put('s')] });
});

test('R47 dma_buf_begin_cpu_access: a reader waits for writers only, a writer for readers too', () => {
  const rd = [fence('r'), lock('b'), c('dma_resv_reserve_fences', { obj: 'b', num_fences: 1 }), c('dma_resv_add_fence', { obj: 'b', fence: 'r', usage: 'READ' }), unlock('b')];
  safe({ t: [exp('b'), ...rd, c('dma_buf_begin_cpu_access', { dmabuf: 'b', direction: 'DMA_FROM_DEVICE' }, 0), c('dma_fence_signal', { fence: 'r' }), put('b')] });
  violates({ t: [exp('b'), ...rd, c('dma_buf_begin_cpu_access', { dmabuf: 'b', direction: 'DMA_TO_DEVICE' })] }, 'wait-timeout', 'P9');
  safe({ t: [exp('b', { begin_cpu_access: '-EIO', map_dma_buf: 'ok', unmap_dma_buf: 'ok', release: 'ok' }), c('dma_buf_begin_cpu_access', { dmabuf: 'b' }, '-EIO'),
    c('dma_buf_begin_cpu_access', { dmabuf: null }, 'warn'), lock('b'), c('dma_buf_begin_cpu_access', { dmabuf: 'b' }, 'warn'), unlock('b'), put('b')] });
});

test('R48 dma_buf_end_cpu_access: the op result; NULL WARNs and oopses', () => {
  safe({ t: [exp('b', { end_cpu_access: '-EIO', map_dma_buf: 'ok', unmap_dma_buf: 'ok', release: 'ok' }), c('dma_buf_end_cpu_access', { dmabuf: 'b' }, '-EIO'), put('b')] });
  safe({ t: [c('dma_buf_end_cpu_access', { dmabuf: 'buf' }, 0), c('dma_buf_end_cpu_access', { dmabuf: null }, 'warn')] });
});

test('R49 dma_buf_vmap/vunmap: counted and cached; inconsistencies BUG', () => {
  const ops = ['map_dma_buf', 'unmap_dma_buf', 'release', 'vmap', 'vunmap'];
  safe({ t: [exp('b', ops), lock('b'), c('dma_buf_vmap', { dmabuf: 'b', map: 'm1' }, 0), c('dma_buf_vmap', { dmabuf: 'b', map: 'm2' }, 0), c('dma_buf_vunmap', { dmabuf: 'b', map: 'm1' }, 'ok'),
    c('dma_buf_vunmap', { dmabuf: 'b', map: 'm2' }, 'ok'), unlock('b'), put('b')] });
  const r = violates({ t: [exp('b', ops), lock('b'), c('dma_buf_vmap', { dmabuf: 'b', map: 'm' }, 0), c('dma_buf_vunmap', { dmabuf: 'b', map: 'm' }), c('dma_buf_vunmap', { dmabuf: 'b', map: 'm' }, 'warn')] }, 'leak');
  assert.deepEqual(r.violations, ['leak'], 'the second vunmap BUGs (expected); the stopped thread leaks its buffer');
  safe({ t: [exp('b'), lock('b'), c('dma_buf_vmap', { dmabuf: 'b', map: 'm' }, '-EINVAL'), unlock('b'), c('dma_buf_vmap', { dmabuf: 'b', map: 'm' }, 'warn'), put('b')] });
  safe({ t: [exp('b', { vmap: '-ENOMEM', map_dma_buf: 'ok', unmap_dma_buf: 'ok', release: 'ok' }), lock('b'), c('dma_buf_vmap', { dmabuf: 'b', map: 'm' }, 'warn'), unlock('b'), put('b')] });
});

test('R50 the unlocked vmap/vunmap take the lock', () => {
  safe({ t: [exp('b', ['map_dma_buf', 'unmap_dma_buf', 'release', 'vmap']), c('dma_buf_vmap_unlocked', { dmabuf: 'b', map: 'm' }, 0), c('dma_buf_vunmap_unlocked', { dmabuf: 'b', map: 'm' }, 'ok'), put('b')] });
});

test('R51 dma_buf_mmap: no op, beyond the size, overflow', () => {
  const ops = ['map_dma_buf', 'unmap_dma_buf', 'release', 'mmap'];
  safe({ t: [exp('b', ops, { size: 8192 }), exp('n'), c('dma_buf_mmap', { dmabuf: 'b', vma: { pages: 2 }, pgoff: 0 }, 0), c('dma_buf_mmap', { dmabuf: 'b', vma: { pages: 2 }, pgoff: 1 }, '-EINVAL'),
    c('dma_buf_mmap', { dmabuf: 'b', vma: 1, pgoff: 18446744073709551615 }, '-EOVERFLOW'), c('dma_buf_mmap', { dmabuf: 'n', vma: 1 }, '-EINVAL'), c('dma_buf_mmap', { dmabuf: null, vma: 1 }, 'warn'), put('b'), put('n')] });
});

test('R56 ops.release runs once, at the last reference', () => {
  const r = violates({ t: [exp('b'), c('dma_buf_get', { fd: 'fd' }, undefined, 'x'), c('dma_buf_fd', { dmabuf: 'b' }, undefined, 'fd'), c('dma_buf_get', { fd: 'fd' }, 'ok', 'b2'), put('b2'), put('b'), c('dma_buf_put', { dmabuf: null })] }, 'api-misuse', 'R31');
  assert.equal(trace(r).filter((x) => x.startsWith('exporter release')).length, 1);
});
