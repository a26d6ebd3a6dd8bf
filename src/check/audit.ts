/**
 * The redundancy audit: two executions are equivalent when they have the same events in
 * the same happens-before order of dependent events. Each execution is reduced to its
 * lexicographic normal form (at every point, the lowest thread whose next event has all its
 * predecessors emitted), and a repeated form is a redundant execution (`stats.redundant`).
 */
import type { Runtime } from '../sim/runtime.ts';

export class HbAudit {
  /** 53-bit hashes of the normal forms: memory stays small over millions of executions */
  private readonly seen = new Set<number>();

  /** Adds the execution; false when an equivalent one was seen before. */
  add(rt: Runtime): boolean {
    const key = hash53(normalForm(rt));
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

export function normalForm(rt: Runtime): string {
  const n = rt.threads.length;
  const perThread: number[][] = Array.from({ length: n }, () => []);
  rt.hb.tids.forEach((t, i) => perThread[t]!.push(i));
  const emitted = new Int32Array(n);
  const parts: string[] = [];
  let left = rt.events.length;
  while (left > 0) {
    let progressed = false;
    for (let t = 0; t < n; t++) {
      const next = perThread[t]![emitted[t]!];
      if (next === undefined) continue;
      const vc = rt.hb.clocks[next]!;
      let ready = true;
      for (let u = 0; u < n; u++) if (u !== t && vc[u]! > emitted[u]!) { ready = false; break; }
      if (!ready) continue;
      const op = rt.events[next]!.op;
      parts.push(`${t}:${op.label}:${op.obj}`);
      emitted[t]!++;
      left--;
      progressed = true;
      break;
    }
    if (!progressed) throw new Error('happens-before is cyclic');
  }
  return parts.join('|');
}

/** cyrb53, a fast 53-bit string hash: a collision (odds ~n^2/2^54) would count a new execution as redundant. */
function hash53(str: string): number {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
