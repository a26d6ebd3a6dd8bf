/**
 * A scenario's data world (scenario/frame-world.ts) as the stateful search's model: a
 * transition is one transaction of one thread, its fine steps fused while Lipton's
 * conditions hold (sim/fusion.ts; `fuse: false` gives one fine step a transition), the
 * state is the store, violations go to the search's sink. A hang at the end is reported as the generator world's `finish` does:
 * wait-timeout (P9) when a blocked scenario thread waits for an event, deadlock (P8) when
 * every one waits for a lock.
 */
import { FrameOpKind, type FrameSink } from '../sim/frame-ops.ts';
import { frameEnabled, frameStep } from '../sim/frames.ts';
import { fusedStep, StepClassifier } from '../sim/fusion.ts';
import type { Store } from '../sim/store.ts';
import type { PropertyId } from '../sim/violation.ts';
import { frameThreadDone, type FrameWorld } from '../scenario/frame-world.ts';
import type { StatefulModel, ViolationSink } from './stateful.ts';
import type { StateCanon } from './frame-symmetry.ts';

export interface FrameModel extends StatefulModel {
  hang(s: Store, out: ViolationSink): void;
  /** fine steps of the last transaction `step` ran */
  readonly lastSteps: number;
}

/** The stateful model of world `w`. */
export function frameModel(w: FrameWorld, opts: { fuse?: boolean; canon?: StateCanon | null } = {}): FrameModel {
  const fuse = opts.fuse ?? true;
  let target: ViolationSink = { report(): void {} };
  const pending: { p: PropertyId; r: string; m: string }[] = [];
  const sink: FrameSink = { records: false, event(): void {}, report: (_tid, p, r, m) => { pending.push({ p, r, m }); } };
  w.sink = sink;
  const u = w.units;
  const cls = new StepClassifier(w.layout.protection(), (i) => w.layout.slotName(i), u.of);
  cls.footprints(u.lifeReads, u.lifeWrites, u.names.length);
  /** the threads that may still take a step: background threads and scenario threads that have not returned */
  const alive = (s: Store) => {
    let m = -1;
    for (let t = 0; t < w.scenarioThreads; t++) if (frameThreadDone(w, s, t)) m &= ~(1 << t);
    return m;
  };
  let reads = 0;
  let writes = 0;
  let thread = 0;
  /** every step tried, kept or not, is one the thread can take: its accesses must be in its lifetime footprint */
  const checkLife = () => {
    const badW = cls.writes & ~u.lifeWrites[thread]!;
    const badR = cls.reads & ~(u.lifeReads[thread]! | u.lifeWrites[thread]!);
    if (badW !== 0 || badR !== 0) {
      const which = u.names.filter((_, i) => ((badW | badR) >>> i) & 1);
      throw new Error(`model bug: ${w.threads[thread]} ${badW !== 0 ? 'writes' : 'reads'} ${which.join(', ')}, outside its lifetime footprint (scenario/frame-units.ts)`);
    }
  };
  const keep = () => {
    checkLife();
    reads |= cls.reads;
    writes |= cls.writes;
    if (pending.length === 0) return;
    for (const x of pending) target.report(x.p, x.r, x.m);
    pending.length = 0;
  };
  const drop = () => {
    checkLife();
    if (pending.length !== 0) pending.length = 0;
  };
  let lastSteps = 0;
  return {
    layout: w.layout,
    threads: w.threads,
    ownTransactions: true,
    ...(opts.canon ? { canon: opts.canon } : {}),
    get lastSteps() { return lastSteps; },
    init: (s) => { target = { report(): void {} }; w.init(s); pending.length = 0; },
    step(s, t, out) {
      if (!frameEnabled(w.ctx(s, t))) return false;
      target = out;
      thread = t;
      reads = 0;
      writes = 0;
      if (!fuse) {
        cls.begin(t, s.slots, alive(s));
        s.tx = cls;
        try { frameStep(w.ctx(s, t)); } finally { s.tx = null; }
        cls.end();
        if (cls.bug !== null) throw new Error(`model bug: thread ${t} ${cls.bug}`);
        keep();
        lastSteps = 1;
        return true;
      }
      const th = w.frames[t]!;
      lastSteps = fusedStep(s, t, cls, alive(s), (st) => frameStep(w.ctx(st, t)), keep, drop, () => s.slots[th.op] === FrameOpKind.Lock);
      return true;
    },
    enabled: (s, t) => frameEnabled(w.ctx(s, t)),
    finished: (s, t) => frameThreadDone(w, s, t),
    reduction: {
      lifeReads: u.lifeReads,
      lifeWrites: u.lifeWrites,
      lastReads: () => reads,
      lastWrites: () => writes,
      guardUnits(s, t) {
        // the slot the pending op waits on (a lock, a wait's slot); a guard reads what its model says: every unit
        const th = w.frames[t]!;
        const kind = s.get(th.op);
        if (kind === FrameOpKind.Guard) return -1;
        const at = u.of[s.get(th.op + 1)]!;
        return at >= 0 ? 1 << at : 0;
      },
      ended: (s, t) => t < w.scenarioThreads && frameThreadDone(w, s, t),
    },
    atEnd(s, out) {
      target = out;
      w.atEnd(s);
      keep();
    },
    hang(s, out) {
      const blocked: string[] = [];
      let onEvent = false;
      for (let t = 0; t < w.scenarioThreads; t++) {
        if (frameThreadDone(w, s, t)) continue;
        blocked.push(w.threads[t]!);
        if (s.get(w.frames[t]!.op) !== FrameOpKind.Lock) onEvent = true;
      }
      if (onEvent) out.report('wait-timeout', 'P9', `no thread can run; blocked for ever: ${blocked.join(', ')}`);
      else out.report('deadlock', 'P8', `threads block each other on locks for ever: ${blocked.join(', ')}`);
    },
  };
}
