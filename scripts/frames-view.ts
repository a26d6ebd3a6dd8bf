/**
 * Typed store views in the function* subset compiler (src/sim/struct.ts): a property
 * access on a `Ref<T>` is a store slot at the field's offset, the index of the property
 * in T's declaration order.
 */
import ts from 'typescript';
import { callsRuntime } from './frames-ast.ts';

export type Kind = 'num' | 'bool';

/** The struct a value of type `t` refers to, when `t` is `Ref<T>`. */
export function refTarget(t: ts.Type): ts.Type | undefined {
  if (t.aliasSymbol?.name !== 'Ref' || t.aliasTypeArguments?.length !== 1) return undefined;
  return t.aliasTypeArguments[0];
}

/** Whether values of type `t` are Refs (or Refs and numbers): what generated code reads as `any`. */
export function isRefType(t: ts.Type): boolean {
  return refTarget(t) !== undefined || t.aliasSymbol?.name === 'AnyRef' || (t.isUnion() && t.types.some((u) => refTarget(u)));
}

/**
 * What a value names, for the renaming of identical importers (check/frame-symmetry.ts):
 * `r` a slot (a `Ref`), `i` an importer index (`ImpIdx`, stored + 1 in locals so that 0
 * is none), `t` a thread index (`Tid`, the same), `c` an importer's fence context
 * (`ImpContext`: importer + 1), `.` a plain value that names nothing.
 */
export type ValueKind = 'r' | 'i' | 't' | 'c' | '.';

/** The brand of an index type of src/sim/struct.ts, or undefined. */
function brandOf(t: ts.Type): 'i' | 't' | 'c' | undefined {
  const n = t.aliasSymbol?.name;
  return n === 'ImpIdx' ? 'i' : n === 'Tid' ? 't' : n === 'ImpContext' ? 'c' : undefined;
}

/** The value kind of type `t` (a union of Refs and numbers is a Ref). */
export function valueKindOf(t: ts.Type): ValueKind {
  if (isRefType(t)) return 'r';
  const b = brandOf(t) ?? (t.isUnion() ? t.types.map(brandOf).find((x) => x !== undefined) : undefined);
  return b ?? '.';
}

/** How a value of type `t` is stored: a number, a boolean (0/1), or neither. */
export function kindOf(t: ts.Type): Kind | undefined {
  if (t.flags & ts.TypeFlags.BooleanLike) return 'bool';
  if (t.flags & ts.TypeFlags.NumberLike) return 'num';
  if (t.isUnion() && t.types.every((u) => u.flags & ts.TypeFlags.BooleanLike)) return 'bool';
  if (t.isUnion() && t.types.every((u) => u.flags & ts.TypeFlags.NumberLike || refTarget(u))) return 'num';
  if (refTarget(t)) return 'num';
  // a branded index (ImpIdx, Tid, ImpContext, AnyRef of src/sim/struct.ts)
  if (t.isIntersection() && t.types.some((u) => u.flags & ts.TypeFlags.NumberLike)) return 'num';
  return undefined;
}

/** A field of a struct: its slot offset and how its value is stored. */
export interface ViewField {
  readonly off: number;
  readonly kind: Kind;
  /** the field holds a Ref: generated code reads it as `any`, so that it passes where the source passes a Ref */
  readonly ref: boolean;
  readonly value: ValueKind;
}

/** The field `e` reads or writes when its object is a `Ref`; undefined for any other property access. */
export function viewField(checker: ts.TypeChecker, e: ts.PropertyAccessExpression): ViewField | undefined {
  const target = refTarget(checker.getTypeAtLocation(e.expression));
  if (!target) return undefined;
  const props = checker.getPropertiesOfType(target);
  const off = props.findIndex((p) => p.name === e.name.text);
  if (off < 0) return undefined;
  const t = checker.getTypeOfSymbol(props[off]!);
  const kind = kindOf(t);
  return kind && { off, kind, ref: isRefType(t), value: valueKindOf(t) };
}

/** A struct's shape for layouts, or the name of its first field that cannot be a slot. */
export function structShape(checker: ts.TypeChecker, t: ts.Type): { fields: string[]; values: string; bad?: string } {
  const props = checker.getPropertiesOfType(t);
  const bad = props.find((p) => !kindOf(checker.getTypeOfSymbol(p)));
  const values = props.map((p) => valueKindOf(checker.getTypeOfSymbol(p))).join('');
  return { fields: props.map((p) => p.name), values, ...(bad ? { bad: bad.name } : {}) };
}

/** `addr(ref.field)` of src/sim/struct.ts: the access whose slot it takes; undefined for any other call. */
export function addrOf(checker: ts.TypeChecker, e: ts.CallExpression): { target: ts.PropertyAccessExpression; field: ViewField } | undefined {
  if (!callsRuntime(checker, e, 'addr', 'src/sim/struct.ts')) return undefined;
  const arg = e.arguments[0];
  const target = arg && ts.isParenthesizedExpression(arg) ? arg.expression : arg;
  const field = target && ts.isPropertyAccessExpression(target) ? viewField(checker, target) : undefined;
  return field && { target: target as ts.PropertyAccessExpression, field };
}

/** The generated read of a field at `obj` through `store`: a boolean compared, a Ref cast so that it type-checks where a Ref goes. */
export function fieldRead(store: string, obj: string, f: ViewField): string {
  const get = `${store}.get(${obj} + ${f.off})`;
  return f.kind === 'bool' ? `(${get} !== 0)` : f.ref ? `(${get} as any)` : get;
}
