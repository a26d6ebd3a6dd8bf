// `npm run bench:fuzz`: the targets of issue 21, measured. (1) Every buggy variant that a
// bundled scenario shows buggy, fuzzed alone with no scenario given (the other drivers
// correct), seed 1, stopped at its first finding or after BENCH_FUZZ_LIMIT seconds
// (default 60; a variant not found on the default kernel is fuzzed again with --kernel
// any): the property found, scenarios and time to it, the written scenario's size,
// and whether `check` of the written file reproduces it. (2) With BENCH_FUZZ_CORRECT=SEC,
// the correct variants of every driver together for that long (the issue asks 300 s).
// Writes bench/results/fuzz.md and fuzz.json.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { culprit } from '../src/check/fuzz.ts';
import { checkScenario } from '../src/check/check.ts';
import { resolveTargets } from '../src/check/fuzz-target.ts';
import { loadScenario } from '../src/cli/files.ts';
import { runFuzz } from '../src/cli/fuzz-cmd.ts';
import { EXPORTERS } from '../src/drivers/catalogue.ts';
import { fuzzAllMarkdown, type FuzzAllRow } from '../src/report/fuzz-table.ts';

const LIMIT = Number(process.env.BENCH_FUZZ_LIMIT ?? 60);
const CORRECT = Number(process.env.BENCH_FUZZ_CORRECT ?? 0);
const out = join('bench', 'results', 'fuzz-findings');
rmSync(out, { recursive: true, force: true });

// the buggy variants of the bundled scenarios that expect a violation
const shown = new Map<string, string[]>();
for (const f of readdirSync('scenarios').filter((x) => x.endsWith('.yaml')).sort()) {
  const sc = loadScenario(join('scenarios', f));
  if (sc.expect?.verdict !== 'violation') continue;
  for (const v of culprit(sc).split('+')) if (!v.endsWith('/correct')) shown.set(v, [...(shown.get(v) ?? []), sc.name]);
}

const rows: FuzzAllRow[] = [];
const rechecks: string[] = [];
/** One subject fuzzed on `kernel` (the default: landed, else the newest it exists in). */
async function fuzzSubject(subject: string, kernel?: string): Promise<FuzzAllRow> {
  const role = EXPORTERS.some((d) => subject.startsWith(`${d.name}/`)) ? 'exporter' : 'importer';
  const t = resolveTargets(role === 'exporter' ? { exporter: subject, kernel } : { importers: [subject], kernel });
  const label = kernel ? `${subject} (--kernel ${kernel})` : subject;
  if (!t.ok) return { subject: label, role, kernels: [], scenarios: 0, executions: 0, elapsedMs: 0, found: [], error: t.error };
  const dir = join(out, `${subject.replace('/', '-')}${kernel ? `-${kernel}` : ''}`);
  const run = await runFuzz({ seed: 1, targets: t.value, outDir: dir }, { timeLimit: LIMIT, first: true, workers: 1 }, null);
  return { subject: label, role, kernels: [...new Set(t.value.flatMap((x) => x.kernels))], ...run };
}

for (const [subject, scenarios] of shown) {
  // a variant of an older series may show its bug only on that kernel: then the whole axis
  let row = await fuzzSubject(subject);
  if (!row.found.length) {
    rows.push(row);
    row = await fuzzSubject(subject, 'any');
  }
  rows.push(row);
  for (const f of row.found) {
    const r = checkScenario(loadScenario(f.scenario));
    rechecks.push(`${f.scenario}: check ${r.ok ? 'reproduces' : 'does NOT reproduce'} ${f.property} (${r.stats.executions} executions)`);
  }
  console.log(`${row.subject} (bundled: ${scenarios.join(', ')}): ${row.found.map((f) => `${f.property} (${f.rule}) in ${f.variant}`).join('; ') || 'nothing'}${row.first ? ` after ${row.first.scenarios} scenario(s), ${row.first.ms} ms` : ''}`);
}
const meta = { seed: 1, bound: `${LIMIT} s`, first: true, outDir: out };
const md = [`# fuzz: buggy variants of the bundled scenarios, found with no scenario given (${new Date().toISOString().slice(0, 10)})`, '', fuzzAllMarkdown(rows, meta), '', '## check of each written scenario', '', ...rechecks.map((x) => `- ${x}`)];
let correct: Awaited<ReturnType<typeof runFuzz>> | null = null;
if (CORRECT > 0) {
  const t = resolveTargets({});
  if (!t.ok) throw new Error(t.error);
  correct = await runFuzz({ seed: 1, targets: t.value, outDir: join(out, 'correct') }, { timeLimit: CORRECT, workers: 1 }, null);
  md.push('', `## correct variants of every driver together, ${CORRECT} s`, '', `${correct.scenarios} scenarios, ${correct.executions} executions, ${correct.found.length} finding(s)${correct.found.map((f) => `\n- ${f.property} (${f.rule}) in ${f.variant}: ${f.scenario}`).join('')}`);
}
mkdirSync(join('bench', 'results'), { recursive: true });
writeFileSync(join('bench', 'results', 'fuzz.md'), md.join('\n') + '\n');
writeFileSync(join('bench', 'results', 'fuzz.json'), JSON.stringify({ rows: rows.map((r) => ({ ...r, found: r.found.map(({ text: _t, ...f }) => f) })), correct: correct && { ...correct, found: correct.found.map(({ text: _t, ...f }) => f) } }, null, 2) + '\n');
console.log('\n' + md.join('\n'));
