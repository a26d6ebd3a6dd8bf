// The --workers section of `npm run bench`: wall time of the installed CLI with 1 and with
// N workers on searches that run to the end (safe scenarios: the same executions either
// way), on the whole bundled set (workers take whole scenarios), and the machine's own
// ceiling: two single-worker processes side by side against one alone.
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface WorkersRow {
  target: string;
  workers: number;
  ms: number;
  executions: number;
  speedup: number;
}

function runCli(cli: string, args: string[]): { ms: number; executions: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'check', '--json', '--quiet', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  const out = JSON.parse(r.stdout) as { results: { stats: { executions: number } }[] };
  return { ms, executions: out.results.reduce((a, x) => a + x.stats.executions, 0) };
}

/** Best of `reps` wall times (the machine is shared with nothing else, noise only adds). */
function best(cli: string, args: string[], reps: number): { ms: number; executions: number } {
  let out = runCli(cli, args);
  for (let i = 1; i < reps; i++) {
    const r = runCli(cli, args);
    if (r.ms < out.ms) out = r;
  }
  return out;
}

export function workersRows(cli: string, targets: { name: string; args: string[] }[], n: number, reps = 3): WorkersRow[] {
  const rows: WorkersRow[] = [];
  for (const t of targets) {
    const one = best(cli, ['--workers', '1', ...t.args], reps);
    rows.push({ target: t.name, workers: 1, ms: Math.round(one.ms), executions: one.executions, speedup: 1 });
    const many = best(cli, ['--workers', String(n), ...t.args], reps);
    rows.push({ target: t.name, workers: n, ms: Math.round(many.ms), executions: many.executions, speedup: Number((one.ms / many.ms).toFixed(2)) });
  }
  return rows;
}

/** Throughput of two single-worker processes at once over one alone (1.0 = no parallelism). */
export async function parallelCeiling(cli: string, args: string[]): Promise<number> {
  const one = best(cli, ['--workers', '1', ...args], 2).ms;
  const t0 = performance.now();
  await Promise.all([0, 1].map(() => new Promise((done) => {
    spawn(process.execPath, [cli, 'check', '--quiet', '--workers', '1', ...args], { stdio: 'ignore' }).on('exit', done);
  })));
  const both = performance.now() - t0;
  return Number(((2 * one) / both).toFixed(2));
}
