/**
 * Writing a scenario back as YAML text (spec/scenario-format.md §1): what `fuzz` writes for
 * a finding, and what the generator hands to the loader. Driver operations only: a `call`
 * step has no written form here (the generator makes none, and reduction only removes).
 */
import type { ImporterSpec, Scenario, Step } from './types.ts';

/** The parts of a scenario that have a written form; a loaded Scenario is one. */
export interface ScenarioDraft {
  readonly name: string;
  readonly description: string;
  readonly kernel: Scenario['kernel'];
  readonly moveNotify: boolean;
  readonly exporter: Scenario['exporter'];
  readonly importers: readonly ImporterSpec[];
  readonly threads: readonly { readonly name: string; readonly steps: readonly Step[] }[];
  readonly expect: Scenario['expect'];
}

/** Dynamic importers take `peer2peer`; every other importer key is the driver's own. */
function importerText(m: ImporterSpec, dynamic: boolean): string {
  const f = [`id: ${m.id}`, `driver: ${m.driver}`, `variant: ${m.variant}`];
  if (dynamic && !m.peer2peer) f.push('peer2peer: false');
  if (m.pinned) f.push('pinned: true');
  if (m.speculativeReads !== undefined) f.push(`speculative-reads: ${m.speculativeReads}`);
  return `  - {${f.join(', ')}}`;
}

function stepText(s: Step): string {
  if (s.kind === 'exporter') return s.trigger ? `${s.op}: {trigger: ${s.trigger}}` : s.op;
  if (s.kind === 'importer') {
    if (s.op !== 'dma') return `${s.op}: ${s.importer}`;
    return `dma: {importer: ${s.importer}, count: ${s.count}${s.write ? '' : ', write: false'}}`;
  }
  throw new Error(`scenarioText: a call step (${s.text}) has no written form`);
}

/**
 * The YAML text of `d`, after `comments` (each a `#` line). `dynamic(driver)` says whether
 * an importer driver takes `peer2peer` (the catalogue's `dynamic`). Deterministic: the same
 * draft gives the same text, hence the same content hash in schedule tokens.
 */
export function scenarioText(d: ScenarioDraft, dynamic: (driver: string) => boolean, comments: readonly string[] = []): string {
  const lines = comments.map((c) => `# ${c}`);
  lines.push(`name: ${d.name}`);
  if (d.description) lines.push(`description: ${JSON.stringify(d.description)}`);
  lines.push(`kernel: ${d.kernel}`);
  if (d.moveNotify) lines.push('config: {move-notify: true}');
  lines.push(`exporter: {driver: ${d.exporter.driver}, variant: ${d.exporter.variant}}`);
  lines.push(d.importers.length ? 'importers:' : 'importers: []');
  for (const m of d.importers) lines.push(importerText(m, dynamic(m.driver)));
  lines.push('threads:');
  for (const t of d.threads) {
    lines.push(`  - name: ${t.name}`, '    steps:');
    for (const s of t.steps) lines.push(`      - ${stepText(s)}`);
  }
  if (d.expect) {
    const p = d.expect.properties;
    lines.push(`expect: {verdict: ${d.expect.verdict}${p.length ? `, property: ${p.length === 1 ? p[0] : `[${p.join(', ')}]`}` : ''}}`);
  }
  return lines.join('\n') + '\n';
}
