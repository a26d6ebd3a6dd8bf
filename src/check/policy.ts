/**
 * The default schedule policy: keep running the thread that ran last while it can run,
 * else the lowest runnable one (the highest when `mirror`, explore's mirrored order). It
 * is every search's first schedule and how `run`/`replay` finish a schedule that stops
 * short, so a token that names only the choices up to the violation replays the same
 * execution.
 */
import { lowestBit } from './races.ts';

/** The thread to run among `mask` (a bitmask of thread ids, not empty) after `prev` (-1: none). */
export function defaultChoice(mask: number, prev: number, mirror = false): number {
  if (prev >= 0 && mask & (1 << prev)) return prev;
  return mirror ? 31 - Math.clz32(mask) : lowestBit(mask);
}
