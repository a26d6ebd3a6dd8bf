/**
 * Completions and condition waits.
 *
 * `complete()` releases one waiter and each wait consumes it (linux:
 * kernel/sched/completion.c). `waitUntil` is the general blocking wait on a condition over
 * one object: the waiter reads the object, whoever makes the condition true writes it.
 */
import { OpKind, type BlockReason, type Op, type Proc } from './op.ts';
import type { Runtime } from './runtime.ts';

export interface Completion {
  readonly id: number;
  readonly name: string;
  done: number;
}

export function newCompletion(rt: Runtime, name: string): Completion {
  return { id: rt.newObject(name), name, done: 0 };
}

export function* complete(c: Completion): Proc {
  yield { kind: OpKind.Write, obj: c.id, write: true, label: 'complete', detail: c.name, apply: () => { c.done++; } };
}

/** Re-arms a completion (reinit_completion). */
export function* reinitCompletion(c: Completion): Proc {
  yield { kind: OpKind.Write, obj: c.id, write: true, label: 'reinit_completion', detail: c.name, apply: () => { c.done = 0; } };
}

/** wait_for_completion: blocks until completed, consumes it. */
export function* waitForCompletion(c: Completion): Proc {
  yield {
    kind: OpKind.Wait, obj: c.id, write: true, label: 'wait_for_completion', detail: c.name, blockReason: 'completion',
    enabled: () => c.done > 0,
    apply: () => { c.done--; },
  };
}

/**
 * wait_for_completion_timeout with a finite timeout: always runnable; if it runs while
 * the completion is not done, it times out (the explorer's choice, rule book §0 "Time").
 * Returns the remaining time (>= 1) or 0 on timeout.
 */
export function* waitForCompletionTimeout(c: Completion, timeout: number): Proc<number> {
  const r = yield {
    kind: OpKind.Wait, obj: c.id, write: true, label: 'wait_for_completion_timeout', detail: c.name,
    apply: () => (c.done > 0 ? (c.done--, Math.max(1, timeout)) : 0),
  };
  return r as number;
}

/**
 * Blocks until `cond()` holds; `obj` is the object the condition reads. A worker waiting
 * for work (`idle`) is bookkeeping to a reader of a counterexample.
 */
export function waitOp(obj: number, label: string, detail: string, cond: () => boolean, blockReason: BlockReason, monotone = false): Op {
  return {
    kind: monotone ? OpKind.WaitMonotone : OpKind.Wait, obj, write: false, label, detail, enabled: cond, blockReason,
    ...(blockReason === 'idle' ? { role: 'bookkeeping' as const } : {}),
  };
}

export function* waitUntil(obj: number, label: string, detail: string, cond: () => boolean, blockReason: BlockReason): Proc {
  yield waitOp(obj, label, detail, cond, blockReason);
}

/** A plain shared write/read as its own step (state another thread reads without a lock). */
export function* sharedWrite(obj: number, label: string, detail: string, effect: () => void): Proc {
  yield { kind: OpKind.Write, obj, write: true, label, detail, apply: effect };
}

/**
 * A shared write that retires work other threads wait for on `obj` (Op.retires): the caller
 * guarantees that while this step is pending, every other thread's wait on `obj` is disabled.
 */
export function* retireWork(obj: number, label: string, detail: string, effect: () => void): Proc {
  yield { kind: OpKind.Write, obj, write: true, retires: true, label, detail, apply: effect };
}

export function* sharedRead<T>(obj: number, label: string, detail: string, read: () => T): Proc<T> {
  return (yield { kind: OpKind.Read, obj, write: false, label, detail, apply: read }) as T;
}
