// `npm run bench:long`: the flatness target on its own, one search of the 3 x 3
// correct Spin twin for BENCH_LONG executions (default 1,000,000, about 6 minutes here):
// the rate and the memory at each tenth, and the process's peak resident set. Written to
// bench/results/long.json and long.md. (`npm run bench` runs a shorter one, 200,000.)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../src/scenario/load.ts';
import { longRun, longTable } from './long.ts';

const SHARED = process.env.BENCH_SHARED ?? join(import.meta.dirname ?? '.', '..', '..', 'shared', 'bench');
const twin = 'spin-s4-correct.yaml';
const total = Number(process.env.BENCH_LONG ?? 1_000_000);
const file = join(SHARED, 'spin', 'scenarios', twin);
let text: string;
try {
  text = readFileSync(file, 'utf8');
} catch {
  console.error(`bench:long: no ${file} (set BENCH_SHARED to the folder holding spin/scenarios)`);
  process.exit(2);
}
console.log(`${twin.replace('.yaml', '')}: ${total.toLocaleString('en-US')} executions, one worker, ${availableParallelism()} cores`);
const run = longRun(parseScenario(text, twin), total);
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
const lines = [
  `# A long search: ${twin.replace('.yaml', '')}, ${total.toLocaleString('en-US')} executions`,
  '',
  `Node ${process.version}, ${availableParallelism()} cores, one worker. Rate since the previous mark, and memory, at each tenth; peak RSS of the process: ${peakRssMb} MB.${run.complete ? ' The search completed before the last mark.' : ''}`,
  '',
  ...longTable(run.marks),
];
console.log(lines.slice(2).join('\n'));
mkdirSync(join('bench', 'results'), { recursive: true });
writeFileSync(join('bench', 'results', 'long.json'), JSON.stringify({ scenario: twin, executions: total, cores: availableParallelism(), node: process.version, peakRssMb, ...run }, null, 2) + '\n');
writeFileSync(join('bench', 'results', 'long.md'), lines.join('\n') + '\n');
console.log('\nwritten: bench/results/long.json, bench/results/long.md');
