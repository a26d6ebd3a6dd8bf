/**
 * User errors in scenario files: each with file:line:column, the field path, what was
 * expected and what was found (spec/scenario-format.md §2). Exit code 2, no stack trace.
 */
export interface InputIssue {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
  readonly message: string;
}

export class InputError extends Error {
  constructor(readonly issues: readonly InputIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

/** `file:line:col: path: message`; a problem with the file itself has no position. */
export function formatIssue(i: InputIssue): string {
  const at = i.line > 0 ? `${i.file}:${i.line}:${i.col}` : i.file;
  // One line per issue, whatever the file held: editors and CI parse `file:line:col:`.
  return `${at}: ${i.path ? `${i.path}: ` : ''}${i.message}`.replace(/\r?\n/g, '\\n');
}

/** Optimal string alignment distance (a transposition counts 1). */
function osa(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const c = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + c);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** ` (did you mean "x"?)` for the closest candidate within a third of the length, else ''. */
export function didYouMean(found: string, candidates: readonly string[]): string {
  let best = '';
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = osa(found.toLowerCase(), c.toLowerCase());
    if (dist < bestD) { bestD = dist; best = c; }
  }
  return best && bestD <= Math.max(2, Math.floor(found.length / 3)) ? ` (did you mean "${best}"?)` : '';
}
