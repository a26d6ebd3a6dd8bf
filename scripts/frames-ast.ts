/** Syntax helpers of the function* subset compiler (scripts/frames-function.ts). */
import ts from 'typescript';

/** Throws `r`: for refusals inside expressions (`x ?? fail(...)`). */
export function fail(r: Error): never {
  throw r;
}

export function skipParens(e: ts.Expression): ts.Expression {
  return ts.isParenthesizedExpression(e) ? skipParens(e.expression) : e;
}

export function findImport(n: ts.Node): ts.ImportDeclaration {
  let p: ts.Node = n;
  while (!ts.isImportDeclaration(p)) p = p.parent;
  return p;
}

/** The top-level statement declaring `d`, or undefined when it is declared in a function. */
export function topLevel(d: ts.Declaration): ts.Statement | undefined {
  let p: ts.Node = d;
  while (p.parent && !ts.isSourceFile(p.parent)) {
    if (ts.isFunctionLike(p.parent)) return undefined;
    p = p.parent;
  }
  return p as ts.Statement;
}

/** The top-level `function*` declarations of a file: what the subset compiles, in order (their function ids). */
export function subsetFunctions(sf: ts.SourceFile): ts.FunctionDeclaration[] {
  return sf.statements.filter((st): st is ts.FunctionDeclaration => ts.isFunctionDeclaration(st) && !!st.asteriskToken && !!st.name);
}

/** The declaration a name resolves to, through an import. */
export function declarationOf(checker: ts.TypeChecker, sym: ts.Symbol | undefined): ts.Declaration | undefined {
  const target = sym && sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
  return target?.declarations?.[0];
}

/** Whether `c` calls the function `name` declared in the file whose path ends with `file` (the runtime's special forms). */
export function callsRuntime(checker: ts.TypeChecker, c: ts.CallExpression, name: string, file: string): boolean {
  const d = ts.isIdentifier(c.expression) ? declarationOf(checker, checker.getSymbolAtLocation(c.expression)) : undefined;
  return !!d && ts.isFunctionDeclaration(d) && d.name?.text === name && d.getSourceFile().fileName.endsWith(file);
}

/** Whether `c` calls `invoke` of src/sim/frame-ops.ts. */
export function isInvoke(checker: ts.TypeChecker, c: ts.CallExpression): boolean {
  return callsRuntime(checker, c, 'invoke', 'src/sim/frame-ops.ts');
}
