/**
 * The units of a scenario's data world and each thread's lifetime footprint over them,
 * for the persistent sets of the stateful search (check/stateful-por.ts). A unit is a
 * group of slots two threads conflict on when one writes it: vfio-pci's lock section,
 * `revoked`, its kref, the reservation object with the lists it protects, the buffer's
 * references, the BAR, the revoke tracker, and per importer its state, its engine, its
 * fences, its tables and its op lock. Slots no conflict can involve (a thread's own,
 * ghost, constant) have none. Every access is checked against the accessing thread's
 * lifetime masks (check/frame-model.ts): a footprint that is too small is a model bug,
 * never a missed interleaving.
 */
import type { StorePool } from '../sim/store.ts';
import { Prot, type ProtectionTable } from '../sim/txn.ts';
import type { Scenario } from './types.ts';

export interface FrameUnits {
  /** by slot: its unit, -1 for none */
  readonly of: Int32Array;
  readonly names: readonly string[];
  readonly lifeReads: readonly number[];
  readonly lifeWrites: readonly number[];
}

/** Where the world's objects are (frame-world.ts), by what they are. */
export interface UnitObjects {
  readonly size: number;
  readonly memoryLock: number;
  /** vfio-pci's private object and the offsets of its fields */
  readonly priv: number;
  readonly privFields: { readonly revoked: number; readonly kref: number; readonly drained: number; readonly cleanedUp: number };
  readonly comp: number;
  readonly resv: { readonly base: number; readonly width: number };
  readonly fenceSlots: { readonly base: number; readonly len: number };
  readonly buf: StorePool;
  /** offset of DmaBuf.attachments; of DmaBufAttachment.next and onList */
  readonly bufAttachments: number;
  readonly attachmentLinks: readonly number[];
  readonly fdOpen: number;
  readonly bar: { readonly base: number; readonly width: number };
  readonly tracker: { readonly base: number; readonly width: number };
  readonly importers: readonly {
    readonly st: { readonly base: number; readonly width: number };
    /** the state's `a`: whether the importer is attached */
    readonly attached: number;
    readonly attachment: { readonly base: number; readonly width: number };
    readonly engine: { readonly base: number; readonly width: number };
    readonly items: StorePool;
    readonly jobs: StorePool;
    readonly fences: StorePool;
    readonly tables: StorePool;
    /** iommufd's IOVA ranges (the device's translation, as tables are) and pages mutex (0 for none) */
    readonly iovas: StorePool;
    readonly pendingReads: number;
    readonly opLock: number;
    readonly pagesMutex: number;
    /** its engine runs driver code for a job (rdma-odp's work requests), which writes the importer's state */
    readonly engineRuns: boolean;
  }[];
}

const MEMLOCK = 0;
const REVOKED = 1;
const KREF = 2;
const RESV = 3;
const BUF = 4;
const BAR = 5;
const TRACKER = 6;
const PER_IMPORTER = 6;
/** per importer: its state, whether it is attached (and its op lock), engine, fences, tables, armed reads */
const ST = 0;
const ATTACHED = 1;
const ENGINE = 2;
const FENCES = 3;
const TABLES = 4;
const READS = 5;
const IMPORTER_UNITS = ['state', 'attached', 'engine', 'fences', 'tables', 'armed reads'];
const FIXED = ['vfio memory_lock section', 'vfio revoked', 'vfio kref', 'vfio-buf resv', 'vfio-buf references', 'BAR0', 'revoke tracker'];

