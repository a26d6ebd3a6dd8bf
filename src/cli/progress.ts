/**
 * Search progress on a terminal: executions, rate, current depth, violations so far.
 * Nothing on a non-TTY, with --json or --quiet (cli-progress writes nothing to a pipe anyway).
 */
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';

export interface Progress {
  update(executions: number, depth: number, violations: number): void;
  stop(): void;
}

export function progressBar(flags: { json?: boolean; quiet?: boolean }, name: string): Progress | null {
  if (!process.stderr.isTTY || flags.json || flags.quiet) return null;
  // loaded only here: it costs ~60 ms of start-up (ECOSYSTEM.md #6)
  const require = createRequire(import.meta.url);
  const { SingleBar } = require('cli-progress') as typeof import('cli-progress');
  const bar = new SingleBar({
    stream: process.stderr, clearOnComplete: true, hideCursor: true,
    format: `${name} {value} executions  {rate}/s  depth {depth}  violations {violations}`,
  });
  const t0 = performance.now();
  let last = 0;
  bar.start(0, 0, { rate: 0, depth: 0, violations: 0 });
  return {
    update(executions, depth, violations) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      bar.update(executions, { rate: Math.round(executions / ((now - t0) / 1000)), depth, violations });
    },
    stop() { bar.stop(); },
  };
}
