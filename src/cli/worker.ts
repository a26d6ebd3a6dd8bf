/**
 * A `check --workers` worker, in one of two roles. A pool worker runs the jobs the pool
 * sends (pool.ts), one at a time, each a synchronous search; progress goes back every 64
 * executions. A stateful helper (check/stateful-handover.ts) joins one scenario's
 * stateful search with a shared visited set, posts its result and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkScenario } from '../check/check.ts';
import { serveStatefulWorker } from '../check/stateful-parallel.ts';
import { frameModelOf } from '../check/stateful-run.ts';
import type { Scenario } from '../scenario/types.ts';
import type { WorkerReply, WorkerRequest } from './pool.ts';

if ((workerData as { port?: unknown }).port !== undefined) serveStatefulWorker((sc: Scenario) => frameModelOf(sc));
else servePool();

function servePool(): void {
  const cancel = new Int32Array((workerData as { cancel: SharedArrayBuffer }).cancel);
  const port = parentPort!;
  port.on('message', (req: WorkerRequest) => {
    const reply = (m: WorkerReply) => port.postMessage(m);
    try {
      const result = checkScenario(req.sc, {
        ...req.opts,
        cancelled: () => Atomics.load(cancel, req.id) !== 0,
        progress: (executions, depth, violations, states) => {
          if (states !== undefined) reply({ type: 'progress', id: req.id, executions, depth, violations, states });
          else if (executions % 64 === 0) reply({ type: 'progress', id: req.id, executions, depth, violations });
        },
      });
      reply({ type: 'done', id: req.id, result });
    } catch (e) {
      reply({ type: 'failed', id: req.id, error: e instanceof Error ? e.stack ?? e.message : String(e) });
    }
  });
}
