/**
 * The text timeline of a counterexample: one column per thread and device engine, time
 * downwards, one line an event. Calls, lock acquire/release, fence add/signal/wait and DMA
 * transfers are shown; the revoke returning and the event that broke the rule are marked.
 * By default it tells the violation's story (check/story.ts): the rows it depends on, a
 * call folded into one, then the contradicting pair. It fits a terminal of `width` columns (100 by default): an event's text starts at its
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
function lanesOf(trace: readonly { thread: string }[]): string[] {
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

/** One line of a drawn timeline. */
interface Line {
  readonly seq: number;
  readonly thread: string;
  readonly text: string;
  readonly note: string;
  /** shown after the text where the line has room for both (a folded call's seq range) */
  readonly extra?: string;
  /** the note may go where the line has no room for it (the pair line names the cause) */
  readonly spareNote?: boolean;
  readonly style: Style | null;
}

/**
 * The story view (check/story.ts) of `v` by default, every event with `full`; a result
 * without a story (from an older version) is drawn in full less its bookkeeping.
 */
export function formatTimeline(v: ViolationResult, opts: TimelineOptions): string {
  const paint = (fmt: Style | null, s: string) => (opts.color && fmt ? styleText(fmt, s) : s);
  const story = opts.full ? undefined : v.story;
  const lines: Line[] = [];
  const tail: string[] = [];
  if (story) {
    for (const r of story.rows) {
      const bad = r.mark === 'violation';
      const note = bad ? `  <-- ${v.property} (${v.rule})` : r.mark === 'cause' ? '  <-- cause' : '';
      const span = r.from !== r.to ? ` [${r.from}-${r.to}]` : '';
      lines.push({ seq: r.seq, thread: r.thread, text: r.text, extra: span, note, spareNote: r.mark === 'cause', style: bad ? ['red', 'bold'] : r.mark === 'cause' ? ['yellow', 'bold'] : null });
    }
    const pad = ''.padStart(GUTTER);
    if (story.pair) {
      // the pair on one line when it fits, else broken after the cause
      const [cause, effect] = story.pair.text.split(' ... ');
      const one = `${pad}${story.pair.text}`;
      tail.push(...(one.length <= (opts.width ?? 100) || !effect ? [one] : [`${pad}${cause} ...`, `${pad}... ${effect}`]).map((l) => paint('bold', l)));
    }
    const left = story.omitted ? `, ${story.omitted} more left out` : '';
    tail.push(paint('dim', `${pad}(${story.rows.length} rows for ${story.events.length} of ${v.trace.length} events${left}; --full shows every event)`));
  } else {
    let elided = 0;
    for (const e of v.trace) {
      const bad = e.seq === v.seq;
      if (!opts.full && !bad && !e.mark && QUIET.has(e.event)) { elided++; continue; }
      const note = bad ? `  <-- ${v.property} (${v.rule})` : e.mark === 'revoke returned' ? '  <-- revoke returned' : '';
      lines.push({ seq: e.seq, thread: e.thread, text: `${shortLabel(e.event)}${e.detail ? ` ${e.detail}` : ''}`, note, style: styleOf(e, bad) });
    }
    if (elided > 0 && !opts.full) tail.push(paint('dim', `${''.padStart(GUTTER)}(${elided} bookkeeping steps not shown: engine/unmapper idle and fetch)`));
  }
  const end = v.seq === 0 ? [paint(['red', 'bold'], `${'end'.padStart(GUTTER - 1)} ${v.property} (${v.rule}) at the end of the execution`)] : [];
  // a story's rows carry folded calls: lanes narrow enough (down to 8) that the longest
  // text fits right of the last lane (up to 62 columns of it)
  const lanes = lanesOf(lines).length;
  const longest = Math.min(62, Math.max(0, ...lines.map((l) => l.text.length + 2)));
  const fit = lanes < 2 ? 16 : Math.floor((Math.max(40, opts.width ?? 100) - GUTTER - longest) / (lanes - 1));
  return [...drawLines(lines, opts, story ? Math.max(8, Math.min(16, fit)) : 24), ...end, ...tail].join('\n');
}

/** The header and one row a line, each line's text placed at its thread's column. */
function drawLines(input: readonly Line[], opts: TimelineOptions, laneMax: number): string[] {
  const paint = (fmt: Style | null, s: string) => (opts.color && fmt ? styleText(fmt, s) : s);
  const width = Math.max(40, opts.width ?? 100);
  const lanes = lanesOf(input);
  // Lanes sit close together so that the text of the right-most ones still has room
  // (TEXT_ROOM columns right of the last lane); text runs over the empty lanes of its line.
  const laneW = lanes.length < 2 ? 0 : Math.min(laneMax, Math.max(8, Math.floor((width - GUTTER - TEXT_ROOM) / (lanes.length - 1))));
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
  for (const e of input) {
    const lane = lanes.indexOf(e.thread);
    const row = blank();
    const at = col(lane);
    row[at] = DOT;
    const right = total - at - 2;
    const left = at - GUTTER - 1;
    const full = e.text + (e.extra ?? '');
    const len = full.length + e.note.length;
    const toRight = len <= right || (len > left && right >= left);
    const side = toRight ? right : left;
    const note = e.spareNote && e.text.length + e.note.length > side ? '' : e.note;
    const room = side - note.length;
    const text = clip(full.length <= room ? full : e.text, room) + note;
    const start = toRight ? at + 2 : at - 1 - text.length;
    const seq = String(e.seq).padStart(GUTTER - 1);
    const head = seq + ' ' + row.slice(GUTTER, start).join('');
    const tail = row.slice(start + text.length).join('').trimEnd();
    lines.push(head + paint(e.style, text) + tail);
  }
  return lines;
}
