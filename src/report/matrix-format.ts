/**
 * The compatibility matrix as text, Markdown, HTML or JSON: one row per exporter variant x
 * importer variant, one column per standard scenario, the verdict (and property and
 * rule) in each cell, numbered notes with the replay token of each failing cell. A safe
 * cell whose search was cut by the bounds says so in every form: "safe" alone is a
 * complete search.
 */
import { VERSION } from '../check/result.ts';
import { esc } from './html.ts';
import { MATRIX_SCENARIOS, type MatrixBounds, type MatrixCell, type MatrixRow } from './matrix.ts';

export interface MatrixMeta {
  /** the bounds every search was cut at; null when each ran to its end */
  readonly bounds: MatrixBounds | null;
  /** seconds each search could run at most, if limited */
  readonly timeLimit?: number;
  /** where the scenario files were written, if they were */
  readonly writeDir?: string;
}

/** The width the plain table keeps within (a terminal, a CI log). */
export const TEXT_WIDTH = 120;

/** A safe verdict that only holds within the search bounds. */
export function bounded(c: MatrixCell): boolean {
  return c.verdict === 'safe' && !c.complete;
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

/** The cell counts of a matrix, as the summary line and `--json` give them. */
export function matrixCounts(rows: readonly MatrixRow[]) {
  const all = rows.flatMap((r) => r.cells);
  const n = (v: string) => all.filter((c) => c.verdict === v).length;
  return { pairs: rows.length, cells: all.length, safe: n('safe'), bounded: all.filter(bounded).length, failing: n('violation'), refused: n('refused'), na: n('n/a'), errors: n('error') };
}

/** `12 pairs x 5 scenarios: 30 safe (22 only within the bounds), 14 failing, 8 refused, 8 n/a`. */
export function matrixSummary(rows: readonly MatrixRow[]): string {
  const c = matrixCounts(rows);
  return `${c.pairs} pairs x ${MATRIX_SCENARIOS.length} scenarios: ${c.safe} safe (${c.bounded ? `${c.bounded} only within the bounds` : 'all complete'}), ${c.failing} failing, ${c.refused} refused, ${c.na} n/a${c.errors ? `, ${c.errors} not built` : ''}`;
}

function searchText(meta: MatrixMeta): string {
  const time = meta.timeLimit !== undefined ? ` and ${meta.timeLimit} s` : '';
  return meta.bounds
    ? `Searches cut at ${meta.bounds.preemptions !== undefined ? `${meta.bounds.preemptions} preemptions and ` : ''}${meta.bounds.maxExecutions} executions${time} a scenario: a safe cell marked bounded (safe*) is safe only within them; \`--complete\` runs every search to its end.`
    : `Complete searches${time ? `, cut at ${meta.timeLimit} s a scenario (a cut safe cell is marked bounded, safe*)` : ''}: an unmarked safe cell is safe in every interleaving of its scenario.`;
}

function footer(meta: MatrixMeta): string {
  const where = meta.writeDir
    ? `the scenario files are in ${meta.writeDir}/: tokens replay with \`dmabuf-lab replay TOKEN\`, \`dmabuf-lab report FILE --html F\` draws one`
    : 'tokens name matrix/<scenario>.yaml: run `dmabuf-lab matrix --write-scenarios matrix` to write those files, then `dmabuf-lab replay TOKEN` replays one';
  return `${searchText(meta)} "refused" = the import fails without any revoke, so the revoke scenarios do not apply. ${where}.`;
}

/** `text` in lines of at most `width` characters (a word longer than that stays whole). */
function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + w.length > width) { out.push(line); line = indent + w; }
    else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

const HEAD = ['exporter/variant', 'importer/variant', 'kernel', ...MATRIX_SCENARIOS.map((s) => s.id)];

function cells(r: MatrixRow, nums: Map<MatrixCell, number>): string[] {
  return [`${r.exporter}/${r.exporterVariant}`, `${r.importer}/${r.importerVariant}`, r.kernel, ...r.cells.map((c) => cellText(c, nums.get(c)))];
}

/**
 * A cell of the plain table, abbreviated (the legend under the table spells them out):
 * `safe*` bounded, `FAIL P1 [3]` (`FAIL [3]` when `rules` is false), the errno of a
 * refused import in its attach cell.
 */
function shortCell(c: MatrixCell, n: number | undefined, rules: boolean): string {
  switch (c.verdict) {
    case 'safe': return c.complete ? 'safe' : 'safe*';
    case 'violation': return rules ? `FAIL ${c.rule} [${n}]` : `FAIL [${n}]`;
    case 'refused': return c.scenario === 'attach' && c.note ? c.note : 'refused';
    default: return cellText(c);
  }
}

