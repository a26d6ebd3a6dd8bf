/**
 * A lexical pass over scenario text, before the yaml library builds anything: the
 * lexer is cheap (no tree, no values), so it can count entries of a huge document and
 * stop at the limit, and it sees where a flow collection was opened.
 */
import { CST, Lexer } from 'yaml';
import { LIMITS, type Limits } from './limits.ts';

/** Lexer tokens that mark structure and are not characters of the source. */
const NOT_SOURCE = new Set<string>([CST.DOCUMENT, CST.SCALAR, CST.FLOW_END]);

/** `{ line, col }`, both from 1, of a character offset. */
export function positionOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/** Each token of the text with its offset (the lexer gives source text, not positions). */
function* tokens(text: string): Generator<{ tok: string; type: string | null; offset: number }> {
  let offset = 0;
  for (const tok of new Lexer().lex(text)) {
    const type = CST.tokenType(tok);
    yield { tok, type: type ?? null, offset };
    if (!NOT_SOURCE.has(tok)) offset += tok.length;
  }
}

/** Where and why a text is refused before it is parsed. */
export interface Refusal {
  readonly offset: number;
  readonly message: string;
}

/**
 * The first place where the text passes a limit of limits.ts that the lexer can see, or
 * null: lexer tokens (a backstop for what no other limit counts), list items and map
 * keys (block `-`, `?`, `:`, and flow items, counted as the lexer meets them; aliases are
 * expanded by the alias check of document.ts), aliases (yaml resolves each by a search of
 * the whole document) and nesting (the parser recurses on it: flow collections by
 * depth, block ones by the column of their indicators).
 */
export function scanLimits(text: string, limits: Limits = LIMITS): Refusal | null {
  let entries = 0;
  let aliases = 0;
  let afterFlowSeqStart = false;
  const flow: string[] = [];
  let lineStart = 0;
  let count = 0;
  const n = (x: number) => x.toLocaleString('en-US');
  for (const { tok, type, offset } of tokens(text)) {
    if (++count > limits.tokens) return { offset, message: `more than ${n(limits.tokens)} YAML tokens (values, indicators, spaces, line breaks, comments) by here, the limit of a scenario document; refused before parsing` };
    if (type === 'newline') lineStart = offset + tok.length;
    // a block item or key one column further in is one level deeper
    if ((type === 'seq-item-ind' || type === 'explicit-key-ind') && offset - lineStart >= limits.column) {
      return { offset, message: `a block "${tok}" at column ${n(offset - lineStart + 1)}: block collections nest one level a column or two, and a scenario document may nest them at most ${limits.column} columns deep; refused before parsing` };
    }
    let counted = false;
    if (type === 'seq-item-ind' || type === 'map-value-ind' || type === 'explicit-key-ind') counted = true;
    else if (type === 'comma' && flow[flow.length - 1] === '[') counted = true;
    else if (afterFlowSeqStart && type !== 'space' && type !== 'newline' && type !== 'comment' && type !== 'flow-seq-end') counted = true;
    if (type !== 'space' && type !== 'newline' && type !== 'comment') afterFlowSeqStart = type === 'flow-seq-start';
    if (type === 'flow-seq-start' || type === 'flow-map-start') {
      flow.push(type === 'flow-seq-start' ? '[' : '{');
      if (flow.length > limits.nesting) return { offset, message: `flow collections nested more than ${limits.nesting} deep, the limit of a scenario document; refused before parsing` };
    } else if (type === 'flow-seq-end' || type === 'flow-map-end') flow.pop();
    if (counted && ++entries > limits.entries) return { offset, message: `more than ${n(limits.entries)} list items and keys by here, the limit of a scenario document (${limits.threads} threads of ${limits.steps} steps need far fewer); refused before parsing` };
    if (type === 'alias' && ++aliases > limits.aliases) return { offset, message: `more than ${limits.aliases} aliases by here, the limit of a scenario document; refused before parsing` };
  }
  return null;
}

/**
 * The offset of the innermost flow collection of @kind (`[` or `{`) still open at
 * @offset, or -1: yaml reports an unclosed collection where it gave up, often the next
 * line, while the mistake is the opening bracket.
 */
export function unclosedFlowAt(text: string, offset: number, kind: '[' | '{'): number {
  const open: { kind: string; offset: number }[] = [];
  for (const t of tokens(text)) {
    if (t.offset >= offset) break;
    if (t.type === 'flow-seq-start' || t.type === 'flow-map-start') open.push({ kind: t.tok, offset: t.offset });
    else if ((t.type === 'flow-seq-end' && open[open.length - 1]?.kind === '[') || (t.type === 'flow-map-end' && open[open.length - 1]?.kind === '{')) open.pop();
  }
  for (let i = open.length - 1; i >= 0; i--) if (open[i]!.kind === kind) return open[i]!.offset;
  return -1;
}
