/**
 * The prefetcher (S21, RV5) in the compiled function* subset, the data-world form of
 * prefetchThread of hw/engine.ts: a speculative read through a table of its device once
 * per disable of the table's region inside the table's span. A read stays armed until
 * taken, even if the table was unmapped meanwhile (it then touches nothing). The tables
 * are looked at region by region, each region's in table-id order, as the generator form
 * does; the armed reads of a device are counted in its `pendingReads` slot, which the
 * prefetcher waits on.
 */
import { waitGt, type FrameProc } from '../sim/frame-ops.ts';
import type { Ref } from '../sim/struct.ts';
import { devName } from '../kernel/frame-attach.ts';
import type { DmaBufAttachment, SgTable } from '../kernel/frame-dma-buf.ts';
import { judgeAccess, type RevokeTracker } from './frame-oracle.ts';
import { armedCount, type HwCtx } from './frame-region.ts';

/** The first table of `dev` with a speculative read armed, in the prefetcher's order; 0 when none. */
export function firstArmed(k: HwCtx, dev: Ref<DmaBufAttachment>): Ref<SgTable> {
  const tables = k.env.hw.deviceTables?.[dev.dev] ?? k.env.hw.tables;
  for (const r of k.env.hw.regions) {
    for (const t of tables) {
      const tt = t as Ref<SgTable>;
      if (tt.region === r && tt.attachment === dev && armedCount(k, tt) > 0) return tt;
    }
  }
  return 0 as Ref<SgTable>;
}

/** Takes one armed read through `t`. */
export function takeRead(k: HwCtx, dev: Ref<DmaBufAttachment>, t: Ref<SgTable>): void {
  t.taken++;
  const slot = k.env.hw.pendingReads[dev.dev]!;
  k.s.set(slot, k.s.get(slot) - 1);
}

/** The device's prefetcher: a background thread, idle while nothing is armed. */
export function* prefetchThread(k: HwCtx, dev: Ref<DmaBufAttachment>, tr: Ref<RevokeTracker>): FrameProc {
  for (;;) {
    yield waitGt(k.env.hw.pendingReads[dev.dev]!, 0);
    if (k.out.records) k.out.event(k.tid, 'speculative read', devName(k, dev));
    const t = firstArmed(k, dev);
    takeRead(k, dev, t);
    if (t.live) judgeAccess(k, dev, t, false, true, tr);
  }
}
