/**
 * From scenario text to a YAML document the schema can judge: the size limits first
 * (while the text is still text), then YAML syntax, keys and aliases, then the shape of
 * the whole document. Each refusal is an InputError with the position of its cause.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
import { InputError, type InputIssue } from './errors.ts';
import { bytesText, LIMITS } from './limits.ts';
import { positionOf, scanLimits, unclosedFlowAt } from './yaml-scan.ts';

export interface ScenarioDocument {
  readonly doc: Document.Parsed;
  readonly lc: LineCounter;
  /** the document's value: a plain object (a mapping) */
  readonly raw: Record<string, unknown>;
}

/**
 * Refuses a file of @bytes bytes over LIMITS.fileBytes, at the character where the limit
 * falls in @text (the file's text or its first LIMITS.fileBytes bytes: a reader need not
 * read a huge file to refuse it). Not @exact: a pipe, of which only @bytes were read.
 */
export function checkFileSize(text: string, bytes: number, file: string, exact = true): void {
  if (bytes <= LIMITS.fileBytes) return;
  const at = Buffer.from(text).subarray(0, LIMITS.fileBytes).toString().length;
  throw new InputError([{ file, ...positionOf(text, at), path: '', message: `the file has ${exact ? '' : 'more than '}${bytesText(exact ? bytes : LIMITS.fileBytes)}, over the limit of a scenario file, ${bytesText(LIMITS.fileBytes)}, which falls here; refused before parsing` }]);
}

/** Characters YAML does not allow in a stream (C0/C1 controls but tab, LF, CR, NEL; DEL), or U+FFFD from bytes that were not UTF-8. */
const NOT_TEXT = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffd\ufffe\uffff]/;

/** One mistake (an unclosed bracket) can make yaml report an error at every later line. */
const MAX_SYNTAX_ERRORS = 20;

/** What a document holds instead of a mapping, in words. */
function shapeOf(node: unknown): string {
  if (node === null || node === undefined) return 'nothing';
  if (isSeq(node)) return node.items.length ? 'a list' : 'an empty list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return 'nothing';
    if (typeof v === 'string') return `a string ("${v.length > 40 ? `${v.slice(0, 40)}...` : v}")`;
    if (typeof v === 'number' || typeof v === 'bigint') return `a number (${String(v)})`;
    if (typeof v === 'boolean') return `a boolean (${String(v)})`;
    return 'a tagged value';
  }
  return 'an alias';
}

/**
 * Parses @text as one scenario document. Throws InputError: over LIMITS.fileBytes or
 * LIMITS.entries, not text, YAML syntax, a non-scalar key, an alias without anchor or
 * whose expansion passes LIMITS.entries, a document that is not a mapping.
 */
export function scenarioDocument(text: string, file: string): ScenarioDocument {
  const issues: InputIssue[] = [];
  const fail = (offset: number, message: string): never => {
    issues.push({ file, ...positionOf(text, offset), path: '', message });
    throw new InputError(issues);
  };

  checkFileSize(text, Buffer.byteLength(text), file);
  const bad = NOT_TEXT.exec(text);
  if (bad) {
    const c = bad[0].charCodeAt(0);
    fail(bad.index, `expected a scenario (YAML text), found ${c === 0xfffd ? 'bytes that are not UTF-8' : `binary data (control character 0x${c.toString(16).padStart(2, '0')})`}`);
  }
  const refusal = scanLimits(text);
  if (refusal) fail(refusal.offset, refusal.message);

  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, message: string) => issues.push({ file, ...positionOf(text, offset), path: '', message });
  for (const e of doc.errors) {
    const first = e.message.split('\n')[0]!;
    if (/call stack/i.test(first)) {
      at(e.pos[0], 'the document is nested too deeply for the YAML parser');
      break;
    }
    if (issues.length === MAX_SYNTAX_ERRORS) {
      at(e.pos[0], `${doc.errors.length - MAX_SYNTAX_ERRORS} more YAML syntax error(s) from here on, not shown: the ones above cause most of them`);
      break;
    }
    const flow = /^Flow (map|sequence)/.exec(first);
    const open = flow ? unclosedFlowAt(text, e.pos[0], flow[1] === 'map' ? '{' : '[') : -1;
    if (open >= 0) at(open, `YAML syntax error: this ${text[open]} is not closed (${first})`);
    else at(e.pos[0], `YAML syntax error: ${first}`);
  }
  if (issues.length) throw new InputError(issues);

  // Anchors in one pass in document order (an alias names the latest anchor before it):
  // yaml's Alias.resolve searches the whole document each time.
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  // A `? [..]` or `? {..}` key has no field name; yaml would stringify it with a warning.
  visit(doc, {
    Node(_, node) {
      if (isAlias(node)) return;
      if (node.anchor) anchors.set(node.anchor, node);
    },
    Pair(_, pair) {
      if (pair.key === null || isScalar(pair.key)) return;
      const key = pair.key as Node;
      at(key.range?.[0] ?? 0, `expected a field name as key, found ${isSeq(key) ? 'a list' : isAlias(key) ? 'an alias' : 'a map'}`);
    },
    Alias(_, alias) {
      const target = anchors.get(alias.source);
      if (target) targets.set(alias, target);
      else at(alias.range?.[0] ?? 0, `alias *${alias.source} names no anchor (&${alias.source}) defined before it`);
    },
  });
  if (issues.length) throw new InputError(issues);
  checkAliasExpansion(doc, targets, fail);

  const top = isAlias(doc.contents) ? targets.get(doc.contents) : doc.contents;
  if (!isMap(top)) fail(top?.range?.[0] ?? 0, `expected a scenario (a mapping of name, exporter, importers, threads), found ${shapeOf(top)}`);
  // Aliases are bounded above, so yaml's own alias-count heuristic is not needed.
  return { doc, lc, raw: doc.toJS({ maxAliasCount: -1 }) as Record<string, unknown> };
}

/**
 * Counts list items and map keys with every alias expanded, in document order, and
 * refuses at the alias that takes the document past LIMITS.entries (a "billion laughs"
 * bomb is a few lines of aliases) or that names a collection containing it.
 */
function checkAliasExpansion(doc: Document.Parsed, targets: ReadonlyMap<Alias, Node>, fail: (offset: number, message: string) => never): void {
  const size = new Map<Node, number>();
  const open = new Set<Node>();
  let total = 0;
  const count = (node: unknown, expanding: boolean): number => {
    if (isAlias(node)) {
      const target = targets.get(node);
      if (!target) return 0;
      if (open.has(target)) fail(node.range?.[0] ?? 0, `alias *${node.source} names a collection that contains it (a cycle)`);
      const n = size.get(target) ?? count(target, true);
      if (!expanding) {
        total += n;
        if (total > LIMITS.entries) fail(node.range?.[0] ?? 0, `alias *${node.source} repeats ${n.toLocaleString('en-US')} list items and keys, which takes the document past ${LIMITS.entries.toLocaleString('en-US')} (the limit of a scenario document)`);
      }
      return n;
    }
    if (!isMap(node) && !isSeq(node) && !isPair(node)) return 0;
    open.add(node as Node);
    let n = 0;
    if (isPair(node)) n = count(node.key, expanding) + count(node.value, expanding);
    else {
      for (const item of node.items) {
        if (!expanding) total++;
        n += 1 + count(item, expanding);
      }
    }
    open.delete(node as Node);
    if (!isPair(node)) size.set(node as Node, n);
    return n;
  };
  count(doc.contents, false);
}
