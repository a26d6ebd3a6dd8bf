/** A validated scenario (spec/scenario-format.md §1). */
import type { ExporterOp, ImporterOp, RevokeTrigger } from '../drivers/types.ts';
import type { KernelVersion } from '../kernel/kernel.ts';
import type { PropertyId } from '../sim/violation.ts';
import type { CallStep } from './call-args.ts';

export type Step =
  | { readonly kind: 'exporter'; readonly op: ExporterOp; readonly trigger?: RevokeTrigger; readonly text: string }
  | { readonly kind: 'importer'; readonly op: ImporterOp; readonly importer: string; readonly count: number; readonly write: boolean; readonly text: string }
  | CallStep;

export interface ImporterSpec {
  readonly id: string;
  readonly driver: string;
  readonly variant: string;
  readonly peer2peer: boolean;
  readonly pinned: boolean;
  readonly speculativeReads: boolean | undefined;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly file: string;
  /** short content hash: schedule tokens name it (contract §5) */
  readonly hash: string;
  readonly kernel: KernelVersion;
  readonly moveNotify: boolean;
  readonly exporter: { readonly driver: string; readonly variant: string };
  readonly importers: readonly ImporterSpec[];
  readonly threads: readonly { readonly name: string; readonly steps: readonly Step[] }[];
  readonly expect: { readonly verdict: 'safe' | 'violation'; readonly properties: readonly PropertyId[] } | null;
  readonly check: { readonly preemptions?: number; readonly maxExecutions?: number };
  /** the YAML text it was loaded from (check/reduce.ts edits it into smaller scenarios) */
  readonly source?: string;
}
