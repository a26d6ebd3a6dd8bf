/**
 * What a renaming of identical importers maps in a data world (check/frame-symmetry.ts):
 * the slots each importer and each thread owns, in an order that is the same for every
 * member, and what the value of every slot names (a slot, an importer, a thread, or
 * nothing), so that a renamed state is the state the renamed interleaving reaches.
 *
 * Every slot gets a kind here or the world refuses to build a renaming: a slot nobody
 * declared would be copied unrenamed, and a state could be merged with one it is not
 * equivalent to.
 */
import type { StoreLayout } from '../sim/store.ts';
import type { StructShape } from '../sim/struct.ts';
import type { FrameThread } from '../sim/frames.ts';
import type { Scenario, Step } from './types.ts';

/** What a slot's value names. */
export const enum SlotValue {
  UNSET = 0,
  /** a number that names nothing */
  PLAIN = 1,
  /** set before the first step and never written (its image is the initial value of its image slot) */
  CONST = 2,
  /** a slot index (a `Ref`), 0 none */
  REF = 3,
  /** an importer index + 1, or an importer's fence context; values above the importers' stay */
  IMP = 4,
  /** a thread index + 1 (a lock's owner, a thread index local), 0 none */
  TID = 5,
  /** a frame local: its kind is its function's (FrameProgram `values`) */
  FRAME = 6,
  /** a thread's pending op argument: a slot for a lock or a wait, plain for a scheduling point */
  OP_A = 7,
  /** a slot times 4 plus two plain bits (a resv's fence entry: the fence and its usage) */
  REF4 = 8,
}

/**
 * The slot kind of a value kind the compiler emits (scripts/frames-view.ts ValueKind): a
 * struct field's or a frame local's. An importer index and an importer context rename alike.
 */
export const VALUE_SLOT: Readonly<Record<string, SlotValue>> = { r: SlotValue.REF, i: SlotValue.IMP, c: SlotValue.IMP, t: SlotValue.TID, '.': SlotValue.PLAIN };

/** `len` slots from `base`. */
export interface SlotRange {
  readonly base: number;
  readonly len: number;
}

/** A pool whose objects' slots are scanned only when its bitmap says the object is in use. */
export interface MemberPool {
  readonly used: number;
  readonly base: number;
  readonly cap: number;
  readonly width: number;
}

export interface FrameMembers {
  readonly kinds: Uint8Array;
  /** the slots outside pool objects and frames that are not constant: what a scan of a state reads first */
  readonly fixed: Int32Array;
  readonly pools: readonly MemberPool[];
  /** by importer: its slots, range by range in the same order for every importer */
  readonly importers: readonly (readonly SlotRange[])[];
  /** by thread: its slots (control state, held list, signalling depth) */
  readonly threads: readonly (readonly SlotRange[])[];
  readonly frames: readonly FrameThread[];
  /**
   * by slot: the importer that owns it (its objects and the control state of the threads
   * that work for it only), -1 for none; and its position among that importer's slots
   * (the same position in every importer names the same thing)
   */
  readonly owner: Int8Array;
  readonly position: Int32Array;
  /**
   * The thread permutation importer permutation `imp` induces (thread t runs what thread
   * `out[t]` runs with the importers renamed), or null when the scenario is not symmetric
   * under it (a thread whose renamed steps no thread runs).
   */
  threadImage(imp: readonly number[]): number[] | null;
}

/** Collects the kinds and ranges while the world is laid out. */
export class FrameMembersBuilder {
  readonly kinds: Uint8Array;
  private readonly imps: SlotRange[][];
  private readonly thr: SlotRange[][];
  private readonly pools: MemberPool[] = [];

  constructor(private readonly layout: StoreLayout, importers: number, threads: number) {
    this.kinds = new Uint8Array(layout.size);
    this.imps = Array.from({ length: importers }, () => []);
    this.thr = Array.from({ length: threads }, () => []);
  }

  /** Slots base..base+len-1 hold values of `kind`. */
  slots(base: number, len: number, kind: SlotValue): void {
    this.kinds.fill(kind, base, base + len);
  }

  /** A struct at `ref`: each field by the value kind the compiler emitted (`r` a Ref, `c` a context). */
  struct(ref: number, shape: StructShape): void {
    const v = shape.values ?? '';
    for (let f = 0; f < shape.width; f++) this.kinds[ref + f] = VALUE_SLOT[v[f] ?? '.']!;
  }

  /** A pool of `shape`: its bitmap, then each object. */
  pool(p: { used: number; base: number; cap: number; width: number }, shape: StructShape): void {
    this.kinds[p.used] = SlotValue.PLAIN;
    for (let i = 0; i < p.cap; i++) this.struct(p.base + i * p.width, shape);
    this.pools.push({ used: p.used, base: p.base, cap: p.cap, width: p.width });
  }

  /** A store list of `kind` entries: its length, then its room. */
  list(l: { len: number; cap: number }, kind: SlotValue): void {
    this.kinds[l.len] = SlotValue.PLAIN;
    this.slots(l.len + 1, l.cap, kind);
  }