/**
 * The plain table: rows grouped under their exporter variant, an importer's kernel after
 * its name when it is not `landed`. The most telling form that fits TEXT_WIDTH is used:
 * rule ids in failing cells, else without them, else each importer on a line of its own
 * above its cells.
 */
function textTable(rows: readonly MatrixRow[], nums: Map<MatrixCell, number>): string[] {
  const label = (r: MatrixRow) => `${r.importer}/${r.importerVariant}${r.kernel === 'landed' ? '' : ` @${r.kernel}`}`;
  const head = ['importer/variant', ...MATRIX_SCENARIOS.map((s) => s.short)];
  const layout = (rules: boolean, split: boolean): string[] => {
    const body = rows.map((r) => [label(r), ...r.cells.map((c) => shortCell(c, nums.get(c), rules))]);
    const w = head.map((_, k) => Math.max(...[head, ...body].map((t) => (split && k === 0 ? 0 : t[k]!.length))));
    const line = (t: string[]) => '  ' + t.map((s, k) => (split && k === 0 ? '' : s.padEnd(w[k]!))).join(split ? '    ' : '  ').trim();
    const out = [line(head)];
    let group = '';
    rows.forEach((r, k) => {
      const g = `${r.exporter}/${r.exporterVariant}`;
      if (g !== group) { out.push(`${g}:`); group = g; }
      if (split) out.push(`  ${body[k]![0]}`);
      out.push(line(body[k]!));
    });
    return out;
  };
  const fits = (t: string[]) => t.every((l) => l.length <= TEXT_WIDTH);
  for (const [rules, split] of [[true, false], [false, false], [true, true]] as const) {
    const t = layout(rules, split);
    if (fits(t)) return t;
  }
  return layout(false, true);
}

/** What the plain table's abbreviations mean. */
function legend(meta: MatrixMeta): string[] {
  const cols = MATRIX_SCENARIOS.map((s) => `${s.short} = ${s.title}`).join('; ');
  const star = meta.bounds || meta.timeLimit !== undefined ? ' safe* = no violation within the search bounds only (bounded);' : '';
  return [
    ...wrap(`Columns: ${cols}.`, TEXT_WIDTH, '  '),
    ...wrap(`Cells: safe = no violation in a complete search;${star} FAIL <rule> [n] = a violation, note [n] below; -Exxx = the import fails with that errno without any revoke, and the revoke scenarios are "refused"; n/a = a driver lacks an operation the scenario needs; @pre/@v2/@v3 = the kernel version both variants exist in, when not landed.`, TEXT_WIDTH, '  '),
  ];
}

export function matrixText(rows: readonly MatrixRow[], meta: MatrixMeta): string {
  const nums = number(rows);
  const out = [...textTable(rows, nums), '', ...legend(meta), ''];
  // a token is never broken: it is copied into `dmabuf-lab replay`
  for (const { n, cell, row } of notes(rows, nums)) out.push(...wrap(`[${n}] ${row.exporter}/${row.exporterVariant} x ${row.importer}/${row.importerVariant} ${cell.scenario}: ${cell.property} (${cell.rule}): ${cell.message}`, TEXT_WIDTH, '    '), cell.token ?? '');
  out.push('', ...wrap(matrixSummary(rows), TEXT_WIDTH), ...wrap(footer(meta), TEXT_WIDTH));
  return out.join('\n') + '\n';
}

/**
 * The matrix as `--json` prints it: the bounds (null: complete searches), every row
 * with its cells (`bounded: true` on a safe cell that holds only within the bounds),
 * the counts of the summary line.
 */
export function matrixJson(rows: readonly MatrixRow[], meta: MatrixMeta) {
  return {
    version: VERSION,
    bounds: meta.bounds,
    scenarios: MATRIX_SCENARIOS.map((s) => ({ id: s.id, title: s.title })),
    rows: rows.map((r) => ({ ...r, cells: r.cells.map((c) => ({ ...c, bounded: bounded(c) })) })),
    summary: matrixCounts(rows),
  };
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
      return `<td class="${c.verdict === 'n/a' ? 'na' : c.verdict}${bounded(c) ? ' bounded' : ''}" style="background:${COLORS[c.verdict]}" title="${esc(title)}">${esc(cellText(c))}${n ? ` <a href="#n${n}">[${n}]</a>` : ''}</td>`;
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
