// Helpers for the rule tests: scenarios of `call` steps built in code (JSON is YAML).
import assert from 'node:assert/strict';
import { checkScenario } from '../src/check/check.ts';
import type { ScenarioResult } from '../src/check/result.ts';
import { parseScenario } from '../src/scenario/load.ts';
import type { Scenario } from '../src/scenario/types.ts';

export type StepIn = Record<string, unknown> | string;

/** A call step: c('dma_fence_signal', {fence: 'f1'}, 'ok'). */
export function c(call: string, args: Record<string, unknown> = {}, expect?: unknown, as?: string): StepIn {
  return { call, args, ...(expect !== undefined ? { expect } : {}), ...(as ? { as } : {}) };
}

export interface Opts {
  kernel?: 'pre' | 'v2' | 'v3' | 'landed';
  moveNotify?: boolean;
  expect?: { verdict: 'safe' | 'violation'; property?: string | string[] };
  exporter?: string;
  name?: string;
}

export function scenario(threads: Record<string, StepIn[]>, o: Opts = {}): Scenario {
  const doc = {
    name: o.name ?? 'rule-test',
    ...(o.kernel ? { kernel: o.kernel } : {}),
    ...(o.moveNotify !== undefined ? { config: { 'move-notify': o.moveNotify } } : {}),
    exporter: { driver: o.exporter ?? 'vfio-pci' },
    importers: [],
    threads: Object.entries(threads).map(([name, steps]) => ({ name, steps })),
    ...(o.expect ? { expect: o.expect } : {}),
  };
  return parseScenario(JSON.stringify(doc, null, 1), 'rule-test.yaml');
}

export function check(threads: Record<string, StepIn[]>, o: Opts = {}): ScenarioResult {
  return checkScenario(scenario(threads, o), { maxExecutions: 2000 });
}

/** Every expectation holds in every schedule. */
export function safe(threads: Record<string, StepIn[]>, o: Opts = {}): ScenarioResult {
  const r = check(threads, o);
  assert.equal(r.verdict, 'safe', r.violation ? `${r.violation.property} (${r.violation.rule}): ${r.violation.message}` : '');
  assert.equal(r.complete, true);
  return r;
}

/** Some schedule records `property` (with `rule` when given). */
export function violates(threads: Record<string, StepIn[]>, property: string, rule?: string, o: Opts = {}): ScenarioResult {
  const r = check(threads, { ...o, expect: { verdict: 'violation', property } });
  assert.equal(r.ok, true, `expected ${property}; saw ${r.violations.join(', ') || 'nothing'}${r.violation ? `: ${r.violation.message}` : ''}`);
  if (rule) assert.equal(r.violation?.rule, rule, r.violation?.message);
  return r;
}

/** Loading must fail with a message matching `re`. */
export function rejects(threads: Record<string, StepIn[]>, re: RegExp, o: Opts = {}): void {
  assert.throws(() => scenario(threads, o), (e: Error) => { assert.match(e.message, re); return true; });
}

export const fence = (as: string, args: Record<string, unknown> = {}) => c('dma_fence_init', args, undefined, as);

import { explore } from '../src/check/explore.ts';
import { newKernel, type Kernel } from '../src/kernel/kernel.ts';
import type { Proc } from '../src/sim/op.ts';
import { Runtime } from '../src/sim/runtime.ts';
import type { Violation } from '../src/sim/violation.ts';

/**
 * Explores every schedule of threads written directly against the kernel model; returns
 * the violations of each execution (and the event labels, to check orders).
 */
export function model(setup: (k: Kernel) => Record<string, () => Proc<unknown>>, version: Kernel['version'] = 'landed'): { violations: Violation[][]; traces: string[][] } {
  const out = { violations: [] as Violation[][], traces: [] as string[][] };
  explore(() => {
    const rt = new Runtime();
    const k = newKernel(rt, version);
    for (const [name, body] of Object.entries(setup(k))) rt.spawn(name, body);
    rt.start();
    return rt;
  }, { strategy: 'exhaustive', maxExecutions: 5000 }, (rt) => {
    out.violations.push([...rt.violations]);
    out.traces.push(rt.events.map((e) => `${rt.threads[e.tid]!.name}:${e.op.label}`));
    return false;
  });
  return out;
}
