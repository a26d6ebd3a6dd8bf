/** Finding and reading scenario files for the CLI. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../scenario/errors.ts';
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

/** Reads and validates one scenario file; a file that cannot be read is an input error. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : `cannot be read (${(e as Error).message})`;
    throw new InputError([{ file: displayPath(file), line: 0, col: 0, path: '', message: why }]);
  }
  return parseScenario(text, displayPath(file));
}