  /** A thread's control state: sp, pending op (kind, a, b), ret, then its frames. */
  thread(th: FrameThread): void {
    this.slots(th.sp, 1, SlotValue.PLAIN);
    this.slots(th.op, 1, SlotValue.PLAIN);
    this.slots(th.op + 1, 1, SlotValue.OP_A);
    this.slots(th.op + 2, 1, SlotValue.PLAIN);
    this.slots(th.ret, 1, SlotValue.PLAIN);
    this.slots(th.frames, th.depth * th.width, SlotValue.FRAME);
  }

  /** Slots that importer `imp` owns; call in the same order for every importer. */
  importerOwns(imp: number, base: number, len: number): void {
    this.imps[imp]!.push({ base, len });
  }

  /** Slots that thread `t` owns; call in the same order for every thread. */
  threadOwns(t: number, base: number, len: number): void {
    this.thr[t]!.push({ base, len });
  }

  /**
   * The members, with every slot of constant protection marked CONST. Throws when a slot
   * has no kind (the world forgot to say what it holds): a renaming would be unsound.
   */
  done(constant: (i: number) => boolean, frames: readonly FrameThread[], threadImporter: readonly number[], threadImage: FrameMembers['threadImage']): FrameMembers {
    // slot 0 is an object's only when the layout began with a struct (struct.ts reserves a null slot then)
    if (this.layout.slotName(0) === 'null') this.kinds[0] = SlotValue.PLAIN;
    for (let i = 0; i < this.layout.size; i++) {
      if (constant(i)) this.kinds[i] = SlotValue.CONST;
      else if (this.kinds[i] === SlotValue.UNSET) throw new Error(`internal: slot ${this.layout.slotName(i)} has no value kind (scenario/frame-members.ts)`);
    }
    const inObject = new Uint8Array(this.layout.size);
    for (const p of this.pools) inObject.fill(1, p.base, p.base + p.cap * p.width);
    const fixed: number[] = [];
    for (let i = 0; i < this.layout.size; i++) if (!inObject[i] && this.kinds[i] !== SlotValue.CONST && this.kinds[i] !== SlotValue.FRAME) fixed.push(i);
    const owner = new Int8Array(this.layout.size).fill(-1);
    const position = new Int32Array(this.layout.size);
    this.imps.forEach((ranges, imp) => {
      let at = 0;
      const own = (r: SlotRange) => { for (let j = 0; j < r.len; j++) { owner[r.base + j] = imp; position[r.base + j] = at++; } };
      ranges.forEach(own);
      threadImporter.forEach((ti, t) => { if (ti === imp) this.thr[t]!.forEach(own); });
    });
    return { kinds: this.kinds, fixed: Int32Array.from(fixed), pools: this.pools, importers: this.imps, threads: this.thr, frames, owner, position, threadImage };
  }
}

/** By thread: the importer it works for when it names one only (its background threads, a user thread), else -1. */
export function threadImporters(sc: Scenario, bg: readonly { imp: number }[]): number[] {
  const ids = sc.importers.map((im) => im.id);
  const named = sc.threads.map((t) => [...new Set(t.steps.flatMap((st) => (st.kind === 'importer' ? [ids.indexOf(st.importer)] : [])))]);
  return [...named.map((n) => (n.length === 1 ? n[0]! : -1)), ...bg.map((b) => b.imp)];
}

/** A step with importer `imp` renamed: what decides whether two threads run the same thing. */
function stepKey(st: Step, rename: (id: string) => string): string {
  // the text only names the step in events
  const { text: _, ...rest } = st;
  return JSON.stringify(rest.kind === 'importer' ? { ...rest, importer: rename(rest.importer) } : rest);
}

/**
 * The thread permutation of `sc` that importer permutation `imp` induces: scenario
 * thread t maps to the first unused thread whose steps are t's renamed (itself when they
 * do not name an importer), each importer's background thread to the same one of
 * importer imp[i]; null when some scenario thread has no image.
 */
export function scenarioThreadImage(sc: Scenario, bg: readonly { imp: number; kind: string }[], imp: readonly number[]): number[] | null {
  const ids = sc.importers.map((im) => im.id);
  const rename = (id: string) => ids[imp[ids.indexOf(id)]!]!;
  const keys = sc.threads.map((t) => t.steps.map((st) => stepKey(st, (x) => x)).join('\n'));
  const used = new Set<number>();
  const out: number[] = [];
  for (const t of sc.threads) {
    const want = t.steps.map((st) => stepKey(st, rename)).join('\n');
    const u = keys.findIndex((k, i) => k === want && !used.has(i));
    if (u < 0) return null;
    used.add(u);
    out.push(u);
  }
  for (const b of bg) out.push(sc.threads.length + bg.findIndex((x) => x.imp === imp[b.imp] && x.kind === b.kind));
  return out;
}
