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
  return pushAt(s, l.len, l.cap, v);
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
  return removeAt(s, l.len, i);
}

/** Index of the first entry equal to `v`, or -1. */
export function listIndexOf(s: Store, l: StoreList, v: number): number {
  return indexAt(s, l.len, v);
}

// The same operations on a list given by its length slot alone: a list a struct field
// points at (a reservation object's fence slots, an acquire context's locks), whose
// length slot and room are fields rather than a registered StoreList.

/** Appends `v` to the list whose length is at slot `len`, with room `cap`; false (nothing written) when full. */
export function pushAt(s: Store, len: number, cap: number, v: number): boolean {
  const n = s.get(len);
  if (n >= cap) return false;
  s.set(len + 1 + n, v);
  s.set(len, n + 1);
  return true;
}

/** Removes entry `i` of the list whose length is at slot `len`, keeping the others' order; returns it. */
export function removeAt(s: Store, len: number, i: number): number {
  const n = s.get(len);
  const v = s.get(len + 1 + i);
  for (let j = i; j < n - 1; j++) s.set(len + 1 + j, s.get(len + 2 + j));
  s.set(len + n, 0);
  s.set(len, n - 1);
  return v;
}

/** Index of the first entry equal to `v` in the list whose length is at slot `len`, or -1. */
export function indexAt(s: Store, len: number, v: number): number {
  const n = s.get(len);
  for (let i = 0; i < n; i++) if (s.get(len + 1 + i) === v) return i;
  return -1;
}
