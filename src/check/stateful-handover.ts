/**
 * Helpers that join one stateful search under way (`check --workers N` on fewer scenarios
 * than workers; docs/design.md "Workers"). The search starts alone, with a table of its
 * own; past `after` states, `HandoverVisited.handOver` moves its fingerprints into a
 * table in shared memory and starts `count` worker threads that search the
 * same model from the initial state with that table, each trying threads in its own order
 * (stateful-parallel.ts). The invariant of the parallel search holds across the handover:
 * every state in the table is expanded by the thread whose insert stored it (the states
 * the search stored before the handover are its own, done or on its stack), so together
 * they expand every reachable state once. A small search never pays for the workers. The
 * shared table doubles when it fills (growing-visited.ts), so the helpers bound nothing.
 *
 * The caller's thread is a searcher, not a coordinator: it waits for the helpers only
 * after its own search ended (`join`, which blocks in `Atomics.wait` and reads the results
 * with `receiveMessageOnPort`, so that the synchronous `checkScenario` stays synchronous).
 * No persistent sets run here: the stack proviso sees one thread's stack only.
 */
import { performance } from 'node:perf_hooks';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Store } from '../sim/store.ts';
import type { ParallelOptions, WorkerInput, WorkerOutput } from './stateful-parallel.ts';
import { ModelBugError, type StatefulResult, type StateViolation } from './stateful.ts';
import { FingerprintSet, SharedFingerprintSet, type VisitedSet } from './visited.ts';
import { GrowingSharedSet, leaderSide } from './growing-visited.ts';

/** A helper silent this long (no poll, no result) is taken for dead: its polls come every 1,024 transitions, about 10 ms. */
const SILENT_MS = 60_000;

/** The shared table starts with room for this many times the states stored at the handover (it doubles when full). */
const GROWTH = 4;

/** A visited set that starts as the search's own and can move into shared memory mid-search. */
export class HandoverVisited implements VisitedSet {
  private readonly own = new FingerprintSet();
  private shared: GrowingSharedSet | null = null;
  /** the set inserts go to: the search's own until the handover, the shared one after */
  private cur: VisitedSet = this.own;

  add(s: Store): boolean {
    return this.cur.add(s);
  }

  get size(): number {
    return this.cur.size;
  }

  get bytes(): number {
    return this.cur.bytes;
  }

  omissionProbability(): number {
    return this.cur.omissionProbability();
  }

  /** Joins a resize of the shared table the helpers asked for (between transactions). */
  poll(): void {
    this.shared?.poll();
  }

  /**
   * Moves the fingerprints into a shared table with room for `expected` states (at least
   * GROWTH times those stored) and starts the helpers on it (`start`, given the table and
   * the resize barrier); the search's later inserts go to the shared table. Returns the helpers.
   */
  handOver(expected: number, start: (table: SharedFingerprintSet, sync: SharedArrayBuffer) => Helpers): Helpers {
    if (this.shared !== null) throw new Error('internal: a search hands its visited set over once');
    const table = SharedFingerprintSet.create(Math.max(expected, GROWTH * this.own.size));
    this.own.forEachPair((a, b) => table.insert(a | 0, b | 0));
    const sync = new SharedArrayBuffer(8);
    const helpers = start(table, sync);
    this.shared = new GrowingSharedSet(table, sync, leaderSide(helpers.ports, helpers.searching, helpers.watch));
    this.cur = this.shared;
    return helpers;
  }
}

