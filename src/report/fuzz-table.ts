/**
 * The table of `dmabuf-lab fuzz --all`: one row per driver variant fuzzed as the subject
 * (the others correct), what was found, after how many scenarios and how long, and how
 * large the written scenario is. As text, Markdown and HTML, like the matrix.
 */
import type { FuzzFinding } from '../check/fuzz.ts';
import { esc } from './html.ts';

export interface FuzzAllRow {
  /** `driver/variant` */
  readonly subject: string;
  readonly role: 'exporter' | 'importer';
  readonly kernels: readonly string[];
  readonly scenarios: number;
  readonly executions: number;
  readonly elapsedMs: number;
  readonly first?: { readonly scenarios: number; readonly ms: number };
  readonly found: readonly FuzzFinding[];
  /** why the subject could not be fuzzed (no exporter it can import from, ...) */
  readonly error?: string;
}

export interface FuzzAllMeta {
  readonly seed: number;
  /** per subject: "60 s", "200 scenarios", ... */
  readonly bound: string;
  readonly first: boolean;
  readonly outDir: string;
}

const HEAD = ['variant', 'kernel', 'found', 'scenarios to first', 'time to first', 'written scenario', 'scenarios run', 'reproduced'];

const sizeText = (f: FuzzFinding) => `${f.size.importers} imp, ${f.size.threads} thr, ${f.size.steps} steps, ${f.size.transfers} xfer`;

function cells(r: FuzzAllRow): string[] {
  if (r.error) return [r.subject, '-', `not fuzzed: ${r.error}`, '-', '-', '-', '0', '-'];
  const f = r.found[0];
  return [
    r.subject, r.kernels.join(','),
    r.found.length ? r.found.map((x) => `${x.property} (${x.rule})${x.variant !== r.subject.split(' ')[0] ? ` [${x.variant}]` : ''}`).join('; ') : 'nothing',
    r.first ? String(r.first.scenarios) : '-', r.first ? `${(r.first.ms / 1000).toFixed(1)} s` : '-',
    f ? sizeText(f) : '-', String(r.scenarios),
    r.found.length ? `${r.found.filter((x) => x.reproduced).length}/${r.found.length}` : '-',
  ];
}

/** `29 variants: 19 with findings (23 findings), 10 clean; 5120 scenarios, 812 s`. */
export function fuzzAllSummary(rows: readonly FuzzAllRow[]): string {
  const withF = rows.filter((r) => r.found.length);
  const total = rows.reduce((n, r) => n + r.found.length, 0);
  const scen = rows.reduce((n, r) => n + r.scenarios, 0);
  const ms = rows.reduce((n, r) => n + r.elapsedMs, 0);
  const err = rows.filter((r) => r.error).length;
  return `${rows.length} variants: ${withF.length} with findings (${total} findings), ${rows.length - withF.length - err} clean${err ? `, ${err} not fuzzed` : ''}; ${scen} scenarios, ${Math.round(ms / 1000)} s`;
}

function footer(m: FuzzAllMeta): string {
  return `Seed ${m.seed}; each variant fuzzed with the other drivers correct, bounded by ${m.bound}${m.first ? ', stopped at its first finding' : ''}. Times depend on the machine; scenario counts do not. Findings are in ${m.outDir}/<variant>/, each with its .token.`;
}

export function fuzzAllText(rows: readonly FuzzAllRow[], m: FuzzAllMeta): string {
  const table = [HEAD, ...rows.map(cells)];
  const w = HEAD.map((_, k) => Math.max(...table.map((t) => t[k]!.length)));
  const line = (t: string[]) => t.map((s, k) => s.padEnd(w[k]!)).join('  ').trimEnd();
  return [line(table[0]!), w.map((n) => '-'.repeat(n)).join('  '), ...table.slice(1).map(line), '', fuzzAllSummary(rows), footer(m)].join('\n') + '\n';
}

export function fuzzAllMarkdown(rows: readonly FuzzAllRow[], m: FuzzAllMeta): string {
  const md = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`];
  for (const r of rows) out.push(`| ${cells(r).map(md).join(' | ')} |`);
  out.push('', `${fuzzAllSummary(rows)}.`, '', footer(m));
  return out.join('\n') + '\n';
}

export function fuzzAllHtml(rows: readonly FuzzAllRow[], m: FuzzAllMeta): string {
  const body = rows.map((r) => {
    const c = cells(r);
    const cls = r.error ? 'error' : r.found.length ? 'violation' : 'safe';
    const title = r.found.map((f) => `${f.scenario}\n${f.schedule}`).join('\n');
    return `<tr class="${cls}"><th>${esc(c[0]!)}</th>${c.slice(1).map((x, k) => `<td${k === 1 && title ? ` title="${esc(title)}"` : ''}>${esc(x)}</td>`).join('')}</tr>`;
  }).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dmabuf-lab fuzz --all</title>
<style>body{font:13px system-ui,sans-serif;margin:16px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;white-space:nowrap}
th{background:#f5f5f5}tr.violation td{background:#fdecea}tr.safe td{background:#e8f5e9}tr.error td{background:#fff3e0}</style></head>
<body><h1>dmabuf-lab fuzz --all</h1>
<table><thead><tr>${HEAD.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>
${body}
</tbody></table>
<p>${esc(fuzzAllSummary(rows))}.</p>
<p>${esc(footer(m))}</p>
</body></html>
`;
}
