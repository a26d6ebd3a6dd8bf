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
  try {
    const fd = openSync(file, 'r');
    try {
      bytes = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(bytes, LIMITS.fileBytes));
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, null);
        if (n === 0) break;
        got += n;
      }
      text = buf.subarray(0, got).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${(e as Error).message})`;
    throw new InputError([{ file: displayPath(file), line: 0, col: 0, path: '', message: why }]);
  }
  checkFileSize(text, bytes, displayPath(file));
  return parseScenario(text, displayPath(file));
}
