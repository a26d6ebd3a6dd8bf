/**
 * One execution under a given schedule (`run`, `replay`): the choices of the token, then,
 * if the world is not finished, the default policy (policy.ts).
 */
import { buildWorld } from '../scenario/world.ts';
import type { Scenario } from '../scenario/types.ts';
import type { Runtime } from '../sim/runtime.ts';
import { defaultChoice } from './policy.ts';

export class ScheduleMismatch extends Error {}

export function runSchedule(sc: Scenario, schedule: readonly number[]): { rt: Runtime; schedule: number[] } {
  const rt = buildWorld(sc).rt;
  const taken: number[] = [];
  for (const [i, t] of schedule.entries()) {
    if (t >= rt.threads.length || !rt.isEnabled(t)) {
      throw new ScheduleMismatch(`the schedule does not fit this scenario: step ${i + 1} runs thread ${t}, which cannot run there`);
    }
    rt.step(t);
    taken.push(t);
  }
  runToEnd(rt, taken);
  return { rt, schedule: taken };
}

/**
 * Runs the world to its end under the default policy (defaultChoice), appending the
 * choices to `taken`, then ends the execution.
 */
export function runToEnd(rt: Runtime, taken: number[]): void {
  for (;;) {
    const en = rt.enabledMask();
    if (!en) break;
    const prev = taken.length ? taken[taken.length - 1]! : -1;
    const p = defaultChoice(en, prev);
    rt.step(p);
    taken.push(p);
  }
  rt.finish();
}
