/**
 * One function of the compiled `function*` subset (scripts/compile-frames.ts): its locals
 * become frame slots, its statements program points of a `switch` (docs/design.md "The
 * subset as built"). A construct outside the subset throws `Refusal`, which the module
 * compiler turns into `file:line:column: construct: why`.
 */
import ts from 'typescript';
import { declarationOf, fail, isInvoke, skipParens, subsetFunctions } from './frames-ast.ts';
import { COMPOUND, depCall, moduleName, Refusal, viewWriteOf, WHY_STATE, type ModuleCtx } from './frames-module.ts';
import { addrOf, fieldRead, isRefType, kindOf, valueKindOf, viewField, type Kind, type ValueKind } from './frames-view.ts';

const NAMES: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.TryStatement]: 'try statement', [ts.SyntaxKind.ThrowStatement]: 'throw statement',
  [ts.SyntaxKind.ForOfStatement]: 'for-of loop',
  [ts.SyntaxKind.ForInStatement]: 'for-in loop', [ts.SyntaxKind.LabeledStatement]: 'labelled statement',
  [ts.SyntaxKind.FunctionDeclaration]: 'nested function', [ts.SyntaxKind.ClassDeclaration]: 'class declaration',
  [ts.SyntaxKind.ArrowFunction]: 'closure (arrow function)', [ts.SyntaxKind.FunctionExpression]: 'closure (function expression)',
  [ts.SyntaxKind.ObjectLiteralExpression]: 'object literal', [ts.SyntaxKind.ArrayLiteralExpression]: 'array literal',
  [ts.SyntaxKind.NewExpression]: 'new expression', [ts.SyntaxKind.ThisKeyword]: 'this', [ts.SyntaxKind.AwaitExpression]: 'await',
  [ts.SyntaxKind.NullKeyword]: 'null', [ts.SyntaxKind.TaggedTemplateExpression]: 'tagged template', [ts.SyntaxKind.DeleteExpression]: 'delete',
  [ts.SyntaxKind.WithStatement]: 'with statement', [ts.SyntaxKind.SpreadElement]: 'spread argument',
};
/** A subset function a name refers to: its declaration, its index in its file, and the file when it is another. */
interface SubsetRef {
  readonly decl: ts.FunctionDeclaration;
  readonly index: number;
  readonly file?: string;
}

/**
 * A local's frame slot. An importer or thread index (`value` `i`, `t`) is stored + 1, so
 * that 0 is none in every slot and a renaming of importers maps the state of a frame whose
 * local is not yet set to one whose local is not set either.
 */
interface Local {
  readonly off: number;
  readonly kind: Kind;
  readonly ref?: boolean;
  readonly value: ValueKind;
}

/** One subset function: locals to frame slots, statements to program points. */
export class FnCompiler {
  locals = 0;
  private readonly slot = new Map<ts.Symbol, Local>();
  /** what each local's value names (one ValueKind a local, hidden ones `.`), for the renaming of identical importers */
  readonly values: ValueKind[] = [];
  private readonly blocks: string[][] = [];
  private cur = 0;
  private open = true;
  private readonly loops: { brk: number; cont: number }[] = [];
  private ctxSym: ts.Symbol | undefined;

  /** this function's index in its module: a call to a neighbour is relative to it (no lookup) */
  private readonly self: number;

  constructor(private readonly m: ModuleCtx, private readonly fn: ts.FunctionDeclaration) {
    this.self = m.gens.indexOf(fn);
  }

