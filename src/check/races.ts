/**
 * Race analysis of the dpor explorer (explore.ts): which pairs of events race in one
 * execution, and which choice each race adds to the backtrack set of the state before its
 * first event (Source-DPOR, with the additions for waits that explore.ts describes).
 */
import { eventsDependent, mayBeCoEnabled, OpKind, opsDependent, type Op } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';

/** What race analysis reads and writes of a search frame (explore.ts `Frame`). */
export interface RaceFrame {
  readonly enabled: number;
  backtrack: number;
  readonly sleep: number;
}

/**
 * Called for each race that added a backtrack choice: the object they race on, the earlier
 * and the later op with their threads' ids, and how the later one took part: 'waiting' (a
 * thread found waiting in it), 'disabled' (a thread the earlier step disabled) or '' (an
 * event). For `check --races`: which races make a search large.
 */
export type RaceRecorder = (object: string, first: Op, firstTid: number, second: Op, secondTid: number, how: '' | 'waiting' | 'disabled') => void;

/** A thread found waiting, disabled, in `op` when the execution had `at` events. */
export interface Wait {
  readonly tid: number;
  readonly op: Op;
  readonly at: number;
}

export const lowestBit = (m: number) => 31 - Math.clz32(m & -m);

function footprint(op: Op): readonly number[] {
  if (!op.also) return op.obj >= 0 ? [op.obj] : [];
  return op.obj >= 0 ? [op.obj, ...op.also] : op.also;
}

/**
 * Race analysis of one (possibly sleep-blocked) execution, for the events from `fresh` on
 * (earlier ones were analysed in the execution that first ran them).
 */
export function analyzeRaces(rt: Runtime, stack: readonly RaceFrame[], fresh: number, waits: readonly Wait[], record?: RaceRecorder): void {
  const hb = rt.hb;
  const n = rt.events.length;
  for (let j = rt.visible[fresh] ?? n; j < n; j++) {
    const ev = rt.events[j]!;
    const fp = footprint(ev.op);
    if (fp.length) racesBefore(rt, stack, j, hb.tids[j]!, ev.op, ev.mode, fp, false, record);
  }
  for (const w of waits) analyzeWait(rt, stack, w, record);
  // A thread still waiting at the end in an op it was seen waiting in above needs nothing
  // more: what came after that point found it disabled already (one that enabled it and
  // another that disabled it again make it a choice by noteDisabled). Only a wait begun in
  // the replayed prefix is analysed again, with every event.
  const end = rt.events.length;
  for (const t of rt.threads) {
    if (!t.pending || rt.isEnabled(t.id) || waits.some((w) => w.op === t.pending)) continue;
    analyzeWait(rt, stack, { tid: t.id, op: t.pending, at: end }, record);
  }
}

/** Records the threads that begin to wait in the current state (`en` is its enabled mask). */
export function noteWaits(rt: Runtime, en: number, waits: Wait[], waitOp: (Op | null)[]): void {
  for (const t of rt.threads) {
    const p = t.pending;
    if (!p || en & (1 << t.id) || waitOp[t.id] === p) continue;
    waitOp[t.id] = p;
    waits.push({ tid: t.id, op: p, at: rt.events.length });
  }
}

/**
 * Races of a thread found waiting: its pending op is no event while it waits, and never
 * one if it never wakes, yet it may race with the step that disabled it before the thread
 * got there (a condition that held only for a while). The op is analysed as an event at
 * the point the thread was seen waiting (Flanagan and Godefroid, POPL 2005, analyse every
 * thread's next step in every state).
 */
function analyzeWait(rt: Runtime, stack: readonly RaceFrame[], w: Wait, record: RaceRecorder | undefined): void {
  racesBefore(rt, stack, w.at, w.tid, w.op, 0, footprint(w.op), true, record);
}

/**
 * The races of `ej` (thread `tj`, counter mode `mj`, objects `fp`) at event index `j` with
 * the events before it, each added as a backtrack choice. `virtual`: `ej` is a waiting
 * thread's pending op placed at `j`, not the event there.
 */
function racesBefore(rt: Runtime, stack: readonly RaceFrame[], j: number, tj: number, ej: Op, mj: number, fp: readonly number[], virtual: boolean, record: RaceRecorder | undefined): void {
  const hb = rt.hb;
  for (const o of fp) {
    const list = hb.byObject[o];
    if (!list) continue;
    for (let m = list.length - 1; m >= 0; m--) {
      const i = list[m]!;
      if (i >= j || hb.tids[i] === tj) continue;
      const ev = rt.events[i]!;
      const ei = ev.op;
      if (!eventsDependent(ei, ev.mode, ej, mj) || !mayBeCoEnabled(ei, ej)) continue;
      if (!isDirectRace(rt, i, j, tj, ej, mj, fp, virtual)) continue;
      if (!record) {
        addSource(rt, stack, i, j, tj, ej, virtual);
        continue;
      }
      const f = stack[rt.stepOf[i]!]!;
      const before = f.backtrack;
      addSource(rt, stack, i, j, tj, ej, virtual);
      if (f.backtrack !== before) record(rt.objNames[o]!, ei, hb.tids[i]!, ej, tj, virtual ? 'waiting' : '');
    }
  }
}

