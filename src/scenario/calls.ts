/**
 * `call` steps (spec/scenario-format.md §1 "Core calls"): parsing with positioned errors,
 * the check of names across the scenario, and running a call in an execution with its
 * `expect:` (unexpected-result), expected WARNs and timed waits (wait-timeout).
 */
import type { ExporterInstance, ImporterInstance } from '../drivers/types.ts';
import type { DmaBufAttachment } from '../kernel/dma-buf.ts';
import type { Kernel, KernelVersion } from '../kernel/kernel.ts';
import { OpKind, local, type Proc } from '../sim/op.ts';
import type { Runtime } from '../sim/runtime.ts';
import {
  argText, BUILTIN_NAMES, errnoName, expectText, isObjectKind, readArg, readExpect,
  type ArgValue, type BindKind, type CallStep, type Expect,
} from './call-args.ts';
import { CALL_NAMES, findCallFn, type CallFn } from './call-fns.ts';
import { newCallCtx, validateImporterOps, validateOps, type CallCtx } from './call-objects.ts';
import { didYouMean } from './errors.ts';

export type { CallStep } from './call-args.ts';

type PathItem = string | number;

export interface CallReporter {
  atPath(path: readonly PathItem[], message: string): void;
  keyAt(path: readonly PathItem[], message: string): void;
  describe(x: unknown): string;
}

const STEP_KEYS = ['call', 'args', 'expect', 'as'];

/** Parses one `call` step; reports every problem and returns null if there was one. */
export function parseCallStep(st: Record<string, unknown>, path: readonly PathItem[], version: KernelVersion, r: CallReporter): CallStep | null {
  let ok = true;
  const bad = (p: readonly PathItem[], m: string, key = false) => { ok = false; (key ? r.keyAt : r.atPath)(p, m); };
  for (const key of Object.keys(st)) if (!STEP_KEYS.includes(key)) bad([...path, key], `unknown key "${key}" of a call step${didYouMean(key, STEP_KEYS)}; a call step has call, args, expect, as`, true);
  const name = st.call;
  if (typeof name !== 'string') { bad([...path, 'call'], `expected a kernel function name, found ${r.describe(name)}`); return null; }
  const found = findCallFn(name, version);
  if ('error' in found) {
    bad([...path, 'call'], found.error === 'unknown' ? `"${name}" is not a core function of the model${didYouMean(name, CALL_NAMES)}` : found.error);
    return null;
  }
  const fn = found.fn;
  const args: Record<string, ArgValue> = {};
  const raw = st.args ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad([...path, 'args'], `expected a map of arguments, found ${r.describe(raw)}`);
  else {
    const given = raw as Record<string, unknown>;
    const names = fn.params.map((p) => p.name);
    for (const key of Object.keys(given)) {
      const p = fn.params.find((x) => x.name === key);
      if (!p) {
        const hint = key === 'ops' || key === 'lock' ? ` (${fn.name} implies ${key})` : didYouMean(key, names);
        bad([...path, 'args', key], `${fn.name} has no parameter "${key}"${hint}; its parameters are ${names.join(', ') || 'none'}`, true);
        continue;
      }
      const v = readArg(p.kind, given[key], r.describe);
      if (typeof v === 'string') { bad([...path, 'args', key], v); continue; }
      if (p.kind === 'ops' && validateOps(given[key])) bad([...path, 'args', key], validateOps(given[key])!);
      if (p.kind === 'importer_ops' && validateImporterOps(given[key], version)) bad([...path, 'args', key], validateImporterOps(given[key], version)!);
      if (p.out && v.t !== 'ref') bad([...path, 'args', key], `expected a name for the ${p.kind} this call fills in, found ${r.describe(given[key])}`);
      args[key] = v;
    }
    for (const p of fn.params) if (!(p.name in given) && p.dflt === undefined) bad([...path, 'args'], `${fn.name} needs the argument "${p.name}"`);
  }
  let expect: Expect | null = null;
  if (st.expect !== undefined) {
    const e = readExpect(st.expect, r.describe);
    if (typeof e === 'string') bad([...path, 'expect'], e);
    else expect = e;
  }
  let as: string | null = null;
  if (st.as !== undefined) {
    if (typeof st.as !== 'string' || !/^[A-Za-z_][\w-]*$/.test(st.as)) bad([...path, 'as'], `expected a name, found ${r.describe(st.as)}`);
    else if (!fn.binds) bad([...path, 'as'], `${fn.name} creates nothing to name with "as"`);
    else if (st.as in BUILTIN_NAMES || st.as === 'null') bad([...path, 'as'], `"${st.as}" is a reserved name`);
    else as = st.as;
  }
  if (!ok) return null;
  const text = `${name}(${Object.entries(args).map(([k, v]) => `${k}=${argText(v)}`).join(', ')})`;
  return { kind: 'call', fn: name, args, expect, as, text, where: pathText(path), at: path };
}

