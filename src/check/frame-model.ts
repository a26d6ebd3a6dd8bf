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
import { Store } from '../sim/store.ts';
import type { PropertyId } from '../sim/violation.ts';
import { frameThreadDone, type FrameWorld } from '../scenario/frame-world.ts';
import type { StatefulModel, ViolationSink } from './stateful.ts';

export interface FrameModel extends StatefulModel {
  hang(s: Store, out: ViolationSink): void;
  /** fine steps of the last transaction `step` ran */
  readonly lastSteps: number;
}

/** The stateful model of world `w`. */
export function frameModel(w: FrameWorld, opts: { fuse?: boolean } = {}): FrameModel {
  const fuse = opts.fuse ?? true;
  let target: ViolationSink = { report(): void {} };
  const pending: { p: PropertyId; r: string; m: string }[] = [];
  const sink: FrameSink = { records: false, event(): void {}, report: (_tid, p, r, m) => { pending.push({ p, r, m }); } };
  w.sink = sink;
  const cls = new StepClassifier(w.layout.protection(), (i) => w.layout.slotName(i));
  const scratch = new Store(w.layout);
  const keep = () => { for (const x of pending) target.report(x.p, x.r, x.m); pending.length = 0; };
  const drop = () => { pending.length = 0; };
  let lastSteps = 0;
  return {
    layout: w.layout,
    threads: w.threads,
    get lastSteps() { return lastSteps; },
    init: (s) => { target = { report(): void {} }; w.init(s); pending.length = 0; },
    step(s, t, out) {
      if (!frameEnabled(w.ctx(s, t))) return false;
      target = out;
      if (!fuse) {
        frameStep(w.ctx(s, t));
        keep();
        lastSteps = 1;
        return true;
      }
      lastSteps = fusedStep(s, scratch, t, cls, (st) => frameStep(w.ctx(st, t)), keep, drop);
      return true;
    },
    finished: (s, t) => frameThreadDone(w, s, t),
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
