/**
 * Schedule tokens: the scenario file, a hash of its content and the thread chosen at each
 * step, run-length encoded with one letter a thread (a = thread 0). Short enough to paste:
 * `scenarios/x.yaml@1a2b3c4d:a12b3ca4`.
 */
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function encodeSchedule(schedule: readonly number[]): string {
  let s = '';
  for (let i = 0; i < schedule.length; ) {
    let j = i;
    while (j < schedule.length && schedule[j] === schedule[i]) j++;
    s += LETTERS[schedule[i]!]! + (j - i > 1 ? String(j - i) : '');
    i = j;
  }
  return s;
}

export function decodeSchedule(text: string): number[] | null {
  const out: number[] = [];
  const re = /([a-zA-Z])(\d*)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(text))) {
    const t = LETTERS.indexOf(m[1]!);
    const n = m[2] ? Number(m[2]) : 1;
    for (let i = 0; i < n; i++) out.push(t);
    pos = re.lastIndex;
  }
  return pos === text.length ? out : null;
}

export interface Token {
  readonly file: string;
  readonly hash: string;
  readonly schedule: number[];
}

export function formatToken(file: string, hash: string, schedule: readonly number[]): string {
  return `${file}@${hash}:${encodeSchedule(schedule)}`;
}

/** Parses a token; null when it is not one. */
export function parseToken(text: string): Token | null {
  const m = /^(.+)@([0-9a-f]{8}):([a-zA-Z0-9]*)$/.exec(text.trim());
  if (!m) return null;
  const schedule = decodeSchedule(m[3]!);
  return schedule ? { file: m[1]!, hash: m[2]!, schedule } : null;
}
