/** Finding and reading scenario files for the CLI. */
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../scenario/errors.ts';
import { checkFileSize } from '../scenario/document.ts';
import { LIMITS } from '../scenario/limits.ts';
import { parseScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';

/** The bundled scenarios/ directory (next to dist/ or src/). */
export function bundledDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', ...(import.meta.url.includes('/src/') ? ['..'] : []), 'scenarios');
}

/** Every .yaml/.yml/.json file under the given paths, sorted within a directory. */
export function scenarioFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    // a missing path is kept: loading it reports the error and the other files still run
    try { st = statSync(p); } catch { out.push(p); continue; }
    if (st.isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.(ya?ml|json)$/.test(f)) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

export function displayPath(file: string): string {
  const r = relative(process.cwd(), file);
  return r.startsWith('..') ? file : r;
}

/**
 * Reads and validates one scenario file; a file that cannot be read is an input error.
 * A file over LIMITS.fileBytes is refused after reading only that much of it.
 */
export function loadScenario(file: string): Scenario {
  let text: string;
  let bytes: number;
  let exact: boolean;
  try {
    const fd = openSync(file, 'r');
    try {
      // one byte past the limit tells a pipe (no size) that is too long
      const cap = LIMITS.fileBytes + 1;
      const chunks: Buffer[] = [];
      let got = 0;
      for (let n = -1; n !== 0 && got < cap; got += n) {
        const buf = Buffer.alloc(Math.min(1 << 16, cap - got));
        n = readSync(fd, buf, 0, buf.length, null);
        chunks.push(buf.subarray(0, n));
      }
      const st = fstatSync(fd);
      exact = st.isFile() || got < cap;
      bytes = st.isFile() ? Math.max(st.size, got) : got;
      text = Buffer.concat(chunks).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${(e as Error).message})`;
    throw new InputError([{ file: displayPath(file), line: 0, col: 0, path: '', message: why }]);
  }
  checkFileSize(text, bytes, displayPath(file), exact);
  return parseScenario(text, displayPath(file));
}
