/**
 * static legacy importer without importer ops (rule book §5.7, D-STATIC): maps with
 * R39 at import (the core pins for it on a dynamic exporter and waits KERNEL fences),
 * is never notified, and holds the mapping until its own release.
 * (linux: drivers/dma-buf/dma-buf.c:dma_buf_attach)
 */
import type { Proc } from '../sim/op.ts';
import type { DmaBufAttachment, SgTable } from '../kernel/dma-buf.ts';
import { ERRNO } from '../kernel/errno.ts';
import { dmaBufMapAttachmentUnlocked, dmaBufUnmapAttachmentUnlocked } from '../kernel/mapping.ts';
import { engineThread, prefetchThread } from '../hw/engine.ts';
import { detachAndPut, getAndAttach, importDmaRelease, importerBase, submitPrivate, waitOwnJobs } from './common.ts';
import type { DriverEnv, ExporterInstance, ImporterConfig, ImporterDriver, ImporterInstance } from './types.ts';

function create(env: DriverEnv, cfg: ImporterConfig, exp: ExporterInstance): ImporterInstance {
  const { k } = env;
  const b = importerBase(env, cfg.id, exp);
  const { dev } = b;
  const st = { a: null as DmaBufAttachment | null, table: null as SgTable | null };

  function* doImport(): Proc<number> {
    if (st.a) return -ERRNO.EBUSY;
    const a = yield* getAndAttach(b, exp, dev, null, st);
    if (typeof a === 'number') return a;
    const t = yield* dmaBufMapAttachmentUnlocked(k, a, 'DMA_BIDIRECTIONAL');
    if (typeof t === 'number') {
      yield* detachAndPut(b, a);
      return t;
    }
    st.a = a;
    st.table = t;
    return 0;
  }

  function* doDma(count: number, write: boolean): Proc<number> {
    if (!st.table) return -ERRNO.ENOENT;
    for (let i = 0; i < count; i++) yield* submitPrivate(b, { table: st.table, write });
    return 0;
  }

  /** Waits for its own transfers, then R41, R35, put. */
  function* doRelease(): Proc<number> {
    const a = st.a;
    if (!a) return -ERRNO.ENOENT;
    yield* waitOwnJobs(b);
    if (st.table) yield* dmaBufUnmapAttachmentUnlocked(k, a, st.table, 'DMA_BIDIRECTIONAL');
    return yield* detachAndPut(b, a, () => { st.a = null; st.table = null; });
  }

  env.background(`${dev}-engine`, () => engineThread(k, b.engine));
  /** S21: off by default for a static importer; `speculative-reads: true` turns it on */
  if (cfg.speculativeReads === true) env.background(`${dev}-prefetch`, () => prefetchThread(k, b.engine, exp.regions, b.slot));
  return importDmaRelease(b, dev, null, { doImport, doDma, doRelease });
}

export const staticImporter: ImporterDriver = {
  name: 'static',
  role: 'importer',
  description: 'legacy importer without importer ops: maps at import, never notified, unmaps at release',
  source: 'linux: drivers/dma-buf/dma-buf.c (dma_buf_attach, dma_buf_map_attachment_unlocked)',
  variants: [{ name: 'correct', description: 'R34 attach, R39 map at import, R41 + R35 at release (rule book D-STATIC)' }],
  ops: ['import', 'dma', 'release'],
  keys: ['speculative-reads'],
  dynamic: false,
  create,
};
