/**
 * Plain helpers of a frames source that touch a typed store view (src/sim/struct.ts):
 * compiled next to the subset functions, with every field access turned into a store
 * read or write, so that a kernel helper reads `f.signaled` as the kernel C does. A
 * helper never yields (it runs inside a step), so its locals stay JS locals and its
 * control flow is left as written; only its views and its names are rewritten.
 */
import ts from 'typescript';
import { Refusal, moduleName, viewWriteOf, type ModuleCtx } from './frames-module.ts';
import { declarationOf } from './frames-ast.ts';
import { addrOf, fieldRead, viewField } from './frames-view.ts';

/**
 * Whether `fn`'s body reads or writes a field of a `Ref`, or calls a function `isHelper`
 * says is compiled (a helper that calls a compiled helper must call the compiled one, so
 * it is compiled too).
 */
export function touchesView(checker: ts.TypeChecker, fn: ts.FunctionDeclaration, isHelper: (d: ts.FunctionDeclaration) => boolean): boolean {
  let found = false;
  const walk = (n: ts.Node): void => {
    if (found) return;
    if (ts.isPropertyAccessExpression(n) && viewField(checker, n)) { found = true; return; }
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
      const d = declarationOf(checker, checker.getSymbolAtLocation(n.expression));
      if (d && ts.isFunctionDeclaration(d) && d !== fn && isHelper(d)) { found = true; return; }
    }
    ts.forEachChild(n, walk);
  };
  if (fn.body) walk(fn.body);
  return found;
}

/** Compiles one helper to the generated module's text (an exported function of the same name). */
export function compileHelper(m: ModuleCtx, fn: ts.FunctionDeclaration): string {
  const sf = m.sf;
  const k = fn.parameters[0];
  if (!k || !ts.isIdentifier(k.name) || k.name.text !== 'k') throw new Refusal(k ?? fn, 'helper without context', 'a helper that touches a view takes the thread context `k` first (its store is `k.s`)');
  const inside = (d: ts.Declaration) => d.getSourceFile() === sf && d.pos >= fn.pos && d.end <= fn.end;

  /** `n`'s text with its children rewritten (the source between them kept as written). */
  const splice = (n: ts.Node): string => {
    let out = '';
    let at = n.getStart(sf);
    n.forEachChild((c) => {
      const start = c.getStart(sf);
      out += sf.text.slice(at, start) + rw(c);
      at = c.end;
    });
    return out + sf.text.slice(at, n.end);
  };

  const rw = (n: ts.Node): string => {
    if (ts.isExpressionStatement(n)) {
      const w = viewWriteOf(m.checker, n.expression);
      if (w) {
        const val = w.op === '=' ? (w.field.kind === 'bool' ? `(${rw(w.rhs!)}) ? 1 : 0` : rw(w.rhs!)) : `k.s.get(o$) ${w.op} (${w.rhs ? rw(w.rhs) : '1'})`;
        return `{ const o$ = ${rw(w.target.expression)} + ${w.field.off}; k.s.set(o$, ${val}); }`;
      }
    }
    if ((ts.isBinaryExpression(n) || ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && !ts.isExpressionStatement(n.parent) && viewWriteOf(m.checker, n)) {
      throw new Refusal(n, 'field write inside an expression', 'write a field as a statement');
    }
    if (ts.isPropertyAccessExpression(n)) {
      const vf = viewField(m.checker, n);
      if (vf) return fieldRead('k.s', rw(n.expression), vf);
      return `${rw(n.expression)}${n.questionDotToken ? '?.' : '.'}${n.name.text}`;
    }
    if (ts.isQualifiedName(n)) return `${rw(n.left)}.${n.right.text}`;
    if (ts.isCallExpression(n)) {
      const at = addrOf(m.checker, n);
      if (at) return `(${rw(at.target.expression)} + ${at.field.off})`;
    }
    if (ts.isIdentifier(n)) {
      const p = n.parent;
      // names that are not references: declarations, property keys
      if ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isMethodSignature(p)) && p.name === n) return n.text;
      if (ts.isShorthandPropertyAssignment(p)) return n.text;
      if (n === fn.name) return n.text;
      const d = m.checker.getSymbolAtLocation(n)?.declarations?.[0];
      if (d && inside(d)) return n.text;
      return moduleName(m, n, isTypePosition(n));
    }
    return splice(n);
  };

  const line = sf.getLineAndCharacterOfPosition(fn.getStart(sf)).line + 1;
  const body = rw(fn);
  return `/** ${fn.name!.text} (source line ${line}): a helper over typed views */\n${body.startsWith('export ') ? body : `export ${body}`}\n`;
}

/** Whether an identifier names a type (imported as `type` when nothing uses it as a value). */
function isTypePosition(n: ts.Identifier): boolean {
  let p: ts.Node = n.parent;
  while (ts.isQualifiedName(p)) p = p.parent;
  return ts.isTypeReferenceNode(p) || ts.isExpressionWithTypeArguments(p) || ts.isTypeQueryNode(p);
}
