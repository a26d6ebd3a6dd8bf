// Generated small programs as data worlds for the stateful search, and a naive tree
// enumeration of the same programs over plain arrays that shares no code with the store,
// the hash, the visited set or the search: the oracle the tests compare against.
import fc from 'fast-check';
import type { PropertyId } from '../src/sim/violation.ts';
import { Store, StoreLayout } from '../src/sim/store.ts';
import type { StatefulModel, ViolationSink } from '../src/check/stateful.ts';
import type { SymmetryGroup } from '../src/check/state-symmetry.ts';

/** One step of a thread, or (`section`) a lock section run as one transaction. */
export type Instr =
  | { k: 'set'; x: number; v: number }
  | { k: 'add'; x: number; v: number }
  | { k: 'load'; x: number }
  | { k: 'store'; x: number; v: number }
  | { k: 'lock'; l: number }
  | { k: 'unlock'; l: number }
  | { k: 'wait'; x: number; v: number }
  | { k: 'assert'; x: number; v: number }
  | { k: 'section'; l: number; body: Instr[] };

export interface Prog {
  readonly vars: number;
  readonly locks: number;
  readonly threads: Instr[][];
}

const VARS = 2;
const LOCKS = 2;
const x = fc.integer({ min: 0, max: VARS - 1 });
const v = fc.integer({ min: 0, max: 2 });
const l = fc.integer({ min: 0, max: LOCKS - 1 });
const bodyInstr: fc.Arbitrary<Instr> = fc.oneof(
  fc.record({ k: fc.constant('set' as const), x, v }),
  fc.record({ k: fc.constant('add' as const), x, v }),
  fc.record({ k: fc.constant('load' as const), x }),
  fc.record({ k: fc.constant('store' as const), x, v }),
  fc.record({ k: fc.constant('assert' as const), x, v }),
);
const instr: fc.Arbitrary<Instr> = fc.oneof(
  bodyInstr,
  fc.record({ k: fc.constant('lock' as const), l }),
  fc.record({ k: fc.constant('unlock' as const), l }),
  fc.record({ k: fc.constant('wait' as const), x, v }),
  fc.record({ k: fc.constant('section' as const), l, body: fc.array(bodyInstr, { minLength: 1, maxLength: 3 }) }),
);
const thread = fc.array(instr, { minLength: 1, maxLength: 4 });

/** Two to three threads; `twins` copies of thread 0 are appended (identical threads for symmetry). */
export const progArb: fc.Arbitrary<Prog> = fc
  .tuple(fc.array(thread, { minLength: 2, maxLength: 3 }), fc.integer({ min: 0, max: 1 }))
  .map(([threads, twins]) => ({ vars: VARS, locks: LOCKS, threads: [...threads, ...Array.from({ length: twins }, () => threads[0]!)] }));

/** Slot order shared by the model and the oracle: vars, lock owners (tid + 1), then (pc, r) per thread. */
function pcSlot(p: Prog, t: number): number {
  return p.vars + p.locks + 2 * t;
}

/**
 * The effects of a non-blocking instruction on a state vector (get/set abstract the
 * storage; `wait` reads a wait's condition). A `wait` inside a section body only reads
 * its condition: the mutant of a wait after the commit point.
 */
function run(p: Prog, i: Instr, t: number, get: (k: number) => number, set: (k: number, val: number) => void, report: (m: string) => void, reg: { get(): number; set(val: number): void }, wait: (k: number) => number = get): void {
  switch (i.k) {
    case 'set': set(i.x, i.v); break;
    case 'add': set(i.x, get(i.x) + i.v); break;
    case 'load': reg.set(get(i.x)); break;
    case 'store': set(i.x, reg.get() + i.v); break;
    case 'assert': if (get(i.x) === i.v) report(`x${i.x} == ${i.v}`); break;
    case 'unlock':
      if (get(p.vars + i.l) !== t + 1) report(`unlock of l${i.l}, not held`);
      else set(p.vars + i.l, 0);
      break;
    case 'lock': set(p.vars + i.l, t + 1); break;
    case 'section':
      set(p.vars + i.l, t + 1);
      for (const b of i.body) run(p, b, t, get, set, report, reg, wait);
      set(p.vars + i.l, 0);
      break;
    case 'wait': wait(i.x); break;
  }
}

function enabled(p: Prog, i: Instr, get: (k: number) => number, wait: (k: number) => number = get): boolean {
  if (i.k === 'lock' || i.k === 'section') return get(p.vars + i.l) === 0;
  if (i.k === 'wait') return wait(i.x) === i.v;
  return true;
}

/**
 * How the program's variables are declared for the transaction checks: `guarded`, var x
 * guarded by lock x % locks (a section on another lock touches it as its non-mover);
 * `shared`, every var its own atomic object (a section touching two vars breaks (a)).
 */