function pathText(path: readonly PathItem[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s;
}

function fnOf(step: CallStep, version: KernelVersion): CallFn {
  const f = findCallFn(step.fn, version);
  if ('error' in f) throw new Error(`call ${step.fn} was validated for another kernel`);
  return f.fn;
}

/** Where each name is bound: its kind, the thread (index) and the step. */
interface Binder { readonly kind: BindKind; readonly thread: number; readonly step: CallStep }

function bindersOf(threads: readonly { steps: readonly { kind: string }[] }[], version: KernelVersion, dup?: (s: CallStep, name: string) => void): Map<string, Binder> {
  const out = new Map<string, Binder>();
  threads.forEach((t, ti) => {
    for (const s of t.steps) {
      if (s.kind !== 'call') continue;
      const step = s as CallStep;
      const fn = fnOf(step, version);
      const names: [string, BindKind][] = [];
      if (step.as && fn.binds) names.push([step.as, fn.binds]);
      for (const p of fn.params) if (p.out && step.args[p.name]?.t === 'ref') names.push([(step.args[p.name] as { v: string }).v, 'map']);
      for (const [n, kind] of names) {
        const prev = out.get(n);
        if (prev && !(kind === 'map' && prev.kind === 'map')) dup?.(step, n);
        else if (!prev) out.set(n, { kind, thread: ti, step });
      }
    }
  });
  return out;
}

function accepts(param: string, have: BindKind): boolean {
  if (param === have) return true;
  if (param === 'resv') return have === 'buf';
  if (param === 'bool') return have === 'int';
  if (param === 'fd') return have === 'int' || have === 'buf';
  return false;
}

/** Checks the names every call step uses against the names bound in the scenario. */
export function checkCallNames(threads: readonly { steps: readonly { kind: string }[] }[], version: KernelVersion, r: CallReporter): void {
  const binders = bindersOf(threads, version, (s, n) => r.atPath([...s.at, 'as'], `the name "${n}" is bound twice`));
  const known = [...binders.keys(), ...Object.keys(BUILTIN_NAMES)];
  for (const t of threads) {
    for (const s of t.steps) {
      if (s.kind !== 'call') continue;
      const step = s as CallStep;
      const fn = fnOf(step, version);
      for (const p of fn.params) {
        const a = step.args[p.name];
        if (!a || a.t !== 'ref' || p.out) continue;
        const have = BUILTIN_NAMES[a.v] ?? binders.get(a.v)?.kind;
        if (!have) r.atPath([...step.at, 'args', p.name], `"${a.v}" is not bound by any step's "as"${didYouMean(a.v, known)}`);
        else if (!accepts(p.kind, have)) r.atPath([...step.at, 'args', p.name], `"${a.v}" is a ${have}, ${fn.name}'s ${p.name} expects a ${p.kind}`);
      }
    }
  }
}

/** The call state of one execution. */
export interface CallEnv {
  readonly c: CallCtx;
  readonly version: KernelVersion;
  readonly binders: ReadonlyMap<string, Binder>;
  /** names another thread than their binder uses: binding and lookup are visible steps */
  readonly nameObjs: ReadonlyMap<string, number>;
  readonly bindings: Map<string, { ok: boolean; value: unknown }>;
}

export function newCallEnv(
  k: Kernel, rt: Runtime, exporter: ExporterInstance, importers: ReadonlyMap<string, ImporterInstance>, threads: readonly { steps: readonly { kind: string }[] }[],
): CallEnv {
  const binders = bindersOf(threads, k.version);
  const nameObjs = new Map<string, number>();
  threads.forEach((t, ti) => {
    for (const s of t.steps) {
      if (s.kind !== 'call') continue;
      for (const a of Object.values((s as CallStep).args)) {
        if (a.t !== 'ref') continue;
        const b = binders.get(a.v);
        if (b && b.thread !== ti && !nameObjs.has(a.v)) nameObjs.set(a.v, rt.newObject(`name ${a.v}`));
      }
    }
  });
  return { c: newCallCtx(k, rt, exporter, importers), version: k.version, binders, nameObjs, bindings: new Map() };
}

/** Runs one call step in the current thread; returns its value (0 for none) for the trace. */
export function* runCall(env: CallEnv, step: CallStep): Proc<number> {
  const { c } = env;
  const rt = c.rt;
  const fn = fnOf(step, env.version);
  yield local(step.text, undefined, 'step', 'step');
  const unexpected = (msg: string) => rt.report('unexpected-result', fn.rule, `${step.where} ${step.text}: ${msg}`);

  // Look the names up (a visible read where another thread binds them).
  const refs = fn.params.filter((p) => !p.out && step.args[p.name]?.t === 'ref').map((p) => (step.args[p.name] as { v: string }).v);
  const remote = refs.filter((n) => env.nameObjs.has(n)).map((n) => env.nameObjs.get(n)!);
  if (remote.length) yield { kind: OpKind.Read, obj: remote[0]!, write: false, also: remote.slice(1), label: 'look up names', detail: refs.join(' ') };
  const args: Record<string, unknown> = {};
  for (const p of fn.params) {
    const a = step.args[p.name];
    if (p.out) { args[p.name] = a && a.t === 'ref' ? a.v : null; continue; }
    if (!a) { args[p.name] = p.dflt; continue; }
    if (a.t !== 'ref') { args[p.name] = a.t === 'null' ? null : a.t === 'raw' ? a.v : a.v; continue; }
    if (a.v === 'buf') { args[p.name] = c.exporter.buf; continue; }
    const b = env.bindings.get(a.v);
    if (!b || !b.ok) {
      unexpected(`uses "${a.v}" ${b ? 'after the step that makes it failed' : 'before the step that makes it has run'}`);
      yield* bind(env, step, fn, null, false);
      yield local(`${step.text} skipped`, undefined, 'step', 'step-end');
      return -22;
    }
    args[p.name] = b.value;
  }

  c.asName = step.as;
  const start = rt.violations.length;
  const me = rt.currentName;
  let out: { v: number | null; bind?: unknown } | null = null;
  try {
    out = yield* fn.run(c, args);
  } finally {
    const warned = rt.violations.filter((v, i) => i >= start && v.property === 'api-misuse' && v.thread === me);
    const e = step.expect;
    if (e?.t === 'warn') {
      if (warned.length) for (const w of warned) rt.violations.splice(rt.violations.indexOf(w), 1);
      else if (out) unexpected(`expected a WARN, none fired (returned ${resultText(out.v)})`);
    } else if (e && !out) unexpected(`expected ${expectText(e)}, the call hit a BUG`);
    else if (e && out) {
      const v = out.v;
      const fine = e.t === 'ok' ? warned.length === 0 && (v === null || v >= 0) : v === e.v;
      if (!fine) unexpected(`expected ${expectText(e)}, got ${warned.length && e.t === 'ok' ? 'a WARN' : resultText(v)}`);
    }
    if (out && fn.timeout && out.v === 0) {
      const t = args[fn.timeout];
      const finite = typeof t === 'number' && t > 0;
      if (finite && !(e?.t === 'num' && e.v === 0)) rt.report('wait-timeout', 'P9', `${step.where} ${step.text} timed out`);
    }
  }
  c.asName = null;
  const res = out!;
  const okRun = res.v === null || res.v >= 0;
  if (res.bind && (fn.name === 'dma_buf_attach' || fn.name === 'dma_buf_dynamic_attach')) c.trackAttachment(res.bind as DmaBufAttachment);
  yield* bind(env, step, fn, res.bind, okRun && res.bind !== undefined && res.bind !== null);
  yield local(`${step.text} ${okRun ? 'returned' : 'failed'}`, resultText(res.v), 'step', 'step-end');
  return res.v ?? 0;
}

function* bind(env: CallEnv, step: CallStep, fn: CallFn, value: unknown, ok: boolean): Proc {
  const names: [string, unknown, boolean][] = [];
  if (step.as) names.push([step.as, value, ok]);
  for (const p of fn.params) {
    const a = step.args[p.name];
    if (p.out && a?.t === 'ref') names.push([a.v, env.c.iosysMap(a.v), true]);
  }
  for (const [n, v, good] of names) {
    const obj = env.nameObjs.get(n);
    const set = () => { env.bindings.set(n, { ok: good, value: v }); };
    if (obj === undefined) set();
    else yield { kind: OpKind.Write, obj, write: true, label: `bind ${n}`, apply: set };
  }
}

function resultText(v: number | null): string {
  return v === null ? 'nothing' : v < 0 ? errnoName(v) : String(v);
}

export { isObjectKind };
