/**
 * `fuzz` progress on a terminal: scenarios tried, executions, findings. Nothing on a
 * non-TTY or with --json.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

export interface FuzzProgress {
  update(scenarios: number, executions: number, found: number): void;
  stop(): void;
}

export function fuzzProgress(label: string): FuzzProgress | null {
  if (!process.stderr.isTTY) return null;
  // loaded only here: it costs ~60 ms of start-up (ECOSYSTEM.md #6)
  const require = createRequire(import.meta.url);
  const { SingleBar } = require('cli-progress') as typeof import('cli-progress');
  const bar = new SingleBar({
    stream: process.stderr, clearOnComplete: true, hideCursor: true,
    format: `${label} {value} scenarios  {executions} executions  findings {found}`,
  });
  let last = 0;
  bar.start(0, 0, { executions: 0, found: 0 });
  return {
    update(scenarios, executions, found) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      bar.update(scenarios, { executions, found });
    },
    stop() { bar.stop(); },
  };
}
