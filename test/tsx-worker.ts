// Worker threads running TypeScript sources under the tests: on Node 20 a worker does not
// take the parent's `--import tsx` for its entry module, so the entry registers tsx first.
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function tsxWorker(script: URL, options: WorkerOptions = {}): Worker {
  const body = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(body, { ...options, eval: true });
}
