/** Property ids of the scenario contract (spec/scenario-format.md §4). Stable. */
export const PROPERTIES = [
  'dma-after-revoke',
  'use-after-invalidate',
  'access-after-revoke',
  'non-revocable-attach',
  'leak',
  'api-misuse',
  'deadlock',
  'wait-timeout',
  'unexpected-result',
] as const;

export type PropertyId = (typeof PROPERTIES)[number];

/** A broken rule, recorded as data where it happens (DESIGN.md "A violation is data"). */
export interface Violation {
  readonly property: PropertyId;
  /** the most specific rule-book id: P*, R*, RV*, D-* */
  readonly rule: string;
  readonly message: string;
  /** index of the event that broke the rule (its seq is index + 1), -1 at end of run */
  readonly event: number;
  readonly thread: string;
}
