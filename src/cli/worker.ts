/**
 * A `check --workers` worker: runs the jobs the pool sends (pool.ts), one at a time, each
 * a synchronous search; progress goes back every 64 executions.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkScenario } from '../check/check.ts';
import type { WorkerReply, WorkerRequest } from './pool.ts';

const cancel = new Int32Array((workerData as { cancel: SharedArrayBuffer }).cancel);
const port = parentPort!;

port.on('message', (req: WorkerRequest) => {
  const reply = (m: WorkerReply) => port.postMessage(m);
  try {
    const result = checkScenario(req.sc, {
      ...req.opts,
      cancelled: () => Atomics.load(cancel, req.id) !== 0,
      progress: (executions, depth, violations) => {
        if (executions % 64 === 0) reply({ type: 'progress', id: req.id, executions, depth, violations });
      },
    });
    reply({ type: 'done', id: req.id, result });
  } catch (e) {
    reply({ type: 'failed', id: req.id, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
