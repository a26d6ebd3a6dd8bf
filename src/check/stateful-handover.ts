/**
 * Helpers that join one stateful search under way (`check --workers N` on fewer scenarios
 * than workers; docs/design.md "Workers"). The search starts alone, with a table of its
 * own; past `after` states, `HandoverVisited.handOver` moves its fingerprints into a
 * fixed-size table in shared memory and starts `count` worker threads that search the
 * same model from the initial state with that table, each trying threads in its own order
 * (stateful-parallel.ts). The invariant of the parallel search holds across the handover:
 * every state in the table is expanded by the thread whose insert stored it (the states
 * the search stored before the handover are its own, done or on its stack), so together
 * they expand every reachable state once. A small search never pays for the workers.
 *
 * The caller's thread is a searcher, not a coordinator: it waits for the helpers only
 * after its own search ended (`join`, which blocks in `Atomics.wait` and reads the results
 * with `receiveMessageOnPort`, so that the synchronous `checkScenario` stays synchronous).
 * No persistent sets run here: the stack proviso sees one thread's stack only.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Store } from '../sim/store.ts';
import type { ParallelOptions, WorkerInput, WorkerOutput } from './stateful-parallel.ts';
import { ModelBugError, type StatefulResult } from './stateful.ts';
import { FingerprintSet, SharedFingerprintSet, type VisitedSet } from './visited.ts';

/** The shared table is sized for this many times the states stored at the handover (it cannot grow), at least `MIN_EXPECTED`. */
const GROWTH = 128;
const MIN_EXPECTED = 1 << 22;

/** A visited set that starts as the search's own and can move into shared memory mid-search. */
export class HandoverVisited implements VisitedSet {
  private own: FingerprintSet | null = new FingerprintSet();
  private shared: SharedFingerprintSet | null = null;

  add(s: Store): boolean {
    return this.own !== null ? this.own.add(s) : this.shared!.add(s);
  }

  get size(): number {
    return this.own !== null ? this.own.size : this.shared!.size;
  }

  get bytes(): number {
    return this.own !== null ? this.own.bytes : this.shared!.bytes;
  }

  get overflowed(): boolean {
    return this.shared?.overflowed ?? false;
  }

  omissionProbability(): number {
    return this.own !== null ? this.own.omissionProbability() : this.shared!.omissionProbability();
  }

  /** Whether the table is shared already. */
  get handedOver(): boolean {
    return this.shared !== null;
  }

  /**
   * Moves the fingerprints into a shared table with room for `expected` states (at least
   * GROWTH times those stored, MIN_EXPECTED) and returns it; the search's later inserts go there.
   */
  handOver(expected = 0): SharedFingerprintSet {
    const own = this.own!;
    const table = SharedFingerprintSet.create(Math.max(expected, GROWTH * own.size, MIN_EXPECTED));
    own.forEachPair((a, b) => table.addPair(a | 0, b | 0));
    this.shared = table;
    this.own = null;
    return table;
  }
}

export interface Helpers {
  /** the stop flag and the posted count (stateful-parallel.ts `WorkerInput.control`) */
  readonly control: Int32Array;
  /**
   * Waits until every helper posted its result and returns the results. `poll` runs every
   * 50 ms while waiting: true raises the stop flag (a deadline, a cancelled job). Throws
   * `ModelBugError` when a helper's search met a model bug.
   */
  join(poll: () => boolean): StatefulResult[];
}

/**
 * Starts `count` helpers (worker threads running `script`, which calls
 * `serveStatefulWorker` with a factory of the model from `args`) on `table`. Helper i tries
 * threads in order i + 1 (the caller's search is order 0).
 */
export function startHelpers(script: URL, args: unknown, count: number, table: SharedFingerprintSet, opts: ParallelOptions): Helpers {
  const buffer = new SharedArrayBuffer(8);
  const control = new Int32Array(buffer);
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  for (let i = 0; i < count; i++) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1);
    const input: WorkerInput = { args, opts, table: table.buffer, control: buffer, index: i + 1, port: port2 };
    const w = new Worker(script, { workerData: input, transferList: [port2] });
    // serveStatefulWorker posts every error of the model and the search; only a script that
    // fails to load would leave join waiting (the script is the CLI's own worker bundle)
    w.once('error', () => undefined);
    workers.push(w);
  }
  return {
    control,
    join(poll) {
      for (;;) {
        const posted = Atomics.load(control, 1);
        if (posted >= count) break;
        if (poll()) Atomics.store(control, 0, 1);
        Atomics.wait(control, 1, posted, 50);
      }
      const outputs = ports.map((p) => receiveMessageOnPort(p)!.message as WorkerOutput);
      ports.forEach((p) => p.close());
      workers.forEach((w) => void w.terminate());
      const failed = outputs.find((o): o is Extract<WorkerOutput, { error: string }> => 'error' in o);
      if (failed) throw failed.modelBug ? new ModelBugError(failed.error) : new Error(failed.error);
      return outputs.map((o) => (o as Extract<WorkerOutput, { result: StatefulResult }>).result);
    },
  };
}