/**
 * Whether `i` happens before `j` only through their own conflict: `j`'s thread had not
 * seen `i` before `j`, and no event between them that `j` depends on has seen `i`. A
 * release between two acquisitions of a lock does not count (the acquisitions race).
 */
function isDirectRace(rt: Runtime, i: number, j: number, tj: number, ej: Op, mj: number, fp: readonly number[], virtual: boolean): boolean {
  const hb = rt.hb;
  const ti = hb.tids[i]!;
  const iSeq = hb.at(i, ti);
  // j's thread's first event (its own clock entry 1) had seen nothing before it
  const first = !virtual && hb.at(j, tj) <= 1;
  if (!first && prevClockEntry(rt, j, tj, ti) >= iSeq) return false;
  for (const o of fp) {
    const list = hb.byObject[o];
    if (!list) continue;
    for (let n = list.length - 1; n >= 0; n--) {
      const k = list[n]!;
      if (k >= j) continue;
      if (k <= i) break;
      const evk = rt.events[k]!;
      const ek = evk.op;
      if (!eventsDependent(ek, evk.mode, ej, mj)) continue;
      if (ej.kind === OpKind.Acquire && ek.kind === OpKind.Release && ek.obj === ej.obj) continue;
      if (hb.at(k, ti) >= iSeq) return false;
    }
  }
  return true;
}

/** What thread `tj` had seen of thread `t` before event index `j` (j may be past the end). */
function prevClockEntry(rt: Runtime, j: number, tj: number, t: number): number {
  const hb = rt.hb;
  for (let k = j - 1; k >= 0; k--) if (hb.tids[k] === tj) return hb.at(k, t);
  return 0;
}

/**
 * Ensures that one initial of notdep(i).j is a backtrack choice at the state before `i`:
 * the events after `i` that do not happen after it, then `j`; an initial is the first event
 * of its thread in that sequence with no predecessor in it.
 */
function addSource(rt: Runtime, stack: readonly RaceFrame[], i: number, j: number, tj: number, ej: Op, virtual: boolean): void {
  const hb = rt.hb;
  const f = stack[rt.stepOf[i]!]!;
  const ti = hb.tids[i]!;
  const iSeq = hb.at(i, ti);
  // first event of each thread in u
  const first = new Map<number, number>();
  for (let k = i + 1; k < j; k++) {
    const tk = hb.tids[k]!;
    if (first.has(tk) || rt.events[k]!.op.kind === OpKind.Local) continue;
    if (hb.at(k, ti) >= iSeq) continue;
    first.set(tk, k);
  }
  if (!first.has(tj)) first.set(tj, j);
  // a virtual j (a waiting thread's pending op) would see what its thread saw and every step
  // it conflicts with
  const before = (m: number, k: number, u: number) =>
    !virtual || k !== j ? hb.at(k, u) >= hb.at(m, u) : prevClockEntry(rt, j, tj, u) >= hb.at(m, u) || opsDependent(rt.events[m]!.op, ej);
  const inits: number[] = [];
  for (const [t, k] of first) {
    let initial = true;
    for (const [u, m] of first) {
      if (u === t) continue;
      if (m < k && before(m, k, u)) { initial = false; break; }
    }
    if (initial) inits.push(t);
  }
  let mask = 0;
  for (const t of inits) mask |= 1 << t;
  // j's thread waited, disabled, before i, and nothing in the sequence touches what its
  // first step there reads: that step stays disabled until i, so the race cannot be
  // reversed (i enabled j: a wait that i ends). A choice for it would only end with every
  // runnable thread asleep. (An op's enabled() reads only its footprint, as its apply does.)
  if (mask & (1 << tj) & ~f.enabled) return;
  if (mask & f.backtrack) return;
  const usable = mask & f.enabled;
  if (!usable) {
    // j's thread could not run there (it waited, disabled) and no initial that could run
    // is known to lead to j first: every thread that could run is tried (Flanagan and
    // Godefroid's rule). Where an initial can run it is enough, as for any race.
    if (!(f.enabled & (1 << tj))) f.backtrack |= f.enabled;
    return;
  }
  const awake = usable & ~f.sleep;
  // a sleeping initial covers the sequence: an earlier sibling explored its first step there
  if (awake !== usable) return;
  f.backtrack |= 1 << lowestBit(awake);
}
