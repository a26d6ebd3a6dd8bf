// The worker script of the bench's parallel rows (bench/stateful/run.ts): the twin built in
// each worker thread of check/stateful-parallel.ts.
import { serveStatefulWorker } from '../../src/check/stateful-parallel.ts';
import { twinModel, type TwinVariant } from './twin.ts';

export interface TwinArgs {
  readonly n: number;
  readonly k: number;
  readonly variant: TwinVariant;
  readonly canonical: boolean;
}

serveStatefulWorker((a: TwinArgs) => twinModel(a.n, a.k, a.variant, { canonical: a.canonical }));
