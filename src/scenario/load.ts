/**
 * Loading a scenario file: YAML with positions (yaml), the structural schema (valibot),
 * then the checks that need the driver catalogue. Every problem is reported, each with
 * file:line:column and its field path (spec/scenario-format.md §2).
 */
import { createHash } from 'node:crypto';
import * as v from 'valibot';
import { isMap, isScalar, type Node } from 'yaml';
import { findExporter, findImporter, EXPORTERS, IMPORTERS } from '../drivers/catalogue.ts';
import { REVOKE_TRIGGERS, type DriverInfo, type ExporterOp, type ImporterOp, type RevokeTrigger } from '../drivers/types.ts';
import { PROPERTIES, type PropertyId } from '../sim/violation.ts';
import { scenarioDocument } from './document.ts';
import { didYouMean, InputError, type InputIssue } from './errors.ts';
import { LIMITS } from './limits.ts';
import { fieldNames, ScenarioSchema } from './schema.ts';
import { checkCallNames, parseCallStep } from './calls.ts';
import type { ImporterSpec, Scenario, Step } from './types.ts';

// The ops a scenario can name are the ones some driver of the catalogue declares.
const EXPORTER_OPS = [...new Set(EXPORTERS.flatMap((d) => d.ops))] as readonly ExporterOp[];
const IMPORTER_OPS = [...new Set(IMPORTERS.flatMap((d) => d.ops))] as readonly ImporterOp[];

type PathItem = string | number;