export interface Helpers {
  /** Raises the stop flag: every helper ends its search at its next poll. */
  stop(): void;
  /** Whether the stop flag is up (a helper raises it when its search met a model bug). */
  stopping(): boolean;
  /** the caller's end of each helper's channel (results come in, resized tables go out) */
  readonly ports: readonly MessagePort[];
  /** helpers still searching (not yet posted) */
  searching(): number;
  /**
   * Throws when a helper that has not posted its result gave no sign of life for
   * SILENT_MS (its worker thread died: out of memory, or a script that failed to load),
   * so that a wait for it ends in an error instead of for ever.
   */
  watch(): void;
  /** Hands the violations the helpers posted since the last call to `onViolation` (call it between transactions). */
  drain(onViolation: (v: StateViolation) => void): void;
  /**
   * Waits until every helper posted its result and returns the results; the violations
   * they post meanwhile go to `onViolation`. `poll` runs every 20 ms while waiting (it
   * also joins resizes): true raises the stop flag (a deadline, a cancelled job, a
   * violation that ends the search). Throws `ModelBugError` when a helper's search met a
   * model bug.
   */
  join(poll: () => boolean, onViolation: (v: StateViolation) => void): StatefulResult[];
}

/**
 * Starts `count` helpers (worker threads running `script`, which calls
 * `serveStatefulWorker` with a factory of the model from `args`) on `table`. Helper i tries
 * threads in order i + 1 (the caller's search is order 0). A helper silent for `silentMs`
 * is taken for dead (`watch`).
 */
export function startHelpers(
  script: URL, args: unknown, count: number, table: SharedFingerprintSet, sync: SharedArrayBuffer, opts: ParallelOptions, silentMs = SILENT_MS, board?: SharedArrayBuffer,
): Helpers {
  // stop flag, posted count, then one heartbeat a helper (stateful-parallel.ts WorkerInput)
  const buffer = new SharedArrayBuffer(4 * (2 + count));
  const control = new Int32Array(buffer);
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  for (let i = 0; i < count; i++) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1);
    const input: WorkerInput = { args, opts, table: table.buffer, control: buffer, index: i + 1, port: port2, sync, ...(board ? { board } : {}) };
    const w = new Worker(script, { workerData: input, transferList: [port2] });
    // serveStatefulWorker posts every error of the model and the search; a worker that dies
    // otherwise stops beating, which `watch` turns into an error
    w.once('error', () => undefined);
    workers.push(w);
  }
  /** each helper's last message: its result or its error */
  const outputs: (WorkerOutput | undefined)[] = new Array(count);
  const drain = (onViolation: (v: StateViolation) => void): void => {
    ports.forEach((p, i) => {
      for (let m = receiveMessageOnPort(p); m; m = receiveMessageOnPort(p)) {
        const o = m.message as WorkerOutput;
        if ('violation' in o) onViolation(o.violation);
        else outputs[i] = o;
      }
    });
  };
  const beats = new Int32Array(count);
  const seenAt = new Float64Array(count).fill(performance.now());
  const stopAll = () => {
    ports.forEach((p) => p.close());
    workers.forEach((w) => void w.terminate());
  };
  const watch = () => {
    const now = performance.now();
    for (let i = 0; i < count; i++) {
      if (outputs[i] !== undefined) continue;
      const b = Atomics.load(control, 2 + i);
      if (b !== beats[i]) { beats[i] = b; seenAt[i] = now; continue; }
      if (now - seenAt[i]! > silentMs) {
        stopAll();
        throw new Error(`stateful helper ${i + 1} stopped without posting its result (its worker thread died); check again with --workers 1`);
      }
    }
  };
  return {
    stop: () => { Atomics.store(control, 0, 1); },
    stopping: () => Atomics.load(control, 0) !== 0,
    ports,
    searching: () => count - Atomics.load(control, 1),
    watch,
    drain,
    join(poll, onViolation) {
      for (;;) {
        const posted = Atomics.load(control, 1);
        drain(onViolation);
        if (posted >= count) break;
        watch();
        if (poll()) Atomics.store(control, 0, 1);
        Atomics.wait(control, 1, posted, 20);
      }
      drain(onViolation);
      stopAll();
      const failed = outputs.find((o): o is Extract<WorkerOutput, { error: string }> => o !== undefined && 'error' in o);
      if (failed) throw failed.modelBug ? new ModelBugError(failed.error) : new Error(failed.error);
      return outputs.map((o, i) => {
        if (!o || !('result' in o)) throw new Error(`internal: stateful helper ${i + 1} counted as posted without a result`);
        return o.result;
      });
    },
  };
}