export type VarProtection = 'guarded' | 'shared';

/**
 * The program as a data world. `hideRegister`: the mutant that keeps each thread's
 * register in a JS array outside the store, a piece of state the search cannot see.
 */
export function progModel(p: Prog, hideRegister = false, vars: VarProtection = 'guarded'): StatefulModel {
  const layout = new StoreLayout();
  for (let k = 0; k < p.vars; k++) layout.field(`x${k}`);
  for (let k = 0; k < p.locks; k++) layout.lock(`l${k}`);
  for (let k = 0; k < p.vars; k++) layout.protect(k, 1, vars === 'guarded' ? { lock: p.vars + (k % p.locks) } : { shared: `x${k}` });
  // pc and register: the thread's own
  p.threads.forEach((_, t) => layout.field(`t${t}`, 2, { local: t }));
  const hidden = p.threads.map(() => 0);
  const groups: SymmetryGroup[] = [];
  const code = p.threads.map((c) => JSON.stringify(c));
  const grouped = new Set<number>();
  code.forEach((c, t) => {
    if (grouped.has(t)) return;
    const members = code.flatMap((d, u) => (d === c ? [u] : []));
    members.forEach((u) => grouped.add(u));
    if (members.length < 2) return;
    // lock owners name threads (tid + 1): a lock owned by a member is renamed with it
    groups.push({
      name: `t${members.join('=t')}`, bases: members.map((u) => pcSlot(p, u)), len: 2,
      refs: [{ slots: Array.from({ length: p.locks }, (_, k) => p.vars + k), stride: 1 }], owners: members,
    });
  });
  return {
    layout,
    threads: p.threads.map((_, t) => `t${t}`),
    init: () => {},
    step(s: Store, t: number, out: ViolationSink): boolean {
      const pcAt = pcSlot(p, t);
      const pc = s.get(pcAt);
      const ins = p.threads[t]![pc];
      if (!ins) return false;
      const get = (k: number) => s.get(k);
      const wait = (k: number) => s.wait(k);
      if (!enabled(p, ins, get, wait)) return false;
      const reg = hideRegister
        ? { get: () => hidden[t]!, set: (val: number) => { hidden[t] = val; } }
        : { get: () => s.get(pcAt + 1), set: (val: number) => s.set(pcAt + 1, val) };
      run(p, ins, t, get, (k, val) => s.set(k, val), (m) => out.report(ins.k === 'unlock' ? 'api-misuse' : 'dma-after-revoke', 'test', `t${t}: ${m}`), reg, wait);
      s.set(pcAt, pc + 1);
      return true;
    },
    finished: (s, t) => s.get(pcSlot(p, t)) >= p.threads[t]!.length,
    symmetry: groups,
  };
}

export interface Outcomes {
  /** terminal state vectors, prefixed D for deadlocked ones */
  readonly terminals: Set<string>;
  /** `property|message` of every violation met */
  readonly violations: Set<string>;
  /** every state reached (enumerate only) */
  readonly reachable?: Set<string>;
}

/** Naive exhaustive enumeration of every reachable state vector, cloning plain arrays. */
export function enumerate(p: Prog): Outcomes {
  const terminals = new Set<string>();
  const violations = new Set<string>();
  const reachable = new Set<string>();
  const size = pcSlot(p, p.threads.length);
  // memoised on the state vector: what a state leads to depends on the state alone, so a
  // revisit adds nothing (the plain tree took seconds on some generated programs)
  const go = (st: number[]) => {
    const key = st.join(',');
    if (reachable.has(key)) return;
    reachable.add(key);
    let any = false;
    p.threads.forEach((code, t) => {
      const pc = st[pcSlot(p, t)]!;
      const ins = code[pc];
      if (!ins || !enabled(p, ins, (k) => st[k]!)) return;
      any = true;
      const nx = st.slice();
      const r = pcSlot(p, t) + 1;
      run(p, ins, t, (k) => nx[k]!, (k, val) => { nx[k] = val; }, (m) => violations.add(`${ins.k === 'unlock' ? 'api-misuse' : 'dma-after-revoke'}|t${t}: ${m}`), { get: () => nx[r]!, set: (val) => { nx[r] = val; } });
      nx[pcSlot(p, t)] = pc + 1;
      go(nx);
    });
    if (any) return;
    const stuck = p.threads.some((code, t) => st[pcSlot(p, t)]! < code.length);
    terminals.add(`${stuck ? 'D' : ''}${st.join(',')}`);
  };
  go(new Array<number>(size).fill(0));
  return { terminals, violations, reachable };
}

export function propertiesOf(o: Outcomes): Set<PropertyId> {
  const out = new Set<PropertyId>([...o.violations].map((k) => k.split('|')[0] as PropertyId));
  if ([...o.terminals].some((k) => k.startsWith('D'))) out.add('deadlock');
  return out;
}
