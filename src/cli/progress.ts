/**
 * Progress bars on a terminal: a search's (executions, rate, current depth, violations so
 * far) and fuzz's (scenarios tried, executions, findings). Nothing on a non-TTY, with
 * --json or --quiet (cli-progress writes nothing to a pipe anyway).
 */
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';

/** A bar redrawn at most every 100 ms: `value` is its count, `payload` the format's other fields. */
interface TerminalBar {
  update(value: number, payload: () => Record<string, number | string>): void;
  stop(): void;
}

/** A cli-progress bar on stderr, or null when stderr is not a terminal. */
function terminalBar(format: string, initial: Record<string, number | string>): TerminalBar | null {
  if (!process.stderr.isTTY) return null;
  // loaded only here: it costs ~60 ms of start-up (ECOSYSTEM.md #6)
  const require = createRequire(import.meta.url);
  const { SingleBar } = require('cli-progress') as typeof import('cli-progress');
  const bar = new SingleBar({ stream: process.stderr, clearOnComplete: true, hideCursor: true, format });
  let last = 0;
  bar.start(0, 0, initial);
  return {
    update(value, payload) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      bar.update(value, payload());
    },
    stop() { bar.stop(); },
  };
}

export interface Progress {
  update(executions: number, depth: number, violations: number, states?: number): void;
  stop(): void;
}

/**
 * A search's bar: executions and their rate, or, once a stateful search reports states,
 * the states stored and their rate (the unit changes with the figure).
 */
export function progressBar(flags: { json?: boolean; quiet?: boolean }, name: string): Progress | null {
  if (flags.json || flags.quiet) return null;
  const bar = terminalBar(`${name} {value} {unit}  {rate}/s  {depth}violations {violations}`, { unit: 'executions', rate: 0, depth: '', violations: 0 });
  if (!bar) return null;
  const t0 = performance.now();
  return {
    update(executions, depth, violations, states) {
      const n = states ?? executions;
      const rate = Math.round(n / ((performance.now() - t0) / 1000));
      bar.update(n, () => (states === undefined ? { unit: 'executions', rate, depth: `depth ${depth}  `, violations } : { unit: 'states', rate, depth: '', violations }));
    },
    stop() { bar.stop(); },
  };
}

export interface FuzzProgress {
  update(scenarios: number, executions: number, found: number): void;
  stop(): void;
}

/** `fuzz` progress: scenarios tried, executions, findings. */
export function fuzzProgress(label: string): FuzzProgress | null {
  const bar = terminalBar(`${label} {value} scenarios  {executions} executions  findings {found}`, { executions: 0, found: 0 });
  if (!bar) return null;
  return {
    update(scenarios, executions, found) { bar.update(scenarios, () => ({ executions, found })); },
    stop() { bar.stop(); },
  };
}
