/**
 * `npm run bench:stateful`: states and transitions of the Spin twins' protocol as a data
 * world (bench/stateful/twin.ts) under the stateful search of src/check/stateful.ts, at
 * S1..S5, with and without symmetry, ordered as dmabuf-lab models the lists and with the
 * canonical lists a port would keep; the buggy twins' first counterexample; Spin's
 * figures beside them. Each row runs in its own process (peak RSS is per row) and stops
 * at BENCH_STATEFUL_MAX_STATES states (default 4,000,000): a stopped row is a lower bound.
 * Writes bench/results/stateful.md and stateful.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parallelStatefulSearch } from '../../src/check/stateful-parallel.ts';
import { statefulSearch, type StatefulResult } from '../../src/check/stateful.ts';
import type { TwinArgs } from './twin-worker.ts';
import { kernelRows } from './kernel.ts';
import { twinModel, type TwinVariant } from './twin.ts';

interface Row {
  /** worker threads sharing the visited set (check/stateful-parallel.ts); absent: the sequential search */
  readonly workers?: number;
  readonly scale: string;
  readonly n: number;
  readonly k: number;
  readonly variant: TwinVariant;
  readonly canonical: boolean;
  readonly symmetry: boolean;
}

interface Measured extends Row {
  readonly states: number;
  readonly transitions: number;
  readonly complete: boolean;
  readonly ms: number;
  readonly rssMB: number;
  readonly visitedMB: number;
  readonly omission: number;
  readonly violation: string | null;
  readonly counterexampleSteps: number | null;
}

/** Spin 6.5.2 on vfio_revoke.pml with partial-order reduction (../shared/bench/spin/README.md). */
const SPIN: Record<string, { fixed: number; fixedS: number; fixedMB: number; buggy: number } | undefined> = {
  S1: { fixed: 38_207, fixedS: 0.65, fixedMB: 9, buggy: 342 },
  S2: { fixed: 155_155, fixedS: 0.8, fixedMB: 23, buggy: 454 },
  S3: { fixed: 1_488_893, fixedS: 2.2, fixedMB: 185, buggy: 434 },
  S4: { fixed: 11_432_369, fixedS: 16.4, fixedMB: 1481, buggy: 576 },
};
const SCALES: [string, number, number][] = [['S1', 2, 2], ['S2', 2, 3], ['S3', 3, 2], ['S4', 3, 3], ['S5', 4, 3]];

/** The worker script: the bundle's sibling, or the source under tsx. */
const WORKER = new URL(import.meta.url.endsWith('.ts') ? './twin-worker.ts' : './bench-stateful-twin-worker.mjs', import.meta.url);

async function runRow(r: Row, maxStates: number): Promise<Measured> {
  const t0 = performance.now();
  let res: StatefulResult;
  if (r.workers === undefined) {
    res = statefulSearch(twinModel(r.n, r.k, r.variant, { canonical: r.canonical }), { symmetry: r.symmetry, maxStates, expected: Math.min(maxStates, 1 << 20) });
  } else {
    const args: TwinArgs = { n: r.n, k: r.k, variant: r.variant, canonical: r.canonical };
    // the shared table cannot grow: sized for the bound (7/8 load at maxStates)
    res = await parallelStatefulSearch(WORKER, args, r.workers, { symmetry: r.symmetry, maxStates, expected: maxStates });
  }
  const ms = performance.now() - t0;
  const v = res.violations[0];
  return {
    ...r, states: res.states, transitions: res.transitions, complete: res.complete && !v, ms,
    rssMB: process.resourceUsage().maxRSS / 1024, visitedMB: res.visitedBytes / 2 ** 20, omission: res.omissionProbability,
    violation: v ? `${v.property} (${v.rule})` : null, counterexampleSteps: v ? v.schedule.length : null,
  };
}

