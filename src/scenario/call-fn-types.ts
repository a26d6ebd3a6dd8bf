/**
 * The shape of a core function a `call` step can name, and helpers the tables share.
 */
import { MAX_SCHEDULE_TIMEOUT } from '../kernel/fence.ts';
import { warn, type Kernel, type KernelVersion } from '../kernel/kernel.ts';
import { DmaResvUsage } from '../kernel/resv.ts';
import { local, OpKind, type Proc } from '../sim/op.ts';
import type { BindKind, ParamKind } from './call-args.ts';
import type { CallCtx } from './call-objects.ts';

export interface Param {
  readonly name: string;
  readonly kind: ParamKind;
  /** omitted -> this value (already resolved); absent = required */
  readonly dflt?: unknown;
  /** the name given is created by the call (vmap's `map`) */
  readonly out?: boolean;
}

/** A call's outcome: `v` is the return value (null = returns nothing), `bind` what `as:` names. */
export interface CallOut {
  readonly v: number | null;
  readonly bind?: unknown;
}

export interface CallFn {
  readonly name: string;
  /** other spellings (the series' renames), accepted in every version that has the function */
  readonly aliases?: readonly string[];
  readonly versions?: readonly KernelVersion[];
  readonly rule: string;
  readonly params: readonly Param[];
  readonly binds?: BindKind;
  /** the parameter holding a wait's timeout (a finite one may time out: wait-timeout) */
  readonly timeout?: string;
  run(c: CallCtx, a: Record<string, unknown>): Proc<CallOut>;
}

export const VOID: CallOut = { v: null };
export const num = (v: number): CallOut => ({ v });
export const bool = (b: boolean): CallOut => ({ v: b ? 1 : 0 });
export const usage = (s: unknown) => DmaResvUsage[s as keyof typeof DmaResvUsage];
export const timeoutOf = (x: unknown) => (x === 'MAX_SCHEDULE_TIMEOUT' ? MAX_SCHEDULE_TIMEOUT : (x as number));

/** WARN_ON(!x) and return `ret`. */
export function* nullWarn(k: Kernel, fn: string, rule: string, ret: CallOut): Proc<CallOut> {
  warn(k, rule, `${fn} with a NULL argument`);
  yield local(fn, 'NULL');
  return ret;
}

/** A NULL dereference: the kernel oopses, the model records a BUG and stops the thread. */
export function oops(k: Kernel, fn: string, rule: string): never {
  k.rt.bug(rule, `NULL pointer dereference in ${fn}`);
}

/** One visible step reading (or writing) shared objects around a synchronous core function. */
export function* sync<T>(label: string, objs: number[], write: boolean, fn: () => T, detail?: string): Proc<T> {
  const r = yield { kind: write ? OpKind.Write : OpKind.Read, obj: objs[0]!, write, also: objs.slice(1), label, detail, apply: fn };
  return r as T;
}

export const P = (name: string, kind: ParamKind, dflt?: unknown): Param => (dflt === undefined ? { name, kind } : { name, kind, dflt });
export const OPT = Symbol('optional');