  compile(): string {
    const [k, ...params] = this.fn.parameters;
    if (!k || !ts.isIdentifier(k.name) || k.name.text !== 'k') throw new Refusal(k ?? this.fn, 'function* without context', 'the first parameter must be the thread context `k`');
    this.ctxSym = this.m.checker.getSymbolAtLocation(k.name);
    if (!k.type) throw new Refusal(k, 'context without a type', 'annotate `k` with the model\'s context type (FrameCtx<Env>)');
    const ctxType = this.typeText(k.type);
    for (const p of params) {
      if (p.dotDotDotToken || p.initializer || p.questionToken) throw new Refusal(p, 'rest, optional or default parameter', 'parameters are plain locals');
      this.declare(p.name);
    }
    if (!this.fn.body) throw new Refusal(this.fn, 'function* without body', 'nothing to compile');
    this.blocks.push([]);
    for (const st of this.fn.body.statements) this.stmt(st);
    if (this.open) this.term(`return ${this.rt('frameReturn')}(k, 0);`);
    const name = this.fn.name!.text;
    const cases = this.blocks.map((b, i) => `      case ${i}: {\n${b.map((l) => `        ${l}`).join('\n')}\n      }`);
    const pos = this.m.sf.getLineAndCharacterOfPosition(this.fn.getStart(this.m.sf)).line + 1;
    return [`/** ${name} (source line ${pos}): ${this.blocks.length} program points, ${this.locals} locals */`,
      `function ${name}$frames(ctx: FrameRunCtx<never>, fr: number): number {`, `  const k = ctx as unknown as FrameRunCtx & ${ctxType};`, `  const s = k.s;`, `  for (;;) {`, `    switch (s.get(fr + 1)) {`,
      ...cases, `      default: throw new Error(\`model bug: ${name} at program point \${s.get(fr + 1)}\`);`, `    }`, `  }`, `}`, ''].join('\n');
  }

  private rt(name: string): string {
    this.m.runtime.add(name);
    return name;
  }

  private declare(n: ts.BindingName): Local {
    if (!ts.isIdentifier(n)) throw new Refusal(n, 'destructuring', 'declare one local a name');
    const kind = kindOf(this.m.checker.getTypeAtLocation(n));
    if (!kind) throw new Refusal(n, `local \`${n.text}\` of type ${this.m.checker.typeToString(this.m.checker.getTypeAtLocation(n))}`, `locals are numbers, booleans or object ids; ${WHY_STATE}`);
    const t = this.m.checker.getTypeAtLocation(n);
    const v: Local = { off: this.locals++, kind, value: valueKindOf(t), ...(isRefType(t) ? { ref: true } : {}) };
    this.values[v.off] = v.value;
    this.slot.set(this.m.checker.getSymbolAtLocation(n)!, v);
    return v;
  }

  // --- program points ---
  private label(): number {
    this.blocks.push([]);
    return this.blocks.length - 1;
  }
  private place(id: number): void {
    if (this.open) this.blocks[this.cur]!.push(`s.set(fr + 1, ${id}); continue;`);
    this.cur = id;
    this.open = true;
  }
  private emit(line: string): void {
    if (!this.open) this.place(this.label()); // unreachable code still compiles
    this.blocks[this.cur]!.push(line);
  }
  private term(line: string): void {
    this.emit(line);
    this.open = false;
  }
  private jump(id: number): void {
    this.term(`s.set(fr + 1, ${id}); continue;`);
  }
  private branch(cond: ts.Expression, yes: number, no: number): void {
    this.term(`s.set(fr + 1, (${this.expr(cond)}) ? ${yes} : ${no}); continue;`);
  }

