// `npm run bench:scenarios`: the checker on every bundled scenario, as issue 6 asks it
// measured. For each: the whole search space under `dpor` and under `exhaustive` (every
// execution, not stopping at a violation; exhaustive cut at BENCH_EXHAUSTIVE executions),
// the redundant count, and what `check` does by default: executions to the verdict, time
// to the first counterexample, and its size before and after shrinking.
// Writes bench/results/scenarios.md and scenarios.json.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HbAudit } from '../src/check/audit.ts';
import { checkScenario } from '../src/check/check.ts';
import { explore, type Strategy } from '../src/check/explore.ts';
import { loadScenario } from '../src/cli/files.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { buildWorld } from '../src/scenario/world.ts';

const CAP = Number(process.env.BENCH_EXHAUSTIVE ?? 5000);

function space(sc: Scenario, strategy: Strategy, maxExecutions?: number) {
  const audit = new HbAudit();
  let redundant = 0;
  const t0 = performance.now();
  const st = explore(() => buildWorld(sc).rt, { strategy, maxExecutions }, (rt) => {
    if (!audit.add(rt)) redundant++;
    return false;
  });
  return { executions: st.executions, complete: st.complete, redundant, sleepBlocked: st.sleepBlocked, ms: Math.round(performance.now() - t0) };
}

const rows: Record<string, unknown>[] = [];
const md: string[] = [
  `# Bundled scenarios under dpor and exhaustive (${new Date().toISOString().slice(0, 10)}; exhaustive cut at ${CAP} executions)`,
  '',
  '| scenario | verdict (check) | dpor space | sleep-blocked | redundant | exhaustive space | exhaustive redundant | check executions | first counterexample ms | steps/switches before | after shrinking |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const f of readdirSync('scenarios').filter((x) => x.endsWith('.yaml')).sort()) {
  const sc = loadScenario(join('scenarios', f));
  const dp = space(sc, 'dpor');
  const ex = space(sc, 'exhaustive', CAP);
  const r = checkScenario(sc);
  const s = r.violation?.shrunk;
  const row = {
    scenario: sc.name, verdict: r.verdict, ok: r.ok, dpor: dp, exhaustive: ex,
    check: { executions: r.stats.executions, firstViolationMs: r.stats.firstViolationMs ?? null, shrunk: s ?? null },
  };
  rows.push(row);
  md.push(`| ${sc.name} | ${r.verdict}${r.ok ? '' : ' (NOT ok)'} | ${dp.executions} | ${dp.sleepBlocked} | ${dp.redundant} | ${ex.complete ? '' : '> '}${ex.executions} | ${ex.redundant} | ${r.stats.executions} | ${r.stats.firstViolationMs ?? '–'} | ${s ? `${s.before.steps}/${s.before.switches}` : '–'} | ${s ? `${s.after.steps}/${s.after.switches}` : '–'} |`);
  console.log(md[md.length - 1]);
}
mkdirSync(join('bench', 'results'), { recursive: true });
writeFileSync(join('bench', 'results', 'scenarios.json'), JSON.stringify(rows, null, 2) + '\n');
writeFileSync(join('bench', 'results', 'scenarios.md'), md.join('\n') + '\n');
console.log('\nwritten: bench/results/scenarios.md, bench/results/scenarios.json');
