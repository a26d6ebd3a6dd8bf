// The worker script of test/stateful-parallel.test.ts: builds the posted model in each
// worker thread (generated programs, the measurement twin, or a model with a bug).
import { serveStatefulWorker } from '../src/check/stateful-parallel.ts';
import type { StatefulModel } from '../src/check/stateful.ts';
import { twinModel, type TwinVariant } from '../bench/stateful/twin.ts';
import { progModel, type Prog } from './store-programs.ts';

export type ModelArgs =
  | { readonly kind: 'prog'; readonly prog: Prog }
  | { readonly kind: 'twin'; readonly n: number; readonly k: number; readonly variant: TwinVariant; readonly canonical: boolean }
  | { readonly kind: 'disabled-writes' };

serveStatefulWorker((a: ModelArgs): StatefulModel => {
  if (a.kind === 'prog') return progModel(a.prog);
  if (a.kind === 'twin') return twinModel(a.n, a.k, a.variant, { canonical: a.canonical });
  // a disabled transaction that writes the store: a model bug in whichever worker meets it
  const m = progModel({ vars: 1, locks: 1, threads: [[{ k: 'set', x: 0, v: 1 }], [{ k: 'set', x: 0, v: 2 }]] });
  return { ...m, step: (s, t, out) => m.step(s, t, out) || (s.set(0, 9), false) };
});
