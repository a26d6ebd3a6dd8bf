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
    const order = normalOrder(rt);
    const tids = rt.hb.tids;
    let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
    for (let i = 0; i < order.length; i++) {
      const t = tids[order[i]!]!;
      h1 = Math.imul(h1 ^ t, 2654435761);
      h2 = Math.imul(h2 ^ t, 1597334677);
    }
    const key = mix53(h1, h2);
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

/**
 * The events of the execution in lexicographic normal form: at every point the lowest
 * thread whose next event has all its happens-before predecessors emitted. Threads are
 * deterministic, so the threads of this order alone identify the execution's class (run
 * as a schedule it gives back an equivalent execution): the audit hashes just them.
 */
export function normalOrder(rt: Runtime): Int32Array {
  const n = rt.threads.length;
  const hb = rt.hb;
  const perThread: number[][] = Array.from({ length: n }, () => []);
  hb.tids.forEach((t, i) => perThread[t]!.push(i));
  const emitted = new Int32Array(n);
  const out = new Int32Array(hb.tids.length);
  for (let at = 0; at < out.length; at++) {
    let progressed = false;
    for (let t = 0; t < n; t++) {
      const next = perThread[t]![emitted[t]!];
      if (next === undefined) continue;
      let ready = true;
      for (let u = 0; u < n; u++) if (u !== t && hb.at(next, u) > emitted[u]!) { ready = false; break; }
      if (!ready) continue;
      out[at] = next;
      emitted[t]!++;
      progressed = true;
      break;
    }
    if (!progressed) throw new Error('happens-before is cyclic');
  }
  return out;
}

/** The normal form as text (thread:label:object per event), for tests and debugging. */
export function normalForm(rt: Runtime): string {
  return Array.from(normalOrder(rt), (i) => `${rt.hb.tids[i]}:${rt.events[i]!.op.label}:${rt.events[i]!.op.obj}`).join('|');
}

/** The final mix of cyrb53 (a fast 53-bit hash): a collision (odds ~n^2/2^54) would count a new execution as redundant. */
function mix53(h1: number, h2: number): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
