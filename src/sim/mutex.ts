/**
 * A sleeping mutex. Acquisition is a blocking op, enabled only while the lock is free;
 * acquisition and release both write the lock object, so the explorer orders critical
 * sections of one lock and nothing else.
 */
import { OpKind, type Proc } from './op.ts';
import type { Runtime } from './runtime.ts';

export interface Mutex {
  readonly id: number;
  readonly name: string;
  /** lockdep class: locks of one class share ordering rules */
  readonly cls: string;
  owner: number;
}

export function newMutex(rt: Runtime, name: string, cls = name): Mutex {
  const id = rt.newObject(name);
  rt.lockClasses.set(id, cls);
  return { id, name, cls, owner: -1 };
}

/** Records a held lock and checks lock order (P8). Called inside an acquire's apply. */
export function noteAcquired(rt: Runtime, m: { id: number; cls: string; owner: number }): void {
  const tid = rt.current;
  m.owner = tid;
  const held = rt.held[tid]!;
  const cycle = rt.lockdep.acquire(held.map((id) => rt.lockClasses.get(id) ?? String(id)), m.cls);
  if (cycle) rt.report('deadlock', 'P8', `lock-order inversion: ${cycle.join(' -> ')}`);
  held.push(m.id);
}

export function noteReleased(rt: Runtime, m: { id: number; owner: number }): void {
  const held = rt.held[rt.current]!;
  const i = held.lastIndexOf(m.id);
  if (i >= 0) held.splice(i, 1);
  m.owner = -1;
}

/**
 * Blocks until `m` is free, then takes it. Taking a lock the caller already holds is a
 * self-deadlock (P8): recorded, and the thread then blocks for ever as it would.
 */
export function* mutexLock(rt: Runtime, m: Mutex): Proc {
  if (m.owner === rt.current) rt.report('deadlock', 'P8', `${rt.currentName} takes ${m.name} which it already holds`);
  yield {
    kind: OpKind.Acquire, obj: m.id, write: true, label: 'mutex_lock', detail: m.name, blockReason: 'lock',
    enabled: () => m.owner === -1,
    apply: () => noteAcquired(rt, m),
  };
}

/** Releases `m`; releasing a lock the caller does not hold is api-misuse. */
export function* mutexUnlock(rt: Runtime, m: Mutex): Proc {
  if (m.owner !== rt.current) rt.report('api-misuse', 'P7', `${rt.currentName} unlocks ${m.name} which it does not hold`);
  yield { kind: OpKind.Release, obj: m.id, write: true, label: 'mutex_unlock', detail: m.name, apply: () => noteReleased(rt, m) };
}
