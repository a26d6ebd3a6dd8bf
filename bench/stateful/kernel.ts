/**
 * Rows of `npm run bench:stateful` for ported kernel code: the stateful search over the
 * compiled dma_resv and dma_fence models (src/kernel/frame-*.ts) driven by the resv test
 * programs (test/frames/resv-worlds.ts), every kernel step a transition. Each of N threads
 * takes two reservation objects in turn (reserve, add its fence, unlock), signals its
 * fence and waits for both objects: what a transfer of an importer does to the resv.
 */
import { statefulSearch } from '../../src/check/stateful.ts';
import * as P from '../../test/frames/resv-progs.ts';
import { resvFrameWorld } from '../../test/frames/resv-worlds.ts';

export interface KernelRow {
  readonly threads: number;
  readonly states: number;
  readonly transitions: number;
  readonly complete: boolean;
  readonly violations: number;
  readonly ms: number;
}

const at = (op: number, r: number, f: number, n: number) => op * 4096 + r * 256 + f * 16 + n;

/** The program of thread `t`: two locked sections adding fence t, its signal, two waits. */
function transfer(t: number): number[] {
  return [
    at(P.LOCK, 0, 0, 0), at(P.RESERVE, 0, 0, 1), at(P.ADD, 0, t, 1), at(P.UNLOCK, 0, 0, 0),
    at(P.LOCK, 1, 0, 0), at(P.RESERVE, 1, 0, 1), at(P.ADD, 1, t, 2), at(P.UNLOCK, 1, 0, 0),
    at(P.SIGNAL, 0, t, 0), at(P.WAIT, 0, 0, 3), at(P.WAIT, 1, 0, 3),
  ];
}

export function kernelRows(): KernelRow[] {
  return [2, 3].map((threads) => {
    const { model } = resvFrameWorld('landed', Array.from({ length: threads }, (_, t) => transfer(t)));
    const t0 = performance.now();
    const r = statefulSearch(model, { stopAtFirst: false, transactions: false });
    return { threads, states: r.states, transitions: r.transitions, complete: r.complete, violations: r.violations.length, ms: performance.now() - t0 };
  });
}
