/**
 * Arguments and results of `call` steps (spec/scenario-format.md §1 "Core calls"): the
 * kinds of kernel parameters, how a YAML value is read as one, and the parsed step.
 */
import { ERRNO, type ErrnoName } from '../kernel/errno.ts';
import { USAGE_NAMES } from '../kernel/resv.ts';

/** What a name bound with `as:` (or a vmap `map`) holds. */
export type BindKind = 'fence' | 'cb' | 'buf' | 'attach' | 'sgt' | 'ctx' | 'resv' | 'int' | 'map';

/** Kernel parameter kinds. Object kinds take a bound name or `null`. */
export type ParamKind =
  | BindKind
  | 'bool' | 'usage' | 'dir' | 'dev' | 'fd' | 'ops' | 'importer_ops' | 'vma' | 'any' | 'class';

export type ArgValue =
  | { readonly t: 'null' }
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'ref'; readonly v: string }
  | { readonly t: 'sym'; readonly v: string }
  | { readonly t: 'raw'; readonly v: unknown };

export type Expect = { readonly t: 'num'; readonly v: number } | { readonly t: 'ok' } | { readonly t: 'warn' };

export interface CallStep {
  readonly kind: 'call';
  /** the function as the file spells it */
  readonly fn: string;
  readonly args: Readonly<Record<string, ArgValue>>;
  readonly expect: Expect | null;
  readonly as: string | null;
  readonly text: string;
  /** field path of the step, for messages (threads[0].steps[2]) */
  readonly where: string;
  /** the same path as items, for positioned messages */
  readonly at: readonly (string | number)[];
}

export const DIRECTIONS = ['DMA_TO_DEVICE', 'DMA_FROM_DEVICE', 'DMA_BIDIRECTIONAL'] as const;
export const MAX_SCHEDULE_TIMEOUT_NAME = 'MAX_SCHEDULE_TIMEOUT';
export const BUILTIN_NAMES: Readonly<Record<string, BindKind>> = { buf: 'buf' };

/** The negative value of an errno name (`-ENOENT` or `ENOENT`), or undefined. */
export function errnoValue(s: string): number | undefined {
  const name = s.startsWith('-') ? s.slice(1) : s;
  return name in ERRNO ? -ERRNO[name as ErrnoName] : undefined;
}

const OBJECT_KINDS: readonly ParamKind[] = ['fence', 'cb', 'buf', 'attach', 'sgt', 'ctx', 'resv', 'map'];

export function isObjectKind(k: ParamKind): k is BindKind {
  return OBJECT_KINDS.includes(k);
}

/**
 * Reads a YAML value as a parameter of `kind`; returns the value or a message
 * ("expected ..., found ...").
 */
export function readArg(kind: ParamKind, x: unknown, describe: (x: unknown) => string): ArgValue | string {
  if (x === null) return { t: 'null' };
  switch (kind) {
    case 'int': {
      if (typeof x === 'number' && Number.isInteger(x)) return { t: 'num', v: x };
      if (typeof x === 'string') {
        if (x === MAX_SCHEDULE_TIMEOUT_NAME) return { t: 'sym', v: x };
        const e = errnoValue(x);
        if (e !== undefined) return { t: 'num', v: e };
        if (/^[A-Za-z_][\w-]*$/.test(x)) return { t: 'ref', v: x };
      }
      return `expected an integer, an errno name, ${MAX_SCHEDULE_TIMEOUT_NAME} or a name bound with "as", found ${describe(x)}`;
    }
    case 'bool':
      if (typeof x === 'boolean') return { t: 'bool', v: x };
      if (x === 0 || x === 1) return { t: 'bool', v: x === 1 };
      if (typeof x === 'string' && /^[A-Za-z_][\w-]*$/.test(x)) return { t: 'ref', v: x };
      return `expected true or false, found ${describe(x)}`;
    case 'usage':
      if (typeof x === 'string' && (USAGE_NAMES as readonly string[]).includes(x.replace(/^DMA_RESV_USAGE_/, ''))) return { t: 'sym', v: x.replace(/^DMA_RESV_USAGE_/, '') };
      return `expected a usage (${USAGE_NAMES.join(', ')}), found ${describe(x)}`;
    case 'dir':
      if (typeof x === 'string' && (DIRECTIONS as readonly string[]).includes(x)) return { t: 'sym', v: x };
      return `expected a direction (${DIRECTIONS.join(', ')}), found ${describe(x)}`;
    case 'dev':
    case 'class':
      if (typeof x === 'string' && x.length > 0) return { t: 'sym', v: x };
      return `expected a name, found ${describe(x)}`;
    case 'fd':
      if (typeof x === 'number' && Number.isInteger(x)) return { t: 'num', v: x };
      if (typeof x === 'string' && /^[A-Za-z_][\w-]*$/.test(x)) return { t: 'ref', v: x };
      return `expected an fd (a number, "buf" for the exporter's fd, or a name bound by dma_buf_fd), found ${describe(x)}`;
    case 'vma':
      if (typeof x === 'number' && Number.isInteger(x) && x >= 0) return { t: 'num', v: x };
      if (x && typeof x === 'object' && !Array.isArray(x)) {
        const o = x as Record<string, unknown>;
        const keys = Object.keys(o).filter((k) => k !== 'pages');
        if (keys.length) return `unknown key "${keys[0]}" of a vma (it has "pages")`;
        if (typeof o.pages === 'number' && Number.isInteger(o.pages) && o.pages >= 0) return { t: 'num', v: o.pages };
      }
      return `expected a vma: {pages: N} or a page count, found ${describe(x)}`;
    case 'ops':
    case 'importer_ops':
    case 'any':
      return { t: 'raw', v: x };
    default:
      if (typeof x === 'string' && /^[A-Za-z_][\w-]*$/.test(x)) return { t: 'ref', v: x };
      return `expected the name of a ${kind} (bound with "as") or null, found ${describe(x)}`;
  }
}

/** Reads `expect:`: a number, an errno name, a boolean (1/0), a usage name, `ok` or `warn`. */
export function readExpect(x: unknown, describe: (x: unknown) => string): Expect | string {
  if (typeof x === 'number' && Number.isInteger(x)) return { t: 'num', v: x };
  if (typeof x === 'boolean') return { t: 'num', v: x ? 1 : 0 };
  if (x === 'ok') return { t: 'ok' };
  if (x === MAX_SCHEDULE_TIMEOUT_NAME) return { t: 'num', v: Number.MAX_SAFE_INTEGER };
  if (x === 'warn') return { t: 'warn' };
  if (typeof x === 'string') {
    const e = errnoValue(x);
    if (e !== undefined) return { t: 'num', v: e };
    const u = (USAGE_NAMES as readonly string[]).indexOf(x);
    if (u >= 0) return { t: 'num', v: u };
  }
  return `expected a number, an errno name (-ENOENT), true/false, MAX_SCHEDULE_TIMEOUT, ok or warn, found ${describe(x)}`;
}

export function expectText(e: Expect): string {
  if (e.t === 'num') return e.v < 0 ? errnoName(e.v) : String(e.v);
  return e.t;
}

export function errnoName(v: number): string {
  for (const [k, n] of Object.entries(ERRNO)) if (n === -v) return `-${k}`;
  return String(v);
}

export function argText(a: ArgValue): string {
  switch (a.t) {
    case 'null': return 'NULL';
    case 'num': return a.v < 0 ? errnoName(a.v) : String(a.v);
    case 'bool': return String(a.v);
    case 'ref': case 'sym': return a.v;
    case 'raw': return JSON.stringify(a.v);
  }
}
