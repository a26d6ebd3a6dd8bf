/**
 * Ordered lists in a store: a length slot and `cap` entry slots, entries packed at the
 * front and unused entries 0. For lists whose order the rule book makes observable (a
 * dma-buf's attachments newest first, a reservation object's fences in the order added):
 * the order is part of the state. Every write goes through the write barrier.
 */
import type { Store, StoreLayout } from './store.ts';
import type { Protection } from './txn.ts';

export interface StoreList {
  readonly name: string;
  /** the length slot; entries follow it */
  readonly len: number;
  readonly cap: number;
}

/** Registers a list of at most `cap` int32 entries, length and entries protected by `p`. */
export function storeList(layout: StoreLayout, name: string, cap: number, p?: Protection): StoreList {
  const len = layout.field(`${name}.len`);
  layout.field(`${name}[]`, cap);
  if (p) layout.protect(len, cap + 1, p);
  return { name, len, cap };
}

export function listLength(s: Store, l: StoreList): number {
  return s.get(l.len);
}

export function listGet(s: Store, l: StoreList, i: number): number {
  return s.get(l.len + 1 + i);
}

export function listSet(s: Store, l: StoreList, i: number, v: number): void {
  s.set(l.len + 1 + i, v);
}

/** Appends `v`; returns false (nothing written) when the list is full. */
export function listPushBack(s: Store, l: StoreList, v: number): boolean {
  const n = s.get(l.len);
  if (n >= l.cap) return false;
  s.set(l.len + 1 + n, v);
  s.set(l.len, n + 1);
  return true;
}

/** Inserts `v` at the head (list_add); returns false when the list is full. */
export function listPushFront(s: Store, l: StoreList, v: number): boolean {
  const n = s.get(l.len);
  if (n >= l.cap) return false;
  for (let i = n; i > 0; i--) s.set(l.len + 1 + i, s.get(l.len + i));
  s.set(l.len + 1, v);
  s.set(l.len, n + 1);
  return true;
}

/** Removes entry `i`, keeping the order of the others; returns the entry. */
export function listRemoveAt(s: Store, l: StoreList, i: number): number {
  const n = s.get(l.len);
  const v = s.get(l.len + 1 + i);
  for (let j = i; j < n - 1; j++) s.set(l.len + 1 + j, s.get(l.len + 2 + j));
  s.set(l.len + n, 0);
  s.set(l.len, n - 1);
  return v;
}

/** Index of the first entry equal to `v`, or -1. */
export function listIndexOf(s: Store, l: StoreList, v: number): number {
  const n = s.get(l.len);
  for (let i = 0; i < n; i++) if (s.get(l.len + 1 + i) === v) return i;
  return -1;
}