/** The world's units: by slot, by name, and each thread's lifetime masks (`threads`: scenario threads, then background threads of `bgOwners`). */
export function frameUnits(sc: Scenario, o: UnitObjects, prot: ProtectionTable, bgOwners: readonly { imp: number; kind: string }[]): FrameUnits {
  const of = new Int32Array(o.size).fill(-2);
  const put = (base: number, len: number, u: number) => of.fill(u, base, base + len);
  const pool = (p: StorePool, u: number) => { of[p.used] = u; put(p.base, p.cap * p.width, u); };
  const imp = (i: number, u: number) => FIXED.length + PER_IMPORTER * i + u;
  if (FIXED.length + PER_IMPORTER * o.importers.length > 31) throw new Error(`model bug: ${o.importers.length} importers need more than 31 units`);
  of[o.memoryLock] = MEMLOCK;
  of[o.priv + o.privFields.drained] = MEMLOCK;
  of[o.priv + o.privFields.cleanedUp] = MEMLOCK;
  of[o.priv + o.privFields.revoked] = REVOKED;
  of[o.priv + o.privFields.kref] = KREF;
  of[o.comp] = KREF;
  put(o.resv.base, o.resv.width, RESV);
  put(o.fenceSlots.base, o.fenceSlots.len, RESV);
  pool(o.buf, BUF);
  of[o.buf.base + o.bufAttachments] = RESV;
  of[o.fdOpen] = BUF;
  put(o.bar.base, o.bar.width, BAR);
  put(o.tracker.base, o.tracker.width, TRACKER);
  o.importers.forEach((g, i) => {
    put(g.st.base, g.st.width, imp(i, ST));
    put(g.attachment.base, g.attachment.width, imp(i, ST));
    // the attachment list's links belong to the list, which the resv protects
    for (const f of o.attachmentLinks) of[g.attachment.base + f] = RESV;
    pool(g.items, imp(i, ST));
    put(g.engine.base, g.engine.width, imp(i, ENGINE));
    pool(g.jobs, imp(i, ENGINE));
    pool(g.fences, imp(i, FENCES));
    pool(g.tables, imp(i, TABLES));
    pool(g.iovas, imp(i, TABLES));
    if (g.pagesMutex !== 0) of[g.pagesMutex] = imp(i, ST);
    of[g.pendingReads] = imp(i, READS);
    of[g.attached] = imp(i, ATTACHED);
    of[g.opLock] = imp(i, ATTACHED);
  });
  // what no other thread can conflict on
  for (let s = 0; s < o.size; s++) {
    const k = prot.kind[s];
    if (k === Prot.LOCAL || k === Prot.GHOST || k === Prot.CONST || s === 0) of[s] = -1;
  }
  const names = [...FIXED, ...o.importers.flatMap((_, i) => IMPORTER_UNITS.map((n) => `${sc.importers[i]!.id} ${n}`))];
  const all = names.length >= 31 ? 0x7fffffff : (1 << names.length) - 1;
  const bit = (...us: number[]) => us.reduce((m, u) => m | (1 << u), 0);
  const own = (i: number, ...us: number[]) => bit(...us.map((u) => imp(i, u)));
  const n = o.importers.length;
  const every = (...us: number[]) => Array.from({ length: n }, (_, i) => own(i, ...us)).reduce((m, x) => m | x, 0);
  const lifeReads: number[] = [];
  const lifeWrites: number[] = [];
  // an exporter op revokes, unrevokes or closes: everything but whether an importer is attached
  const exporter = all & ~every(ATTACHED);
  // an importer op: attach, map and unmap through vfio-pci, jobs (adding a fence to the resv reads every listed fence and drops the one it replaces), waits, release
  const user = (i: number): [number, number] => [bit(REVOKED, BAR, TRACKER), bit(RESV, BUF, KREF) | every(FENCES) | own(i, ST, ATTACHED, ENGINE, TABLES, READS)];
  for (const t of sc.threads) {
    let r = 0;
    let w = 0;
    for (const st of t.steps) {
      if (st.kind === 'exporter') { r |= exporter; w |= exporter; continue; }
      if (st.kind !== 'importer') continue;
      const [ur, uw] = user(sc.importers.findIndex((im) => im.id === st.importer));
      r |= ur;
      w |= uw;
    }
    lifeReads.push(r);
    lifeWrites.push(w);
  }
  for (const b of bgOwners) {
    const i = b.imp;
    const [r, w] = b.kind === 'engine' ? [bit(BAR, TRACKER) | own(i, ST, TABLES), own(i, ENGINE, FENCES) | (o.importers[i]!.engineRuns ? own(i, ST) : 0)]
      : b.kind === 'unmapper' ? [bit(BAR, BUF, TRACKER) | every(FENCES) | own(i, ATTACHED), bit(RESV, KREF) | own(i, ST, FENCES, TABLES, READS)]
        : b.kind === 'prefetch' ? [bit(BAR, TRACKER) | own(i, ST), own(i, TABLES, READS)]
          // the remap worker and the page-fault worker: a map under the resv
          : [bit(REVOKED, BAR, TRACKER) | every(FENCES) | own(i, ATTACHED), bit(RESV, KREF) | own(i, ST, TABLES, READS)];
    lifeReads.push(r);
    lifeWrites.push(w);
  }
  return { of, names, lifeReads, lifeWrites };
}
