/**
 * What `dmabuf-lab fuzz` draws from: the exporter and importer variants named on the
 * command line, completed with the `correct` variants of the drivers that can take their
 * place, and the kernel versions in which they all exist. Unknown names are reported as
 * data (a message with a "did you mean"), never thrown.
 */
import { EXPORTERS, IMPORTERS } from '../drivers/catalogue.ts';
import type { DriverInfo } from '../drivers/types.ts';
import { KERNEL_VERSIONS, type KernelVersion } from '../kernel/kernel.ts';
import { didYouMean } from '../scenario/errors.ts';
import { kernelsFor, type DriverVariant, type GenTarget } from '../scenario/generate.ts';
import { parseScenario } from '../scenario/load.ts';
import { scenarioText } from '../scenario/text.ts';
import { runSchedule } from './replay.ts';

export interface FuzzRequest {
  /** `driver` or `driver/variant` (variant default `correct`) */
  readonly exporter?: string;
  readonly importers?: readonly string[];
  /** a version, `any` (draw from every version the variants exist in), or the default */
  readonly kernel?: string;
}

export type Resolved<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const fail = <T>(error: string): Resolved<T> => ({ ok: false, error });

/** `driver[/variant]` against one side of the catalogue. */
export function parseDriverVariant(text: string, role: 'exporter' | 'importer'): Resolved<DriverVariant> {
  const [driver = '', variant = 'correct', extra] = text.split('/');
  const side = role === 'exporter' ? EXPORTERS : IMPORTERS;
  const other = role === 'exporter' ? IMPORTERS : EXPORTERS;
  if (extra !== undefined) return fail(`--${role} ${text}: expected driver or driver/variant`);
  const d = side.find((x) => x.name === driver);
  if (!d) {
    const wrongSide = other.some((x) => x.name === driver) ? ` ("${driver}" is an ${role === 'exporter' ? 'importer' : 'exporter'})` : didYouMean(driver, side.map((x) => x.name));
    return fail(`unknown ${role} driver "${driver}"${wrongSide}; ${role}s: ${side.map((x) => x.name).join(', ')}`);
  }
  if (!d.variants.some((v) => v.name === variant)) {
    return fail(`driver ${d.name} has no variant "${variant}"${didYouMean(variant, d.variants.map((v) => v.name))}; it has ${d.variants.map((v) => v.name).join(', ')}`);
  }
  return { ok: true, value: { driver: d.name, variant } };
}

const correct = (d: DriverInfo): DriverVariant => ({ driver: d.name, variant: 'correct' });

/**
 * Whether `imp` gets a mapping of `exp`'s buffer on kernel `k` when nothing races it (one
 * execution of import + release): a refused import (static on VFIO, a pinned importer on a
 * revoking exporter) has no revoke path to explore.
 */
export function canImport(exp: DriverVariant, imp: DriverVariant, k: KernelVersion): boolean {
  // before v3 a dynamic importer may need CONFIG_DMABUF_MOVE_NOTIFY, which scenarios draw
  return (k === 'pre' || k === 'v2' ? [false, true] : [false]).some((moveNotify) => importsWith(exp, imp, k, moveNotify));
}

function importsWith(exp: DriverVariant, imp: DriverVariant, k: KernelVersion, moveNotify: boolean): boolean {
  const d = IMPORTERS.find((x) => x.name === imp.driver)!;
  const text = scenarioText({
    name: 'probe', description: '', kernel: k, moveNotify, exporter: exp, expect: null,
    importers: [{ id: 'dev', driver: imp.driver, variant: imp.variant, peer2peer: true, pinned: false, speculativeReads: undefined }],
    threads: [{ name: 'user', steps: [
      { kind: 'importer', op: 'import', importer: 'dev', count: 1, write: true, text: 'import(dev)' },
      { kind: 'importer', op: 'release', importer: 'dev', count: 1, write: true, text: 'release(dev)' },
    ] }],
  }, () => d.dynamic === true);
  const { rt } = runSchedule(parseScenario(text, 'probe.yaml'), []);
  return !rt.events.some((e) => e.op.label === 'import(dev) failed');
}

/** An error message when `kernel` is neither a version nor `any`, else null. */
export function badKernel(kernel: string | undefined): string | null {
  if (kernel === undefined || kernel === 'any' || (KERNEL_VERSIONS as readonly string[]).includes(kernel)) return null;
  return `unknown kernel "${kernel}"${didYouMean(kernel, [...KERNEL_VERSIONS, 'any'])}; expected ${KERNEL_VERSIONS.join(', ')} or any`;
}

/** The kernels a run draws from: `any`, one version, or landed (else the newest) by default. */
function kernelsOf(fixed: readonly DriverVariant[], kernel: string | undefined): Resolved<KernelVersion[]> {
  const possible = kernelsFor(fixed);
  const names = fixed.map((x) => `${x.driver}/${x.variant}`).join(', ');
  if (!possible.length) return fail(`${names} exist in no common kernel version`);
  if (kernel === undefined) return { ok: true, value: [possible.includes('landed') ? 'landed' : possible[possible.length - 1]!] };
  if (kernel === 'any') return { ok: true, value: possible };
  const bad = badKernel(kernel);
  if (bad) return fail(bad);
  if (!possible.includes(kernel as KernelVersion)) return fail(`${names} do not all exist in kernel ${kernel} (they do in ${possible.join(', ')})`);
  return { ok: true, value: [kernel as KernelVersion] };
}

/**
 * The generation targets of a request, one per exporter (scenarios take them in turn).
 * Given only an exporter, importers are drawn from the correct variants of every importer
 * driver that can import from it; given importers, every scenario has them, the exporter
 * (when not given) is the correct variant of each exporter they can all import from, and
 * further importers are correct variants.
 */
export function resolveTargets(req: FuzzRequest): Resolved<GenTarget[]> {
  let exporter: DriverVariant | undefined;
  if (req.exporter !== undefined) {
    const e = parseDriverVariant(req.exporter, 'exporter');
    if (!e.ok) return e;
    exporter = e.value;
  }
  const required: DriverVariant[] = [];
  for (const text of req.importers ?? []) {
    const i = parseDriverVariant(text, 'importer');
    if (!i.ok) return i;
    required.push(i.value);
  }
  if (required.length > 3) return fail(`at most 3 --importer (a scenario has 1-3 importers), found ${required.length}`);
  const exporters = exporter ? [exporter] : EXPORTERS.map(correct);
  const targets: GenTarget[] = [];
  let lastError = '';
  for (const exp of exporters) {
    const ks = kernelsOf([exp, ...required], req.kernel);
    if (!ks.ok) { lastError = ks.error; continue; }
    const takes = (imp: DriverVariant) => ks.value.some((k) => kernelsFor([imp]).includes(k) && canImport(exp, imp, k));
    if (!exporter && !required.every(takes)) continue;
    const pool = IMPORTERS.map(correct).filter(takes);
    if (!pool.length && !required.length) {
      lastError = `no correct importer can import from ${exp.driver}/${exp.variant} on kernel ${ks.value.join(' or ')}`;
      continue;
    }
    targets.push({ exporter: exp, importers: pool.length ? pool : required, required, kernels: ks.value });
  }
  if (!targets.length) return fail(lastError || `no exporter can export to ${required.map((x) => `${x.driver}/${x.variant}`).join(', ')}`);
  return { ok: true, value: targets };
}
