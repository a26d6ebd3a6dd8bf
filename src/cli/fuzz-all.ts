/**
 * `dmabuf-lab fuzz --all`: every variant of the catalogue fuzzed in turn as the subject,
 * the other drivers correct; prints the table and writes it as Markdown and HTML
 * (DIR/fuzz-all.md, DIR/fuzz-all.html) with each subject's findings under DIR/<variant>/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { badKernel, resolveTargets } from '../check/fuzz-target.ts';
import { EXPORTERS, IMPORTERS } from '../drivers/catalogue.ts';
import { fuzzAllHtml, fuzzAllMarkdown, fuzzAllText, type FuzzAllRow } from '../report/fuzz-table.ts';
import { UsageError } from './check-cmd.ts';
import { FUZZ_DEFAULT_TIME, fuzzJson, runFuzz, type FuzzFlags } from './fuzz-cmd.ts';
import { fuzzProgress } from './progress.ts';
import { VERSION } from '../check/result.ts';

export async function cmdFuzzAll(flags: FuzzFlags): Promise<number> {
  if (flags.exporter !== undefined || flags.importer?.length) throw new UsageError('fuzz --all takes every variant of the catalogue in turn; give it no --exporter or --importer');
  const bad = badKernel(flags.kernel);
  if (bad) throw new UsageError(`fuzz: ${bad}`);
  const seed = flags.seed ?? 1;
  const out = flags.out ?? 'fuzz-findings';
  const subjects = [
    ...EXPORTERS.flatMap((d) => d.variants.map((v) => ({ subject: `${d.name}/${v.name}`, role: 'exporter' as const }))),
    ...IMPORTERS.flatMap((d) => d.variants.map((v) => ({ subject: `${d.name}/${v.name}`, role: 'importer' as const }))),
  ];
  const rows: FuzzAllRow[] = [];
  for (const { subject, role } of subjects) {
    const t = resolveTargets(role === 'exporter' ? { exporter: subject, kernel: flags.kernel } : { importers: [subject], kernel: flags.kernel });
    if (!t.ok) {
      rows.push({ subject, role, kernels: [], scenarios: 0, executions: 0, elapsedMs: 0, found: [], error: t.error });
      continue;
    }
    const progress = flags.json ? null : fuzzProgress(subject);
    const run = await runFuzz({ seed, targets: t.value, outDir: join(out, subject.replace('/', '-')), budget: flags.budget }, flags, progress);
    progress?.stop();
    rows.push({ subject, role, kernels: [...new Set(t.value.flatMap((x) => x.kernels))], ...run });
  }
  const bound = flags.maxScenarios !== undefined
    ? `${flags.maxScenarios} scenarios${flags.timeLimit !== undefined ? ` or ${flags.timeLimit} s` : ''}`
    : `${flags.timeLimit ?? FUZZ_DEFAULT_TIME} s`;
  const meta = { seed, bound, first: flags.first === true, outDir: out };
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'fuzz-all.md'), fuzzAllMarkdown(rows, meta));
  writeFileSync(join(out, 'fuzz-all.html'), fuzzAllHtml(rows, meta));
  if (flags.json) {
    const subjectsJson = rows.map((r) => ({ subject: r.subject, role: r.role, kernels: r.kernels, ...(r.error ? { error: r.error } : {}), ...fuzzJson(seed, r) }));
    process.stdout.write(JSON.stringify({ version: VERSION, seed, subjects: subjectsJson }, null, 2) + '\n');
  } else {
    process.stdout.write(fuzzAllText(rows, meta));
    process.stdout.write(`wrote ${join(out, 'fuzz-all.md')} and ${join(out, 'fuzz-all.html')}\n`);
  }
  return rows.some((r) => r.found.length) ? 1 : 0;
}
