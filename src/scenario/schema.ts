/** The structural schema of a scenario file (valibot); semantic checks follow in load.ts. */
import * as v from 'valibot';
import { KERNEL_VERSIONS } from '../kernel/kernel.ts';

const Name = v.pipe(v.string(), v.regex(/^[a-z0-9-]+$/, 'expected a name of lower-case letters, digits and dashes'));
const Count = (min: number) => v.pipe(v.number(), v.integer('expected an integer'), v.minValue(min, `expected an integer >= ${min}`));

export const ScenarioSchema = v.strictObject({
  name: Name,
  description: v.optional(v.string()),
  kernel: v.optional(v.picklist(KERNEL_VERSIONS)),
  config: v.optional(v.strictObject({ 'move-notify': v.optional(v.boolean()) })),
  exporter: v.strictObject({ driver: v.string(), variant: v.optional(v.string()) }),
  importers: v.array(
    v.strictObject({
      id: Name,
      driver: v.string(),
      variant: v.optional(v.string()),
      peer2peer: v.optional(v.boolean()),
      pinned: v.optional(v.boolean()),
      'speculative-reads': v.optional(v.boolean()),
    }),
  ),
  threads: v.pipe(
    v.array(v.strictObject({ name: v.pipe(v.string(), v.minLength(1, 'expected a non-empty name')), steps: v.pipe(v.array(v.unknown()), v.minLength(1, 'expected at least one step')) })),
    v.minLength(1, 'expected at least one thread'),
  ),
  expect: v.optional(
    v.strictObject({
      verdict: v.picklist(['safe', 'violation']),
      property: v.optional(v.union([v.string(), v.array(v.string())], 'expected a property id or a list of them')),
    }),
  ),
  check: v.optional(v.strictObject({ preemptions: v.optional(Count(0)), 'max-executions': v.optional(Count(1)) })),
});

export type ScenarioInput = v.InferOutput<typeof ScenarioSchema>;

/** The parts of a valibot schema that lead to the fields of an object. */
interface SchemaNode {
  readonly type: string;
  readonly entries?: Readonly<Record<string, SchemaNode>>;
  readonly wrapped?: SchemaNode;
  readonly item?: SchemaNode;
  readonly pipe?: readonly SchemaNode[];
}

function objectOf(s: SchemaNode | undefined): SchemaNode | undefined {
  while (s) {
    if (s.type === 'optional') s = s.wrapped;
    else if (s.type === 'array') s = s.item;
    else if (s.pipe && s.pipe[0] !== s) s = s.pipe[0];
    else return s;
  }
  return undefined;
}

/**
 * The field names the schema allows in the object at @path (list indices are skipped),
 * for "did you mean": read from the schema so that a new field needs no second list.
 */
export function fieldNames(path: readonly (string | number)[]): string[] {
  let s = objectOf(ScenarioSchema as unknown as SchemaNode);
  for (const p of path) if (typeof p === 'string') s = objectOf(s?.entries?.[p]);
  return Object.keys(s?.entries ?? {});
}
