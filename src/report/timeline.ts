/**
 * The text timeline of a counterexample: one line a step, thread and event, with the
 * events that matter marked (the revoke returning, the event that broke the rule).
 */
import { styleText } from 'node:util';
import type { ViolationResult } from '../check/result.ts';

/** Bookkeeping steps that say nothing to a reader of the trace. */
const QUIET = new Set(['engine idle', 'unmapper idle', 'engine fetch', 'unmapper fetch', 'mutex_lock', 'mutex_unlock', 'read revoked']);

export interface TimelineOptions {
  readonly color: boolean;
  /** show every event, bookkeeping included */
  readonly full?: boolean;
}

export function formatTimeline(v: ViolationResult, opts: TimelineOptions): string {
  const paint = (fmt: Parameters<typeof styleText>[0], s: string) => (opts.color ? styleText(fmt, s) : s);
  const width = Math.max(6, ...v.trace.map((e) => e.thread.length));
  const lines: string[] = [];
  for (const e of v.trace) {
    const bad = e.seq === v.seq;
    if (!opts.full && !bad && !e.mark && QUIET.has(e.event)) continue;
    let line = `${String(e.seq).padStart(4)}  ${e.thread.padEnd(width)}  ${e.event}${e.detail ? ` ${e.detail}` : ''}`;
    if (bad) line = paint(['red', 'bold'], `${line}   <-- ${v.property} (${v.rule})`);
    else if (e.mark === 'revoke returned') line = paint('yellow', `${line}   <-- revoke returned`);
    else if (e.mark === 'step') line = paint('dim', line);
    lines.push(line);
  }
  if (v.seq === 0) lines.push(paint(['red', 'bold'], `   end  ${v.property} (${v.rule})`));
  return lines.join('\n');
}
