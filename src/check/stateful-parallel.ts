/**
 * The stateful search on several worker threads that share one visited set (issue 18
 * point 7; docs/design.md "Workers").
 *
 * Every worker runs the whole depth-first search of stateful.ts from the initial state,
 * with the fingerprint table of visited.ts `SharedFingerprintSet` in shared memory and its
 * own thread order (`order`: worker i tries each state's threads from an offset its hash
 * picks, worker 0 in index order). A state is expanded by the one worker whose insert
 * stored it; the others prune it. So the workers together expand every reachable state
 * exactly once, whoever gets there first: the states stored are the sequential search's,
 * and the search is complete when every worker ended without being stopped and the table
 * never overflowed. Independent shards would not do this: each prefix shard of S4 visits
 * 98-99 % of the states (research/stateful-verification.md), which is why `--shard` stays
 * a split of the stateless dpor and exhaustive searches only.
 *
 * A worker that meets a violation (under `stopAtFirst`) or a model bug raises a shared
 * flag the others poll every 1,024 transitions. Which counterexample is shown can depend
 * on which worker met one first; the verdict of a complete search does not.
 *
 * The model is built inside each worker by a script that calls `serveStatefulWorker` with
 * a factory (models hold functions and cannot be posted); the caller names the script and
 * the factory's arguments, which must survive structured cloning.
 */
import { parentPort, Worker, workerData, type MessagePort, type WorkerOptions } from 'node:worker_threads';
import { ModelBugError, statefulSearch, type StatefulModel, type StatefulOptions, type StatefulResult, type StateViolation } from './stateful.ts';
import { SharedFingerprintSet } from './visited.ts';
import { GrowingSharedSet, helperSide } from './growing-visited.ts';
import { WorkBoard } from './work-board.ts';

/** The options a parallel search takes: those of one worker's search that can be posted. */
export type ParallelOptions = Omit<StatefulOptions, 'visited' | 'order' | 'cancelled' | 'onTerminal' | 'exact'>;

export interface ParallelResult extends StatefulResult {
  readonly workers: number;
  /** states each worker stored (their sum is `states`): how the work was shared */
  readonly perWorker: readonly number[];
}

/**
 * What a worker is posted. `control` holds int32s: the stop flag, the count of workers
 * that posted their result, and for a helper (`port`) one heartbeat a helper, at 1 + index.
 */
export interface WorkerInput {
  readonly args: unknown;
  readonly opts: ParallelOptions;
  readonly table: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly index: number;
  /** where the result goes instead of the parent port (a helper whose result is read synchronously, stateful-handover.ts) */
  readonly port?: MessagePort;
  /** with `port`: the resize barrier of a table that grows (growing-visited.ts); resized tables come in on `port` */
  readonly sync?: SharedArrayBuffer;
  /** with `port`: the work board the helpers and the caller share (work-board.ts) */
  readonly board?: SharedArrayBuffer;
}

export type WorkerOutput =
  /** a helper's violation, posted when found (its caller decides whether the search ends) */
  | { readonly violation: StateViolation }
  | { readonly result: StatefulResult }
  | { readonly error: string; readonly modelBug: boolean };

/**
 * The body of a worker script: builds the model from the posted arguments and searches
 * with the shared table. Call it at the top level of a module that `parallelStatefulSearch`
 * is given as its script.
 */
