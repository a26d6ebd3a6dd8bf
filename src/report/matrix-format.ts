/**
 * The compatibility matrix as text, Markdown or HTML: one row per exporter variant x
 * importer variant, one column per standard scenario, the verdict (and property and
 * rule) in each cell, numbered notes with the replay token of each failing cell.
 */
import { esc } from './html.ts';
import { MATRIX_SCENARIOS, type MatrixCell, type MatrixRow } from './matrix.ts';

export interface MatrixMeta {
  readonly preemptions: number;
  readonly maxExecutions: number;
  /** where the scenario files were written, if they were */
  readonly writeDir?: string;
}

interface Numbered { readonly n: number; readonly cell: MatrixCell; readonly row: MatrixRow }

function number(rows: readonly MatrixRow[]): Map<MatrixCell, number> {
  const m = new Map<MatrixCell, number>();
  for (const r of rows) for (const c of r.cells) if (c.verdict === 'violation') m.set(c, m.size + 1);
  return m;
}

/** The text of one cell. */
export function cellText(c: MatrixCell, n?: number): string {
  switch (c.verdict) {
    case 'safe': return c.complete ? 'safe' : 'safe (bounded)';
    case 'violation': return `FAIL ${c.property} (${c.rule})${n ? ` [${n}]` : ''}`;
    case 'refused': return `refused ${c.note ?? ''}`.trim();
    case 'error': return 'error';
    default: return 'n/a';
  }
}

function notes(rows: readonly MatrixRow[], nums: Map<MatrixCell, number>): Numbered[] {
  const out: Numbered[] = [];
  for (const row of rows) for (const cell of row.cells) { const n = nums.get(cell); if (n) out.push({ n, cell, row }); }
  return out;
}

/** `12 pairs x 5 scenarios: 30 safe (22 within bounds), 14 failing, 8 refused, 8 n/a`. */
export function matrixSummary(rows: readonly MatrixRow[]): string {
  const all = rows.flatMap((r) => r.cells);
  const n = (v: string) => all.filter((c) => c.verdict === v).length;
  const bounded = all.filter((c) => c.verdict === 'safe' && !c.complete).length;
  const err = n('error');
  return `${rows.length} pairs x ${MATRIX_SCENARIOS.length} scenarios: ${n('safe')} safe (${bounded} within bounds), ${n('violation')} failing, ${n('refused')} refused, ${n('n/a')} n/a${err ? `, ${err} not built` : ''}`;
}

function footer(meta: MatrixMeta): string {
  const where = meta.writeDir
    ? `the scenario files are in ${meta.writeDir}/: tokens replay with \`dmabuf-lab replay TOKEN\`, \`dmabuf-lab report FILE --html F\` draws one`
    : 'tokens name matrix/<scenario>.yaml: run `dmabuf-lab matrix --write-scenarios matrix` to write those files, then `dmabuf-lab replay TOKEN` replays one';
  return `Search bounds: preemptions ${meta.preemptions}, max ${meta.maxExecutions} executions a scenario ("bounded" = safe within these bounds). "refused" = the import fails without any revoke, so the revoke scenarios do not apply. ${where}.`;
}

const HEAD = ['exporter/variant', 'importer/variant', 'kernel', ...MATRIX_SCENARIOS.map((s) => s.id)];

function cells(r: MatrixRow, nums: Map<MatrixCell, number>): string[] {
  return [`${r.exporter}/${r.exporterVariant}`, `${r.importer}/${r.importerVariant}`, r.kernel, ...r.cells.map((c) => cellText(c, nums.get(c)))];
}

export function matrixText(rows: readonly MatrixRow[], meta: MatrixMeta): string {
  const nums = number(rows);
  const table = [HEAD, ...rows.map((r) => cells(r, nums))];
  const w = HEAD.map((_, k) => Math.max(...table.map((t) => t[k]!.length)));
  const line = (t: string[]) => t.map((s, k) => s.padEnd(w[k]!)).join('  ').trimEnd();
  const out = [line(table[0]!), w.map((n) => '-'.repeat(n)).join('  '), ...table.slice(1).map(line), ''];
  for (const { n, cell, row } of notes(rows, nums)) out.push(`[${n}] ${row.exporter}/${row.exporterVariant} x ${row.importer}/${row.importerVariant} ${cell.scenario}: ${cell.message}`, `    ${cell.token}`);
  out.push('', matrixSummary(rows), footer(meta));
  return out.join('\n') + '\n';
}

export function matrixMarkdown(rows: readonly MatrixRow[], meta: MatrixMeta): string {
  const nums = number(rows);
  const md = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`];
  for (const r of rows) out.push(`| ${cells(r, nums).map((c, k) => (k >= 3 && c.startsWith('FAIL') ? `**${md(c)}**` : md(c))).join(' | ')} |`);
  out.push('');
  for (const { n, cell, row } of notes(rows, nums)) out.push(`${n}. ${row.exporter}/${row.exporterVariant} x ${row.importer}/${row.importerVariant} ${cell.scenario}: ${md(cell.message ?? '')}  \n   \`${cell.token}\``);
  out.push('', `${matrixSummary(rows)}.`, '', footer(meta));
  return out.join('\n') + '\n';
}

const COLORS: Record<string, string> = { safe: '#e8f5e9', violation: '#fdecea', refused: '#eceff1', 'n/a': '#fafafa', error: '#fff3e0' };

export function matrixHtml(rows: readonly MatrixRow[], meta: MatrixMeta): string {
  const nums = number(rows);
  const body = rows.map((r) => {
    const tds = r.cells.map((c) => {
      const n = nums.get(c);
      const title = c.verdict === 'violation' ? `${c.message}\n${c.token}` : c.verdict === 'safe' ? `${c.executions} executions${c.complete ? '' : ' (bounded)'}` : (c.note ?? '');
      return `<td class="${c.verdict === 'n/a' ? 'na' : c.verdict}" style="background:${COLORS[c.verdict]}" title="${esc(title)}">${esc(cellText(c))}${n ? ` <a href="#n${n}">[${n}]</a>` : ''}</td>`;
    }).join('');
    return `<tr><th>${esc(`${r.exporter}/${r.exporterVariant}`)}</th><th>${esc(`${r.importer}/${r.importerVariant}`)}</th><td>${esc(r.kernel)}</td>${tds}</tr>`;
  }).join('\n');
  const list = notes(rows, nums).map(({ n, cell, row }) => `<li id="n${n}" value="${n}">${esc(`${row.exporter}/${row.exporterVariant} x ${row.importer}/${row.importerVariant} ${cell.scenario}: ${cell.message}`)}<br><code>${esc(cell.token ?? '')}</code></li>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dmabuf-lab compatibility matrix</title>
<style>body{font:13px system-ui,sans-serif;margin:16px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;white-space:nowrap}
th{background:#f5f5f5}td.violation{color:#b71c1c;font-weight:bold}code{font:12px ui-monospace,monospace;word-break:break-all}</style></head>
<body><h1>dmabuf-lab compatibility matrix</h1>
<table><thead><tr>${HEAD.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>
${body}
</tbody></table>
<p>${MATRIX_SCENARIOS.map((s) => `<b>${esc(s.id)}</b>: ${esc(s.title)}`).join('; ')}.</p>
<ol>
${list}
</ol>
<p>${esc(matrixSummary(rows))}.</p>
<p>${esc(footer(meta))}</p>
</body></html>
`;
}
