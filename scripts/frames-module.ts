/**
 * What the function* subset compiler's parts share (scripts/compile-frames.ts): the
 * module being compiled, refusals, and how a compiled function names what is not its own
 * local (imports, the source's exports, compiled helpers) and writes struct fields.
 */
import ts from 'typescript';
import { basename, dirname, relative } from 'node:path';
import { declarationOf, findImport, skipParens, topLevel } from './frames-ast.ts';
import { viewField, type ViewField } from './frames-view.ts';

/** Thrown inside the compiler at the first construct outside the subset of a function. */
export class Refusal extends Error {
  constructor(readonly node: ts.Node, readonly construct: string, readonly why: string) { super(construct); }
}

export const WHY_STATE = 'state lives in store slots (fields, pools, store lists), not in JS values';
export const COMPOUND: Record<string, string> = { '+=': '+', '-=': '-', '*=': '*', '|=': '|', '&=': '&', '^=': '^', '<<=': '<<', '>>=': '>>', '>>>=': '>>>' };

export interface ModuleCtx {
  readonly sf: ts.SourceFile;
  readonly checker: ts.TypeChecker;
  readonly fnIds: Map<ts.Symbol, number>;
  readonly gens: readonly ts.FunctionDeclaration[];
  /** imports the generated code needs, by local name: module specifier, binding, whether inside `{ }` */
  readonly imports: Map<string, { spec: string; text: string; named: boolean }>;
  /** names of src/sim/frames.ts the generated code uses */
  readonly runtime: Set<string>;
  usesSrc: boolean;
  /** absolute paths of the files compiled to frames: the only files `yield*` may call into */
  readonly frameSources: ReadonlySet<string>;
  /** the other frames modules this one calls, by source file: the names the generated code imports them as */
  readonly deps: Map<string, { fn: string; mod: string; spec: string }>;
  /** display path of a file, relative to the project root */
  display(file: string): string;
  /** whether a plain function is a compiled helper (it touches a view): calls reach the compiled one */
  isHelper(d: ts.FunctionDeclaration): boolean;
}

/** A write of a struct field as a statement: the access, the field, the operator (`=`, a compound's, `+`/`-` of an increment) and the right side. */
export function viewWriteOf(checker: ts.TypeChecker, e: ts.Expression): { target: ts.PropertyAccessExpression; field: ViewField; op: string; rhs?: ts.Expression } | undefined {
  const at = (n: ts.Expression) => {
    const t = skipParens(n);
    const f = ts.isPropertyAccessExpression(t) ? viewField(checker, t) : undefined;
    return f && { target: t as ts.PropertyAccessExpression, field: f };
  };
  if (ts.isBinaryExpression(e)) {
    const op = e.operatorToken.kind === ts.SyntaxKind.EqualsToken ? '=' : COMPOUND[e.operatorToken.getText()];
    const w = op ? at(e.left) : undefined;
    return w && { ...w, op, rhs: e.right };
  }
  if ((ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) && (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken)) {
    const w = at(e.operand);
    return w && { ...w, op: e.operator === ts.SyntaxKind.PlusPlusToken ? '+' : '-' };
  }
  return undefined;
}

/**
 * A name a compiled function uses that is not its own local: an import (re-imported by the
 * generated module; a compiled helper of another frames source from that file's generated
 * module), this file's compiled helper (emitted next to it), or an exported declaration of
 * the source (`src.name`). Refuses captured and module-level mutable state.
 */
export function moduleName(m: ModuleCtx, e: ts.Identifier, isType: boolean): string {
  const sym = m.checker.getSymbolAtLocation(e);
  const d = sym?.declarations?.[0];
  if (!sym || !d) throw new Refusal(e, `unresolved name \`${e.text}\``, 'declare it');
  if (d.getSourceFile() !== m.sf) return e.text; // a global
  if (ts.isImportSpecifier(d) || ts.isImportClause(d) || ts.isNamespaceImport(d)) {
    const decl = findImport(d);
    let spec = decl.moduleSpecifier.getText(m.sf);
    const target = declarationOf(m.checker, sym);
    if (target && ts.isFunctionDeclaration(target) && m.isHelper(target)) spec = spec.replace(/\.ts'$/, ".frames.ts'");
    const text = ts.isImportSpecifier(d) ? d.getText(m.sf).replace(/^type\s+/, '') : ts.isNamespaceImport(d) ? `* as ${e.text}` : e.text;
    const had = m.imports.get(e.text);
    // a name used as a value anywhere is imported as a value
    m.imports.set(e.text, { spec, text: ts.isImportSpecifier(d) && isType && (!had || had.text.startsWith('type ')) ? `type ${text}` : text, named: ts.isImportSpecifier(d) });
    return e.text;
  }
  const top = topLevel(d);
  if (!top) throw new Refusal(e, `captured variable \`${e.text}\``, 'a subset function reads its own locals, module constants and imports only');
  if (ts.isVariableStatement(top) && !(top.declarationList.flags & ts.NodeFlags.Const)) throw new Refusal(e, `module-level mutable variable \`${e.text}\``, WHY_STATE);
  if (ts.isFunctionDeclaration(top) && m.isHelper(top)) return e.text;
  if (!ts.canHaveModifiers(top) || !ts.getModifiers(top)?.some((x) => x.kind === ts.SyntaxKind.ExportKeyword)) {
    throw new Refusal(e, `\`${e.text}\` is not exported`, 'the compiled module reaches the source file\'s declarations through its exports');
  }
  m.usesSrc = true;
  return `src.${e.text}`;
}

/** The id expression of `decl` in another frames module; registers the module's import. */
export function depCall(m: ModuleCtx, at: ts.Node, file: string, decl: ts.FunctionDeclaration): string {
  if (!m.frameSources.has(file)) {
    throw new Refusal(at, `yield* into ${m.display(file)}`, 'that file is not compiled to frames (add it to FRAME_SOURCES in scripts/compile-frames.ts)');
  }
  let d = m.deps.get(file);
  if (!d) {
    const base = basename(file).replace(/\.ts$/, '').replace(/[^A-Za-z0-9]/g, '_');
    const name = m.deps.size === 0 || ![...m.deps.values()].some((x) => x.mod === `${base}$frames`) ? base : `${base}${m.deps.size}`;
    let spec = relative(dirname(m.sf.fileName), file.replace(/\.ts$/, '.frames.ts'));
    if (!spec.startsWith('.')) spec = `./${spec}`;
    d = { fn: `${name}$FN`, mod: `${name}$frames`, spec: `'${spec}'` };
    m.deps.set(file, d);
  }
  return `k.prog.base(${d.mod}) + ${d.fn}.${decl.name!.text}`;
}
