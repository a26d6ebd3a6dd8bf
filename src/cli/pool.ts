/**
 * A pool of worker_threads for `check --workers N`: each job is one scenario's search, or
 * one shard of it (check.ts `shard`). Jobs run in the order given, a worker takes the next when it
 * is free. A job can be cancelled through a shared flag that its explorer polls between
 * executions (no message needs to reach a worker that is busy searching).
 */
import { Worker } from 'node:worker_threads';
import type { JobOptions } from '../check/options.ts';
import type { Job, JobQueue } from '../check/parallel.ts';
import type { ScenarioResult } from '../check/result.ts';
import type { Scenario } from '../scenario/types.ts';

export interface WorkerRequest {
  readonly id: number;
  readonly sc: Scenario;
  readonly opts: JobOptions;
}

export type WorkerReply =
  | { readonly type: 'progress'; readonly id: number; readonly executions: number; readonly depth: number; readonly violations: number; readonly states?: number }
  | { readonly type: 'done'; readonly id: number; readonly result: ScenarioResult }
  | { readonly type: 'failed'; readonly id: number; readonly error: string };

interface Pending extends Job {
  readonly id: number;
  resolve(r: ScenarioResult | null): void;
  reject(e: Error): void;
}

/** The worker script next to this module: worker.ts under tsx, worker.cjs in the bundle (also the stateful search's helpers', worker.ts). */
export function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.cjs', import.meta.url);
}

/** The job queue of check/parallel.ts on worker_threads. */
export class CheckPool implements JobQueue {
  private readonly cancelFlags: Int32Array;
  private readonly buffer: SharedArrayBuffer;
  private readonly idle: Worker[] = [];
  private readonly workers: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<number, Pending>();
  private nextId = 0;

  /**
   * Up to `size` workers, started when the first job comes (a run that needs none starts
   * none); `maxJobs` bounds the jobs ever submitted (one cancel flag each).
   */
  constructor(private readonly size: number, maxJobs: number) {
    this.buffer = new SharedArrayBuffer(4 * Math.max(1, maxJobs));
    this.cancelFlags = new Int32Array(this.buffer);
  }

  private start(): void {
    while (this.workers.length < this.size) {
      const w = new Worker(workerUrl(), { workerData: { cancel: this.buffer } });
      w.on('message', (m: WorkerReply) => this.onMessage(w, m));
      w.on('error', (e) => this.failAll(e));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  /** Queues a job; resolves to its result, or null when it was cancelled before it started. */
  submit(job: Job): { id: number; result: Promise<ScenarioResult | null> } {
    const id = this.nextId++;
    if (id >= this.cancelFlags.length) throw new Error('CheckPool: more jobs than announced');
    const result = new Promise<ScenarioResult | null>((resolve, reject) => {
      this.queue.push({ ...job, id, resolve, reject });
    });
    this.start();
    this.dispatch();
    return { id, result };
  }

  /** Stops a job: a queued one never starts, a running one ends after its current execution. */
  cancel(id: number): void {
    Atomics.store(this.cancelFlags, id, 1);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const job = this.queue.shift()!;
      if (Atomics.load(this.cancelFlags, job.id)) { job.resolve(null); continue; }
      const w = this.idle.pop()!;
      this.running.set(job.id, job);
      const req: WorkerRequest = { id: job.id, sc: job.sc, opts: job.opts };
      w.postMessage(req);
    }
  }

  private onMessage(w: Worker, m: WorkerReply): void {
    const job = this.running.get(m.id);
    if (!job) return;
    if (m.type === 'progress') { job.onProgress?.(m.executions, m.depth, m.violations, m.states); return; }
    this.running.delete(m.id);
    this.idle.push(w);
    if (m.type === 'done') job.resolve(m.result);
    else job.reject(new Error(m.error));
    this.dispatch();
  }

  private failAll(e: Error): void {
    for (const job of [...this.running.values(), ...this.queue]) job.reject(e);
    this.running.clear();
    this.queue.length = 0;
  }
}
