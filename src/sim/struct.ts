/**
 * Typed store views: a model object is a run of store slots, and subset code reads and
 * writes its fields as properties (`f.signaled = true`), as the kernel C reads
 * `fence->flags` (docs/design.md "Typed store views").
 *
 * A struct is an interface whose properties are numbers, booleans or `Ref`s, in the
 * order of its slots. A `Ref<T>` is the index of the object's first slot, so a field is
 * the slot `ref + offset` and a reference is a plain int in the state; 0 is the null
 * reference (slot 0 is never an object's: `structPool` reserves it). scripts/compile-frames.ts
 * turns each property access on a `Ref` into a store read or write at the field's
 * offset, in `function*` bodies and in the file's plain helpers that touch a view (which
 * it compiles too), and emits every struct's width and field names (`STRUCTS`) for
 * layouts. Only compiled code may touch a view: in plain TypeScript `ref.field` is a
 * property of a number, undefined.
 */
import type { Store, StoreLayout, StorePool } from './store.ts';
import type { Protection } from './txn.ts';

/** A reference to a struct `T` in the store: the index of its first slot, 0 for none. */
export type Ref<T> = number & T;

/**
 * An importer's index in its scenario. In a frame local the compiler stores it + 1, so
 * that 0 is none in every slot (check/frame-symmetry.ts renames identical importers and
 * must tell a local not yet set from importer 0); code reads and writes the plain index.
 */
export type ImpIdx = number & { readonly __importerIndex?: never };

/** A thread's index in its world, stored + 1 in a frame local as `ImpIdx` is. */
export type Tid = number & { readonly __threadIndex?: never };

/** A reference to an object whose struct the code does not know (an importer's private data): a slot, as a `Ref`. */
export type AnyRef = number & { readonly __anyRef?: never };

/** A fence context that may be an importer's (importer index + 1); others are above the importers'. */
export type ImpContext = number & { readonly __importerContext?: never };

/** What the compiler emits for a struct: its slot count, field names in slot order and what each value names. */
export interface StructShape {
  readonly width: number;
  readonly fields: readonly string[];
  /** one ValueKind of scripts/frames-view.ts a field (`r` a Ref, `c` an ImpContext, `.` plain); absent: all plain */
  readonly values?: string;
}

/**
 * Registers a pool of `cap` objects of `shape` named `name` (an owner's fences, a
 * device's attachments). Reserves a null slot first when the layout is empty, so that no
 * object sits at slot 0.
 */
export function structPool(layout: StoreLayout, name: string, cap: number, shape: StructShape, p?: Protection): StorePool {
  if (layout.size === 0) layout.field('null');
  return layout.pool(name, cap, shape.width, p);
}

/**
 * Allocates the lowest free object of `pool` (zeroed) and returns its reference, or 0
 * when the pool is full (its capacity is too small for the model: a model bug the caller
 * reports, not a state).
 */
export function structAlloc(s: Store, pool: StorePool): number {
  const id = s.alloc(pool);
  return id < 0 ? 0 : pool.base + id * pool.width;
}

/**
 * The slot of a field, for an op that waits on it: `yield waitEq(addr(f.signaled), 1)`.
 * Compiled code only: the compiler turns `addr(ref.field)` into the field's slot index.
 */
export function addr(field: number | boolean): number {
  throw new Error(`addr(${String(field)}) ran uncompiled: only a frames source compiled by npm run frames may take a field's slot`);
}

/**
 * Registers one object of `shape` named `name`, a field a slot named `name.field` (so that
 * events and messages name it, `gpu0-buf resv.lock`); the fields of `locks` are lock slots
 * for the transaction checks. Returns its reference. For an object that exists from the
 * start of every execution (a dma-buf's reservation object), rather than one from a pool.
 */
export function structAt(layout: StoreLayout, name: string, shape: StructShape, locks: readonly string[] = []): number {
  if (layout.size === 0) layout.field('null');
  const ref = layout.size;
  for (const f of shape.fields) if (locks.includes(f)) layout.lock(`${name}.${f}`); else layout.field(`${name}.${f}`);
  return ref;
}

/** The name `structAt` gave the object at `ref`. */
export function structName(s: Store, ref: number): string {
  const n = s.layout.slotName(ref);
  return n.slice(0, n.lastIndexOf('.'));
}
