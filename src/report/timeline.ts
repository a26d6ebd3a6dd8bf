/**
 * The text timeline of a counterexample: one column per thread and device engine, time
 * downwards, one line an event. Calls, lock acquire/release, fence add/signal/wait and DMA
 * transfers are shown; the revoke returning and the event that broke the rule are marked.
 * It fits a terminal of `width` columns (100 by default): an event's text starts at its
 * thread's column and runs to the right over the other (empty) columns of that line, or
 * ends at the column when the right side is too narrow; bookkeeping steps are elided.
 */
import { styleText } from 'node:util';
import type { TraceEntry, ViolationResult } from '../check/result.ts';
import { classify, QUIET, shortLabel } from './labels.ts';

export interface TimelineOptions {
  readonly color: boolean;
  /** show every event, bookkeeping included */
  readonly full?: boolean;
  /** terminal width (default 100) */
  readonly width?: number;
}

type Style = Parameters<typeof styleText>[0];

const GUTTER = 5;
const TEXT_ROOM = 40;
const LANE = '│';
const DOT = '●';

/** The columns, in order of each thread's first event. */
function lanesOf(trace: readonly TraceEntry[]): string[] {
  const seen: string[] = [];
  for (const e of trace) if (!seen.includes(e.thread)) seen.push(e.thread);
  return seen;
}

function clip(s: string, n: number): string {
  if (n <= 0) return '';
  return s.length <= n ? s : n === 1 ? '…' : s.slice(0, n - 1) + '…';
}

function styleOf(e: TraceEntry, bad: boolean): Style | null {
  if (bad) return ['red', 'bold'];
  if (e.mark === 'revoke returned') return ['yellow', 'bold'];
  switch (classify(e.event, e.mark)) {
    case 'call': return 'bold';
    case 'dma': return 'magenta';
    case 'signal': case 'wait': case 'fence-add': return 'cyan';
    case 'lock': case 'unlock': return 'dim';
    default: return null;
  }
}

export function formatTimeline(v: ViolationResult, opts: TimelineOptions): string {
  const paint = (fmt: Style | null, s: string) => (opts.color && fmt ? styleText(fmt, s) : s);
  const width = Math.max(40, opts.width ?? 100);
  const lanes = lanesOf(v.trace);
  // Lanes sit close together so that the text of the right-most ones still has room
  // (TEXT_ROOM columns right of the last lane); text runs over the empty lanes of its line.
  const laneW = lanes.length < 2 ? 0 : Math.min(24, Math.max(8, Math.floor((width - GUTTER - TEXT_ROOM) / (lanes.length - 1))));
  const col = (i: number) => GUTTER + i * laneW;
  const total = Math.max(width, col(lanes.length - 1) + 2);
  const blank = () => {
    const row = Array<string>(total).fill(' ');
    for (let i = 0; i < lanes.length; i++) row[col(i)] = LANE;
    return row;
  };
  const lines: string[] = [];
  const header = Array<string>(total).fill(' ');
  for (let i = 0; i < lanes.length; i++) {
    const name = i === lanes.length - 1 ? lanes[i]! : clip(lanes[i]!, laneW - 1);
    for (let c = 0; c < name.length; c++) header[col(i) + c] = name[c]!;
  }
  lines.push(header.join('').trimEnd());
  let elided = 0;
  for (const e of v.trace) {
    const bad = e.seq === v.seq;
    if (!opts.full && !bad && !e.mark && QUIET.has(e.event)) { elided++; continue; }
    const lane = lanes.indexOf(e.thread);
    const body = `${shortLabel(e.event)}${e.detail ? ` ${e.detail}` : ''}`;
    const note = bad ? `  <-- ${v.property} (${v.rule})` : e.mark === 'revoke returned' ? '  <-- revoke returned' : '';
    const row = blank();
    const at = col(lane);
    row[at] = DOT;
    const right = total - at - 2;
    const left = at - GUTTER - 1;
    const len = body.length + note.length;
    const toRight = len <= right || (len > left && right >= left);
    const text = clip(body, (toRight ? right : left) - note.length) + note;
    const start = toRight ? at + 2 : at - 1 - text.length;
    const seq = String(e.seq).padStart(GUTTER - 1);
    const head = seq + ' ' + row.slice(GUTTER, start).join('');
    const tail = row.slice(start + text.length).join('').trimEnd();
    lines.push(head + paint(styleOf(e, bad), text) + tail);
  }
  if (v.seq === 0) lines.push(paint(['red', 'bold'], `${'end'.padStart(GUTTER - 1)} ${v.property} (${v.rule}) at the end of the execution`));
  if (elided > 0 && !opts.full) lines.push(paint('dim', `${''.padStart(GUTTER)}(${elided} bookkeeping steps not shown: engine/unmapper idle and fetch)`));
  return lines.join('\n');
}