  // --- statements ---
  private stmt(st: ts.Statement): void {
    if (ts.isBlock(st)) { for (const s of st.statements) this.stmt(s); return; }
    if (ts.isEmptyStatement(st)) return;
    if (ts.isVariableStatement(st)) { this.decls(st.declarationList); return; }
    if (ts.isExpressionStatement(st)) { this.exprStmt(st.expression); return; }
    if (ts.isIfStatement(st)) {
      const yes = this.label();
      const no = this.label();
      const end = st.elseStatement ? this.label() : no;
      this.branch(st.expression, yes, no);
      this.place(yes);
      this.stmt(st.thenStatement);
      if (st.elseStatement) { this.jump(end); this.place(no); this.stmt(st.elseStatement); }
      this.place(end);
      return;
    }
    if (ts.isWhileStatement(st)) {
      const head = this.label();
      const body = this.label();
      const end = this.label();
      this.place(head);
      this.branch(st.expression, body, end);
      this.place(body);
      this.loop(st.statement, end, head);
      this.jump(head);
      this.place(end);
      return;
    }
    if (ts.isDoStatement(st)) {
      const body = this.label();
      const cond = this.label();
      const end = this.label();
      this.place(body);
      this.loop(st.statement, end, cond);
      this.place(cond);
      this.branch(st.expression, body, end);
      this.place(end);
      return;
    }
    if (ts.isForStatement(st)) {
      if (st.initializer) { if (ts.isVariableDeclarationList(st.initializer)) this.decls(st.initializer); else this.exprStmt(st.initializer); }
      const head = this.label();
      const body = this.label();
      const next = this.label();
      const end = this.label();
      this.place(head);
      if (st.condition) this.branch(st.condition, body, end);
      this.place(body);
      this.loop(st.statement, end, next);
      this.place(next);
      if (st.incrementor) this.exprStmt(st.incrementor);
      this.jump(head);
      this.place(end);
      return;
    }
    if (ts.isSwitchStatement(st)) { this.switchStmt(st); return; }
    if (ts.isBreakStatement(st) || ts.isContinueStatement(st)) {
      if (st.label) throw new Refusal(st, 'labelled jump', 'break and continue apply to the innermost loop or switch');
      const l = this.loops[this.loops.length - 1];
      const to = l && (ts.isBreakStatement(st) ? l.brk : l.cont);
      if (to === undefined || to < 0) throw new Refusal(st, ts.isBreakStatement(st) ? 'break' : 'continue', ts.isBreakStatement(st) ? 'only inside a loop or a switch' : 'only inside a loop');
      this.jump(to);
      return;
    }
    if (ts.isReturnStatement(st)) {
      const e = st.expression && skipParens(st.expression);
      if (!e) { this.term(`return ${this.rt('frameReturn')}(k, 0);`); return; }
      if (ts.isYieldExpression(e) && e.asteriskToken) {
        this.call(e, 'return');
        this.term(`return ${this.rt('frameReturn')}(k, ${this.rt('frameRetval')}(k));`);
        return;
      }
      this.term(`return ${this.rt('frameReturn')}(k, ${this.toSlot(e, this.valueKind(e))});`);
      return;
    }
    throw new Refusal(st, NAMES[st.kind] ?? ts.SyntaxKind[st.kind], 'not in the compiled subset (let/const, if, switch, while, do, for, break, continue, return, yield op, yield* f(k, ...))');
  }

  /** `switch` as JS runs it: the discriminant once (a hidden local, zeroed after), `===` in order, fall-through, `break` to the end. */
  private switchStmt(st: ts.SwitchStatement): void {
    const t = this.m.checker.getTypeAtLocation(st.expression);
    const kind = kindOf(t) ?? fail(new Refusal(st.expression, `switch over a value of type ${this.m.checker.typeToString(t)}`, 'switch over numbers or booleans'));
    this.values[this.locals] = '.';
    const tmp = 2 + this.locals++;
    this.emit(`s.set(fr + ${tmp}, ${this.toSlot(st.expression, kind)});`);
    const clauses = st.caseBlock.clauses;
    const bodies = clauses.map(() => this.label());
    const end = this.label();
    let otherwise = end;
    clauses.forEach((c, i) => {
      if (ts.isDefaultClause(c)) { otherwise = bodies[i]!; return; }
      const next = this.label();
      this.term(`s.set(fr + 1, s.get(fr + ${tmp}) === ${this.toSlot(c.expression, kind)} ? ${bodies[i]} : ${next}); continue;`);
      this.place(next);
    });
    this.jump(otherwise);
    const outer = this.loops[this.loops.length - 1];
    this.loops.push({ brk: end, cont: outer ? outer.cont : -1 });
    clauses.forEach((c, i) => { this.place(bodies[i]!); for (const x of c.statements) this.stmt(x); });
    this.loops.pop();
    this.place(end);
    this.emit(`s.set(fr + ${tmp}, 0);`);
  }

  private loop(body: ts.Statement, brk: number, cont: number): void {
    this.loops.push({ brk, cont });
    this.stmt(body);
    this.loops.pop();
  }

