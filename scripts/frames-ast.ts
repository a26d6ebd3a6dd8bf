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

/** Whether `c` calls `invoke` of src/sim/frame-ops.ts. */
export function isInvoke(checker: ts.TypeChecker, c: ts.CallExpression): boolean {
  const callee = ts.isIdentifier(c.expression) ? checker.getSymbolAtLocation(c.expression) : undefined;
  const sym = callee && callee.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(callee) : callee;
  const d = sym?.declarations?.[0];
  return !!d && ts.isFunctionDeclaration(d) && d.name?.text === 'invoke' && d.getSourceFile().fileName.endsWith('src/sim/frame-ops.ts');
}