export function serveStatefulWorker(make: (args: never) => StatefulModel): void {
  const d = workerData as WorkerInput;
  const port = d.port ?? parentPort;
  if (!port) throw new Error('serveStatefulWorker runs in a worker thread started by parallelStatefulSearch');
  const ctl = new Int32Array(d.control);
  const table = SharedFingerprintSet.attach(d.table);
  // a helper's heartbeat (stateful-handover.ts `watch`)
  const beat = () => { Atomics.add(ctl, 1 + d.index, 1); };
  const growing = d.port && d.sync ? new GrowingSharedSet(table, d.sync, helperSide(d.port, beat)) : null;
  const visited = growing ?? table;
  let out: WorkerOutput;
  try {
    const cancelled = () => {
      if (d.port) beat();
      growing?.poll();
      return Atomics.load(ctl, 0) !== 0;
    };
    // a helper posts each violation as it meets it and goes on: its caller replays it and decides, as for its own
    const stopAt = d.port ? (v: StateViolation) => { port.postMessage({ violation: v } satisfies WorkerOutput); return false; } : undefined;
    const board = d.board ? new WorkBoard(d.board) : null;
    const stopping = () => Atomics.load(ctl, 0) !== 0;
    const work = board && {
      wanted: () => board.wanted(),
      donate: board.donate.bind(board),
      idle: () => board.idle(() => { beat(); growing?.poll(); }, stopping),
    };
    const result = statefulSearch(make(d.args as never), { ...d.opts, visited, order: d.index, cancelled, ...(stopAt ? { stopAt } : {}), ...(work ? { work } : {}) });
    if (result.violations.length > 0 && (d.opts.stopAtFirst ?? true)) Atomics.store(ctl, 0, 1);
    // a searcher that stops incomplete stops the others: they could wait for it on the board for ever
    if (!result.complete) Atomics.store(ctl, 0, 1);
    out = { result };
  } catch (e) {
    Atomics.store(ctl, 0, 1);
    out = { error: e instanceof Error ? e.message : String(e), modelBug: e instanceof ModelBugError };
  }
  port.postMessage(out);
  // the count a caller blocked in Atomics.wait reads (stateful-handover.ts): posted first, so the message is there when it wakes
  Atomics.add(ctl, 1, 1);
  Atomics.notify(ctl, 1);
}

/**
 * Explores every state of the model that `script` builds from `args`, on `workers` worker
 * threads sharing one fingerprint table sized for `opts.expected` states (default 2^20;
 * the table does not grow: a search that fills it to 7/8 ends incomplete). Rejects with
 * `ModelBugError` when a worker's search found a model bug. `spawn` starts a worker (the
 * tests start TypeScript sources through tsx).
 */
export async function parallelStatefulSearch(
  script: URL, args: unknown, workers: number, opts: ParallelOptions = {},
  spawn: (script: URL, options: WorkerOptions) => Worker = (u, o) => new Worker(u, o),
): Promise<ParallelResult> {
  const table = SharedFingerprintSet.create(opts.expected ?? 1 << 20);
  const control = new SharedArrayBuffer(8);
  const outputs = await Promise.all(Array.from({ length: workers }, (_, index) => new Promise<WorkerOutput>((resolve, reject) => {
    const input: WorkerInput = { args, opts, table: table.buffer, control, index };
    const w = spawn(script, { workerData: input });
    w.once('message', (m: WorkerOutput) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`stateful worker ${index} exited with code ${code} before its result`)));
  })));
  const failed = outputs.find((o): o is Extract<WorkerOutput, { error: string }> => 'error' in o);
  if (failed) throw failed.modelBug ? new ModelBugError(failed.error) : new Error(failed.error);
  const results = outputs.map((o) => (o as Extract<WorkerOutput, { result: StatefulResult }>).result);
  const violations: StateViolation[] = [];
  const seen = new Set<string>();
  for (const r of results) {
    for (const v of r.violations) {
      const k = `${v.property}|${v.rule}|${v.message}`;
      if (!seen.has(k)) { seen.add(k); violations.push(v); }
    }
  }
  return {
    states: table.size,
    transitions: results.reduce((a, r) => a + r.transitions, 0),
    maxDepth: Math.max(...results.map((r) => r.maxDepth)),
    complete: results.every((r) => r.complete) && !table.overflowed,
    violations,
    omissionProbability: table.omissionProbability(),
    visitedBytes: table.bytes,
    workers,
    perWorker: results.map((r) => r.states),
  };
}
