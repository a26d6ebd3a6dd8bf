/**
 * Shrinking a counterexample: fewer context switches and fewer steps, same property.
 *
 * At each context switch a candidate moves the next run of the thread that was switched
 * away from up to the switch (so that thread goes on), or the run that starts there behind
 * that next run; it then follows the candidate where it fits (a choice whose thread cannot
 * run is dropped) and finishes with the default policy. Candidates that still show the
 * property and are smaller (switches first, then steps) replace the schedule, until none is.
 */
import type { Runtime } from '../sim/runtime.ts';
import type { PropertyId } from '../sim/violation.ts';
import { runToEnd } from './replay.ts';

export interface ScheduleSize {
  readonly steps: number;
  readonly switches: number;
}

export function scheduleSize(schedule: readonly number[]): ScheduleSize {
  let switches = 0;
  for (let i = 1; i < schedule.length; i++) if (schedule[i] !== schedule[i - 1]) switches++;
  return { steps: schedule.length, switches };
}

/** Replays `choices` leniently (skipping choices that cannot run), then the default policy. */
export function lenientRun(build: () => Runtime, prefix: readonly number[], rest: readonly number[]): { rt: Runtime; schedule: number[] } {
  const rt = build();
  const schedule: number[] = [];
  for (const t of prefix) {
    if (!rt.isEnabled(t)) return { rt, schedule: [] };
    rt.step(t);
    schedule.push(t);
  }
  for (const t of rest) {
    if (!rt.isEnabled(t)) continue;
    rt.step(t);
    schedule.push(t);
  }
  runToEnd(rt, schedule);
  return { rt, schedule };
}

const smaller = (a: ScheduleSize, b: ScheduleSize) => a.switches < b.switches || (a.switches === b.switches && a.steps < b.steps);

/**
 * Shrinks `schedule` while its execution still records `property`; at most `budget` runs.
 * Returns the smallest schedule found and its world.
 */
export function shrinkSchedule(
  build: () => Runtime, schedule: readonly number[], property: PropertyId, budget = 400,
): { schedule: number[]; rt: Runtime; runs: number } {
  let best = lenientRun(build, schedule, []);
  let size = scheduleSize(best.schedule);
  let runs = 1;
  let improved = true;
  while (improved && runs < budget) {
    improved = false;
    const s = best.schedule;
    outer: for (let i = 1; i < s.length && runs < budget; i++) {
      if (s[i] === s[i - 1]) continue;
      for (const order of mergeCandidates(s, i)) {
        const cand = lenientRun(build, order.slice(0, i), order.slice(i));
        runs++;
        if (!cand.schedule.length || !cand.rt.violations.some((v) => v.property === property)) continue;
        const cs = scheduleSize(cand.schedule);
        if (smaller(cs, size)) {
          best = cand;
          size = cs;
          improved = true;
          break outer;
        }
      }
    }
  }
  return { schedule: best.schedule, rt: best.rt, runs };
}

/**
 * Reorderings that remove the switch at `i` when they fit: the next run of the thread
 * switched away from moved up; the run starting at `i` moved behind it; the run dropped
 * (its thread then runs where the default policy puts it).
 */
function mergeCandidates(s: readonly number[], i: number): number[][] {
  const t = s[i - 1]!;
  const out: number[][] = [];
  let j = i;
  while (j < s.length && s[j] !== t) j++;
  if (j < s.length) {
    let e = j;
    while (e < s.length && s[e] === t) e++;
    out.push([...s.slice(0, i), ...s.slice(j, e), ...s.slice(i, j), ...s.slice(e)]);
  }
  const u = s[i]!;
  let r = i;
  while (r < s.length && s[r] === u) r++;
  if (j < s.length) {
    let e = j;
    while (e < s.length && s[e] === t) e++;
    out.push([...s.slice(0, i), ...s.slice(r, e), ...s.slice(i, r), ...s.slice(e)]);
  }
  out.push([...s.slice(0, i), ...s.slice(r)]);
  return out;
}
