/**
 * Size limits of a scenario file. The first two are checked before the YAML is parsed:
 * the yaml library spends seconds and hundreds of megabytes on a megabyte of dense YAML,
 * so a file has to be refused while it is still text (spec/scenario-format.md §2,
 * "absurd sizes are rejected with the limit named").
 */

export const LIMITS = {
  /** bytes of a scenario file: the largest bundled one is under 2 KB */
  fileBytes: 1 << 20,
  /**
   * list items and map keys in the whole document, aliases expanded: 8 threads of 32 call
   * steps with a dozen arguments each stay under 4,000
   */
  entries: 10_000,
  /** aliases (`*name`) in the document */
  aliases: 100,
  /** flow collections (`[`, `{`) inside one another */
  nesting: 64,
  /** the column a block `-` or `?` may stand at (how deep block collections nest) */
  column: 200,
  /** lexer tokens: 10,000 entries take about 40,000; comments and spaces are tokens too */
  tokens: 200_000,
  importers: 6,
  threads: 8,
  steps: 32,
  /** transfers of one dma step */
  count: 8,
} as const;

export type Limits = { readonly [K in keyof typeof LIMITS]: number };

/** `1,048,576 bytes (1 MiB)` */
export function bytesText(n: number): string {
  const mib = n / (1 << 20);
  return `${n.toLocaleString('en-US')} bytes${Number.isInteger(mib) ? ` (${mib} MiB)` : ''}`;
}