function child(r: Row, maxStates: number): Measured {
  const p = spawnSync(process.execPath, [process.argv[1]!, '--row', JSON.stringify(r), String(maxStates)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (p.status !== 0) throw new Error(`row ${JSON.stringify(r)} failed: ${p.stderr}`);
  return JSON.parse(p.stdout) as Measured;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

function line(m: Measured): string {
  const lists = m.canonical ? 'canonical' : 'ordered';
  const spin = SPIN[m.scale];
  const spinStates = m.variant === 'correct' ? (spin ? fmt(spin.fixed) : '> 115,000,000 (not finished)') : spin ? fmt(spin.buggy) : '–';
  const states = m.complete || m.violation ? fmt(m.states) : `>= ${fmt(m.states)} (stopped)`;
  const rate = m.ms > 0 ? fmt((m.transitions / m.ms) * 1000) : '–';
  return `| ${m.scale} | ${m.n}x${m.k} | ${m.variant} | ${lists} | ${m.workers ?? '–'} | ${m.symmetry ? 'on' : 'off'} | ${states} | ${fmt(m.transitions)} | ${m.violation ?? (m.complete ? 'safe' : '–')}${m.counterexampleSteps !== null ? ` in ${m.counterexampleSteps} steps` : ''} | ${(m.ms / 1000).toFixed(2)} | ${rate} | ${m.rssMB.toFixed(0)} | ${m.visitedMB.toFixed(1)} | ${m.omission.toExponential(1)} | ${spinStates} |`;
}

function main(): void {
  const maxStates = Number(process.env.BENCH_STATEFUL_MAX_STATES ?? 4_000_000);
  const rows: Row[] = [];
  for (const [scale, n, k] of SCALES) {
    for (const canonical of [false, true]) {
      for (const symmetry of [false, true]) rows.push({ scale, n, k, variant: 'correct', canonical, symmetry });
    }
    if (scale !== 'S5') rows.push({ scale, n, k, variant: 'v2-no-wait', canonical: false, symmetry: false });
    // the same search on worker threads sharing the visited set (one worker: the cost of the shared table alone)
    if (scale === 'S3' || scale === 'S4') for (const workers of [1, 2]) rows.push({ workers, scale, n, k, variant: 'correct', canonical: true, symmetry: true });
  }
  const head = [
    '| scale | NxK | variant | lists | workers | symmetry | states | transitions | verdict | s | transitions/s | peak RSS MB | visited set MB | omission p | Spin states (POR, fine twin) |',
    '|---|---|---|---|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  console.log(head.join('\n'));
  const out: Measured[] = [];
  for (const r of rows) {
    const m = child(r, maxStates);
    out.push(m);
    console.log(line(m));
  }
  const kernel = kernelRows();
  const kernelHead = ['| threads | states | transitions | verdict | s | states/s | transitions/s |', '|---:|---:|---:|---|---:|---:|---:|'];
  const kernelLines = kernel.map((k) => `| ${k.threads} | ${fmt(k.states)} | ${fmt(k.transitions)} | ${k.violations === 0 && k.complete ? 'safe' : `${k.violations} violation(s)`} | ${(k.ms / 1000).toFixed(2)} | ${fmt((k.states / k.ms) * 1000)} | ${fmt((k.transitions / k.ms) * 1000)} |`);
  console.log(['', ...kernelHead, ...kernelLines].join('\n'));
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/stateful.json', `${JSON.stringify({ node: process.version, maxStates, rows: out, kernel }, null, 2)}\n`);
  const md = [
    '# Stateful search of the Spin twins (bench/stateful)',
    '',
    `Node ${process.version}; one process per row; rows stop at ${fmt(maxStates)} states (BENCH_STATEFUL_MAX_STATES).`,
    'Written by `npm run bench:stateful`; docs/design.md "Measured first" reads these figures.',
    '',
    ...head,
    ...out.map(line),
    '',
    'Spin 6.5.2 on the fine twin vfio_revoke.pml, POR, correct: S1 0.65 s, S2 0.80 s, S3 2.2 s, S4 16.4 s and 1,481 MB;',
    'S5 stopped at 16 GB after 115 M states. The hand-written transaction twin vfio_revoke_txn.pml stores 51,496 states at S4.',
    '',
    '## Compiled kernel code (bench/stateful/kernel.ts)',
    '',
    'The stateful search over the ported dma_resv and dma_fence (src/kernel/frame-*.ts, compiled by `npm run frames`), every',
    'kernel step a transition: N threads each reserve, add and unlock on two reservation objects, signal, and wait for both.',
    '',
    ...kernelHead,
    ...kernelLines,
    '',
  ];
  writeFileSync('bench/results/stateful.md', md.join('\n'));
}

if (process.argv[2] === '--row') {
  process.stdout.write(JSON.stringify(await runRow(JSON.parse(process.argv[3]!) as Row, Number(process.argv[4]))));
} else main();
