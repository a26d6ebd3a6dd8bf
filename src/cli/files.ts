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

/** Every .yaml/.yml/.json file under the given paths, sorted; a missing path is an input error. */
export function scenarioFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try { st = statSync(p); } catch { throw new InputError([{ file: p, line: 0, col: 0, path: '', message: 'no such file or directory' }]); }
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

export function loadScenario(file: string): Scenario {
  return parseScenario(readFileSync(file, 'utf8'), displayPath(file));
}