function pathText(path: readonly PathItem[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s;
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return 'nothing';
  if (typeof x === 'string') return `"${x}"`;
  if (Array.isArray(x)) return x.length ? `a list of ${x.length}` : 'an empty list';
  if (typeof x === 'object') return Object.keys(x).length ? 'a map' : 'an empty map';
  return `${typeof x} ${String(x)}`;
}

/**
 * Parses and validates scenario text; throws InputError listing every problem (the size
 * limits of limits.ts stop at the first, before the YAML is parsed).
 */
export function parseScenario(text: string, file: string): Scenario {
  const { doc, lc, raw } = scenarioDocument(text, file);
  const issues: InputIssue[] = [];
  const at = (offset: number, path: readonly PathItem[], message: string) => {
    const { line, col } = lc.linePos(offset);
    issues.push({ file, line, col, path: pathText(path), message });
  };
  const nodeAt = (path: readonly PathItem[]): Node | null => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : (doc.getIn(path.slice(0, n), true) as Node | undefined);
      if (node && typeof node === 'object' && 'range' in node && node.range) return node;
    }
    return null;
  };
  const atPath = (path: readonly PathItem[], message: string) => at(nodeAt(path)?.range?.[0] ?? 0, path, message);
  const keyAt = (path: readonly PathItem[], message: string) => {
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
      if (pair && isScalar(pair.key) && pair.key.range) return at(pair.key.range[0], path, message);
    }
    atPath(path, message);
  };

  const parsed = v.safeParse(ScenarioSchema, raw);
  if (!parsed.success) {
    for (const issue of parsed.issues) {
      const path = (issue.path ?? []).map((p) => p.key as PathItem);
      if (issue.type === 'strict_object' && issue.input !== undefined) {
        keyAt(path, `unknown key "${String(path[path.length - 1])}"${didYouMean(String(path[path.length - 1]), fieldNames(path.slice(0, -1)))}`);
      } else if (issue.input === undefined) {
        atPath(path, `missing required field "${String(path[path.length - 1])}"`);
      } else {
        const msg = issue.message.startsWith('Invalid') ? `expected ${issue.expected ?? 'a valid value'}, found ${describe(issue.input)}` : `${issue.message}, found ${describe(issue.input)}`;
        atPath(path, msg);
      }
    }
    throw new InputError(issues);
  }
  const s = parsed.output;
  if (s.kernel && (s.kernel === 'v3' || s.kernel === 'landed') && s.config?.['move-notify'] !== undefined) {
    keyAt(['config', 'move-notify'], `CONFIG_DMABUF_MOVE_NOTIFY does not exist in kernel ${s.kernel} (removed in v3)`);
  }
  if (!s.kernel && s.config?.['move-notify'] !== undefined) keyAt(['config', 'move-notify'], 'CONFIG_DMABUF_MOVE_NOTIFY does not exist in kernel landed (the default); set kernel: pre or v2');
  const kernel = s.kernel ?? 'landed';

  const variantOf = (d: DriverInfo, variant: string | undefined, path: PathItem[]): string => {
    const name = variant ?? 'correct';
    const info = d.variants.find((x) => x.name === name);
    if (!info) atPath(path, `driver ${d.name} has no variant "${name}"${didYouMean(name, d.variants.map((x) => x.name))}; it has ${d.variants.map((x) => x.name).join(', ')}`);
    else if (info.kernels && !info.kernels.includes(kernel)) atPath(path, `variant ${d.name}/${name} exists only with kernel: ${info.kernels.join(' or ')}, not ${kernel}`);
    return name;
  };

  const exp = findExporter(s.exporter.driver);
  if (!exp) {
    const imp = findImporter(s.exporter.driver);
    atPath(['exporter', 'driver'], imp ? `"${s.exporter.driver}" is an importer, expected an exporter driver (${EXPORTERS.map((d) => d.name).join(', ')})` : `unknown exporter driver "${s.exporter.driver}"${didYouMean(s.exporter.driver, EXPORTERS.map((d) => d.name))}`);
  }
  const exporterVariant = exp ? variantOf(exp, s.exporter.variant, ['exporter', s.exporter.variant === undefined ? 'driver' : 'variant']) : 'correct';

  if (s.importers.length > LIMITS.importers) atPath(['importers'], `at most ${LIMITS.importers} importers can be explored, found ${s.importers.length}`);
  const importers: ImporterSpec[] = [];
  const importerDrivers = new Map<string, DriverInfo>();
  s.importers.forEach((im, i) => {
    const d = findImporter(im.driver);
    if (importerDrivers.has(im.id) || importers.some((x) => x.id === im.id)) atPath(['importers', i, 'id'], `importer id "${im.id}" is declared twice`);
    if (!d) {
      atPath(['importers', i, 'driver'], findExporter(im.driver) ? `"${im.driver}" is an exporter, expected an importer driver (${IMPORTERS.map((x) => x.name).join(', ')})` : `unknown importer driver "${im.driver}"${didYouMean(im.driver, IMPORTERS.map((x) => x.name))}`);
      return;
    }
    const variant = variantOf(d, im.variant, ['importers', i, im.variant === undefined ? 'driver' : 'variant']);
    for (const key of ['pinned', 'speculative-reads'] as const) {
      if (im[key] !== undefined && !d.keys?.includes(key)) keyAt(['importers', i, key], `driver ${d.name} has no key "${key}"`);
    }
    if (im.peer2peer !== undefined && !d.dynamic) keyAt(['importers', i, 'peer2peer'], `peer2peer applies to dynamic importers only; ${d.name} is not one`);
    importerDrivers.set(im.id, d);
    importers.push({ id: im.id, driver: d.name, variant, peer2peer: im.peer2peer ?? true, pinned: im.pinned ?? false, speculativeReads: im['speculative-reads'] });
  });

  if (s.threads.length > LIMITS.threads) atPath(['threads'], `at most ${LIMITS.threads} threads can be explored, found ${s.threads.length}`);
  const names = new Set<string>();
  const threads = s.threads.map((t, ti) => {
    if (names.has(t.name)) atPath(['threads', ti, 'name'], `thread name "${t.name}" is used twice`);
    names.add(t.name);
    const steps: Step[] = [];
    // the steps of an overlong thread are not judged one by one: the limit is the problem
    if (t.steps.length > LIMITS.steps) {
      atPath(['threads', ti, 'steps'], `at most ${LIMITS.steps} steps a thread, found ${t.steps.length}`);
      return { name: t.name, steps };
    }
    t.steps.forEach((st, si) => {
      const step = parseStep(st, ['threads', ti, 'steps', si]);
      if (step) steps.push(step);
    });
    return { name: t.name, steps };
  });
  if (!issues.length) checkCallNames(threads, kernel, { atPath, keyAt, describe });

  function parseStep(st: unknown, path: PathItem[]): Step | null {
    let op: string;
    let args: unknown;
    if (typeof st === 'string') { op = st; args = undefined; }
    else if (st && typeof st === 'object' && !Array.isArray(st) && Object.keys(st).length >= 1) {
      const keys = Object.keys(st);
      op = keys[0]!;
      if (op === 'call' || keys.includes('call')) return parseCallStep(st as Record<string, unknown>, path, kernel, { atPath, keyAt, describe });
      if (keys.length > 1) { keyAt([...path, keys[1]!], `a step is a one-key map {op: args}; unexpected key "${keys[1]}"`); return null; }
      args = (st as Record<string, unknown>)[op];
    } else {
      atPath(path, `expected an operation (a string or a one-key map), found ${describe(st)}`);
      return null;
    }
    const argPath = typeof st === 'string' ? path : [...path, op];
    if ((EXPORTER_OPS as readonly string[]).includes(op)) {
      const eop = op as ExporterOp;
      if (exp && !exp.ops.includes(eop)) { atPath(argPath, `exporter ${exp.name} has no operation "${op}"; it supports ${exp.ops.join(', ')}`); return null; }
      let trigger: RevokeTrigger | undefined;
      if (args !== undefined && args !== null) {
        const a = args as Record<string, unknown>;
        if (eop !== 'revoke' || typeof args !== 'object' || Array.isArray(args)) { atPath(argPath, `"${op}" takes no arguments, found ${describe(args)}`); return null; }
        for (const key of Object.keys(a)) if (key !== 'trigger') keyAt([...argPath, key], `unknown key "${key}" of revoke${didYouMean(key, ['trigger'])}`);
        if (a.trigger !== undefined) {
          if (typeof a.trigger !== 'string' || !(REVOKE_TRIGGERS as readonly string[]).includes(a.trigger)) { atPath([...argPath, 'trigger'], `expected one of ${REVOKE_TRIGGERS.join(', ')}, found ${describe(a.trigger)}${didYouMean(String(a.trigger), REVOKE_TRIGGERS)}`); return null; }
          trigger = a.trigger as RevokeTrigger;
          if (exp && exp.name !== 'vfio-pci') { atPath([...argPath, 'trigger'], `revoke triggers apply to vfio-pci only`); return null; }
        }
      }
      return { kind: 'exporter', op: eop, trigger, text: trigger ? `revoke(${trigger})` : op };
    }
    if ((IMPORTER_OPS as readonly string[]).includes(op)) {
      const iop = op as ImporterOp;
      let importer: unknown;
      let count = 1;
      let write = true;
      if (typeof args === 'string') importer = args;
      else if (args && typeof args === 'object' && !Array.isArray(args)) {
        const a = args as Record<string, unknown>;
        const allowed = iop === 'dma' ? ['importer', 'count', 'write'] : ['importer'];
        for (const key of Object.keys(a)) if (!allowed.includes(key)) keyAt([...argPath, key], `unknown key "${key}" of ${op}${didYouMean(key, allowed)}`);
        importer = a.importer;
        if (a.count !== undefined) {
          if (typeof a.count !== 'number' || !Number.isInteger(a.count) || a.count < 1) atPath([...argPath, 'count'], `expected an integer >= 1, found ${describe(a.count)}`);
          else if (a.count > LIMITS.count) atPath([...argPath, 'count'], `at most ${LIMITS.count} transfers a step can be explored, found ${a.count}`);
          else count = a.count;
        }
        if (a.write !== undefined) {
          if (typeof a.write !== 'boolean') atPath([...argPath, 'write'], `expected true or false, found ${describe(a.write)}`);
          else write = a.write;
        }
      } else { atPath(argPath, `"${op}" needs an importer id, found ${describe(args)}`); return null; }
      if (typeof importer !== 'string') { atPath(typeof args === 'object' ? [...argPath, 'importer'] : argPath, `expected an importer id, found ${describe(importer)}`); return null; }
      const d = importerDrivers.get(importer);
      if (!d) {
        if (!s.importers.some((x) => x.id === importer)) atPath(typeof args === 'object' ? [...argPath, 'importer'] : argPath, `importer "${importer}" is not declared under importers${didYouMean(importer, s.importers.map((x) => x.id))}`);
        return null;
      }
      if (!d.ops.includes(iop)) { atPath(argPath, `"${op}" is n/a for importer driver ${d.name} (rule book §5)`); return null; }
      return { kind: 'importer', op: iop, importer, count, write, text: iop === 'dma' ? `dma(${importer}, ${count}${write ? '' : ', read'})` : `${op}(${importer})` };
    }
    atPath(path, `unknown operation "${op}"${didYouMean(op, [...EXPORTER_OPS, ...IMPORTER_OPS, 'call'])}`);
    return null;
  }

  let expect: Scenario['expect'] = null;
  if (s.expect) {
    const props = s.expect.property === undefined ? [] : Array.isArray(s.expect.property) ? s.expect.property : [s.expect.property];
    props.forEach((p, i) => {
      if (!(PROPERTIES as readonly string[]).includes(p)) atPath(Array.isArray(s.expect!.property) ? ['expect', 'property', i] : ['expect', 'property'], `unknown property "${p}"${didYouMean(p, PROPERTIES)}`);
    });
    if (s.expect.verdict === 'violation' && props.length === 0) atPath(['expect'], 'expect.property is required when verdict is violation');
    if (s.expect.verdict === 'safe' && props.length > 0) atPath(['expect', 'property'], 'a safe verdict takes no property');
    expect = { verdict: s.expect.verdict, properties: props as PropertyId[] };
  }
  if (issues.length) throw new InputError(issues);

  return {
    name: s.name, description: s.description ?? '', file, hash: contentHash(text), kernel, moveNotify: s.config?.['move-notify'] ?? false,
    exporter: { driver: exp!.name, variant: exporterVariant }, importers, threads, expect,
    check: { preemptions: s.check?.preemptions, maxExecutions: s.check?.['max-executions'] }, source: text,
  };
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