  private decls(list: ts.VariableDeclarationList): void {
    if (!(list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const))) throw new Refusal(list, 'var declaration', 'declare locals with let or const');
    for (const d of list.declarations) {
      const v = this.declare(d.name);
      const init = d.initializer && skipParens(d.initializer);
      if (init && ts.isYieldExpression(init) && init.asteriskToken) this.call(init, v);
      else this.emit(this.writeLocal(v, init ? this.toSlot(init, v.kind) : undefined));
    }
  }

  private exprStmt(e0: ts.Expression): void {
    const e = skipParens(e0);
    if (ts.isYieldExpression(e)) {
      if (e.asteriskToken) { this.call(e, undefined); return; }
      if (!e.expression) throw new Refusal(e, 'yield without an op', 'yield an op (sched(), lock(slot), waitEq(slot, v), ...)');
      const next = this.label();
      this.emit(`s.set(fr + 1, ${next});`);
      this.term(`return ${this.rt('framePend')}(k, ${this.expr(e.expression)});`);
      this.place(next);
      return;
    }
    const field = this.viewWrite(e);
    if (field) { this.emit(field); return; }
    if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.EqualsToken || COMPOUND[e.operatorToken.getText(this.m.sf)])) {
      const v = this.local(e.left, 'assignment');
      const r = skipParens(e.right);
      const op = e.operatorToken.getText(this.m.sf);
      if (op === '=' && ts.isYieldExpression(r) && r.asteriskToken) { this.call(r, v); return; }
      const val = op === '=' ? this.toSlot(r, v.kind) : `${this.read(v)} ${COMPOUND[op]} (${this.expr(r)})`;
      this.emit(this.writeLocal(v, val));
      return;
    }
    if ((ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) && (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken)) {
      const v = this.local(e.operand, 'increment');
      this.emit(this.writeLocal(v, `${this.read(v)} ${e.operator === ts.SyntaxKind.PlusPlusToken ? '+' : '-'} 1`));
      return;
    }
    if (ts.isCallExpression(e)) { this.emit(`${this.expr(e)};`); return; }
    throw new Refusal(e, 'expression statement', 'a statement is a call, an assignment to a local, yield op or yield* f(k, ...)');
  }

  /** A statement that writes a struct field (`f.x = v`, `f.x += v`, `f.x++`) as a store write; undefined for any other. */
  private viewWrite(e: ts.Expression): string | undefined {
    const w = viewWriteOf(this.m.checker, e);
    if (!w) return undefined;
    if (w.rhs && ts.isYieldExpression(skipParens(w.rhs))) throw new Refusal(w.rhs, 'yield into a field', 'take the value into a local first');
    const val = w.op === '=' ? this.toSlot(w.rhs!, w.field.kind) : `s.get(o$) ${w.op} (${w.rhs ? this.expr(w.rhs) : '1'})`;
    return `{ const o$ = ${this.expr(w.target.expression)} + ${w.field.off}; s.set(o$, ${val}); }`;
  }

  /**
   * `yield* f(k, ...)`: push f's frame, resume at a new program point that takes its value
   * into a local, drops it (`undefined`), or leaves it for the `return` that follows.
   */
  private call(y: ts.YieldExpression, into: Local | undefined | 'return'): void {
    const c = y.expression && skipParens(y.expression);
    if (c && ts.isCallExpression(c) && isInvoke(this.m.checker, c)) { this.invoke(c, into); return; }
    const ref = c && ts.isCallExpression(c) && ts.isIdentifier(c.expression) ? this.subsetFn(this.m.checker.getSymbolAtLocation(c.expression)) : undefined;
    if (!c || !ts.isCallExpression(c) || ref === undefined) throw new Refusal(y, 'yield* of something else than a subset call', 'yield* calls a top-level function* of this file or of another frames source');
    const [k, ...args] = c.arguments;
    if (!k || !ts.isIdentifier(k) || this.m.checker.getSymbolAtLocation(k) !== this.ctxSym) throw new Refusal(c, 'call without the context', 'pass the thread context `k` first');
    const target = ref.file === undefined ? `s.get(fr) - ${this.self} + ${ref.index}` : depCall(this.m, c, ref.file, ref.decl);
    const callee = ref.decl.parameters.slice(1);
    const vals = args.map((a, i) => this.toSlot(a, callee[i] ? kindOf(this.m.checker.getTypeAtLocation(callee[i]!)) ?? 'num' : 'num'));
    this.pushFrame(`${this.rt('frameCall')}(k, ${[target, ...vals].join(', ')})`, into);
  }

  /** Ends the program point with a call that pushes a frame; the next one takes its value (into a local, drops it, or leaves it for a `return`). */
  private pushFrame(callText: string, into: Local | undefined | 'return'): void {
    const next = this.label();
    this.emit(`s.set(fr + 1, ${next});`);
    this.term(`return ${callText};`);
    this.place(next);
    if (into === 'return') return;
    this.emit(into === undefined ? `${this.rt('frameRetval')}(k);` : this.writeLocal(into, `${this.rt('frameRetval')}(k)`));
  }

  /** `yield* invoke(k, fn, ...args)`: a call through a function id, checked when it runs. */
  private invoke(c: ts.CallExpression, into: Local | undefined | 'return'): void {
    const [k, fn, ...args] = c.arguments;
    if (!k || !ts.isIdentifier(k) || this.m.checker.getSymbolAtLocation(k) !== this.ctxSym) throw new Refusal(c, 'call without the context', 'pass the thread context `k` first');
    if (!fn) throw new Refusal(c, 'invoke without a function id', 'invoke(k, fn, ...args)');
    this.pushFrame(`${this.rt('frameInvoke')}(k, ${[fn, ...args].map((a) => this.toSlot(a, this.valueKind(a))).join(', ')})`, into);
  }

  /**
   * The subset function `sym` names, through an import when it is another file's. A call
   * to a neighbour in this file is relative to the caller's own id (`s.get(fr)`: its
   * frame's function id slot), so it needs no lookup and survives a module being copied.
   */
  private subsetFn(sym: ts.Symbol | undefined): SubsetRef | undefined {
    if (!sym) return undefined;
    const local = this.m.fnIds.get(sym);
    if (local !== undefined) return { decl: this.m.gens[local]!, index: local };
    const d = declarationOf(this.m.checker, sym);
    if (!d || !ts.isFunctionDeclaration(d) || !d.asteriskToken || !ts.isSourceFile(d.parent)) return undefined;
    const sf = d.getSourceFile();
    return { decl: d, index: subsetFunctions(sf).indexOf(d), file: sf.fileName };
  }

  private local(n: ts.Expression, what: string): Local {
    const sym = ts.isIdentifier(n) ? this.m.checker.getSymbolAtLocation(n) : undefined;
    const v = sym && this.slot.get(sym);
    if (!v) throw new Refusal(n, `${what} of \`${n.getText(this.m.sf)}\``, `only the function's own locals are assigned; write model state through the store (k.s.set)`);
    return v;
  }

  private read(v: Local): string {
    const get = `s.get(fr + ${2 + v.off})`;
    return v.kind === 'bool' ? `(${get} !== 0)` : v.ref ? `(${get} as any)` : v.value === 'i' || v.value === 't' ? `(${get} - 1)` : get;
  }

  /** The statement that stores `val` (0 when undefined: a declaration without a value) in local `v`; an index + 1. */
  private writeLocal(v: Local, val: string | undefined): string {
    const enc = val !== undefined && (v.value === 'i' || v.value === 't') ? `(${val}) + 1` : val ?? '0';
    return `s.set(fr + ${2 + v.off}, ${enc});`;
  }

  private valueKind(e: ts.Expression): Kind {
    const k = kindOf(this.m.checker.getTypeAtLocation(e));
    if (!k) throw new Refusal(e, `value of type ${this.m.checker.typeToString(this.m.checker.getTypeAtLocation(e))}`, 'a function* returns a number, a boolean or nothing');
    return k;
  }

  /** The int a value of `kind` is stored as. */
  private toSlot(e: ts.Expression, kind: Kind): string {
    return kind === 'bool' ? `((${this.expr(e)}) ? 1 : 0)` : this.expr(e);
  }

  // --- expressions (no yield inside) ---
  private expr(e: ts.Expression): string {
    if (ts.isNumericLiteral(e) || ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.getText(this.m.sf);
    if (e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword) return e.getText(this.m.sf);
    if (ts.isParenthesizedExpression(e)) return `(${this.expr(e.expression)})`;
    if (ts.isAsExpression(e) && isRefType(this.m.checker.getTypeAtLocation(e))) return `(${this.expr(e.expression)} as any)`;
    if (ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e)) return this.expr(e.expression);
    if (ts.isIdentifier(e)) return this.ident(e);
    if (ts.isTemplateExpression(e)) return `\`${e.head.text}${e.templateSpans.map((sp) => `\${${this.expr(sp.expression)}}${sp.literal.text}`).join('')}\``;
    if (ts.isPropertyAccessExpression(e) && !e.questionDotToken) {
      const vf = viewField(this.m.checker, e);
      if (vf) return fieldRead('s', this.expr(e.expression), vf);
      return `${this.expr(e.expression)}.${e.name.text}`;
    }
    if (ts.isElementAccessExpression(e) && !e.questionDotToken) return `${this.expr(e.expression)}[${this.expr(e.argumentExpression)}]`;
    if (ts.isConditionalExpression(e)) return `(${this.expr(e.condition)} ? ${this.expr(e.whenTrue)} : ${this.expr(e.whenFalse)})`;
    if (ts.isPrefixUnaryExpression(e) && e.operator !== ts.SyntaxKind.PlusPlusToken && e.operator !== ts.SyntaxKind.MinusMinusToken) {
      return `${ts.tokenToString(e.operator)}(${this.expr(e.operand)})`;
    }
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment) throw new Refusal(e, 'assignment inside an expression', 'assign as a statement');
      if (op === ts.SyntaxKind.CommaToken) throw new Refusal(e, 'comma expression', 'one statement a step');
      return `${this.expr(e.left)} ${e.operatorToken.getText(this.m.sf)} ${this.expr(e.right)}`;
    }
    if (ts.isCallExpression(e) && !e.questionDotToken) {
      const at = addrOf(this.m.checker, e);
      if (at) return `(${this.expr(at.target.expression)} + ${at.field.off})`;
      const sym = ts.isIdentifier(e.expression) ? this.m.checker.getSymbolAtLocation(e.expression) : undefined;
      if (this.subsetFn(sym)) throw new Refusal(e, `call of function* ${e.expression.getText(this.m.sf)} without yield*`, 'a subset function runs only through yield*');
      return `${this.expr(e.expression)}(${e.arguments.map((a) => this.expr(a)).join(', ')})`;
    }
    if (ts.isYieldExpression(e)) throw new Refusal(e, 'yield inside an expression', 'yield only as a statement, a local\'s initialiser or the right side of an assignment to a local');
    if (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) throw new Refusal(e, 'increment inside an expression', 'increment as a statement');
    throw new Refusal(e, NAMES[e.kind] ?? ts.SyntaxKind[e.kind], `not in the compiled subset; ${WHY_STATE}`);
  }

  /** The context's type as the generated module names it (type names only, resolved like values). */
  private typeText(t: ts.TypeNode): string {
    if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName)) {
      const args = t.typeArguments ? `<${t.typeArguments.map((a) => this.typeText(a)).join(', ')}>` : '';
      return `${this.ident(t.typeName, true)}${args}`;
    }
    if (t.kind === ts.SyntaxKind.UnknownKeyword) return 'unknown';
    throw new Refusal(t, 'context type', 'name the context type (a type alias or FrameCtx<Env>)');
  }

  private ident(e: ts.Identifier, isType = false): string {
    const sym = this.m.checker.getSymbolAtLocation(e);
    if (sym === this.ctxSym) return 'k';
    const v = sym && this.slot.get(sym);
    if (v) return this.read(v);
    if (e.text === 'undefined') throw new Refusal(e, 'undefined', 'values are numbers and booleans');
    if (this.subsetFn(sym)) throw new Refusal(e, `function* ${e.text} used as a value`, 'callbacks are function ids in store slots, not generator functions');
    return moduleName(this.m, e, isType);
  }
}
