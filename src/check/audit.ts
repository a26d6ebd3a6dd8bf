/**
 * The redundancy audit: two executions are equivalent when they have the same events in
 * the same happens-before order of dependent events. Each execution is reduced to its
 * lexicographic normal form (at every point, the lowest thread whose next event has all its
 * predecessors emitted), and a repeated form is a redundant execution (`stats.redundant`).
 */
import type { Runtime } from '../sim/runtime.ts';

/**
 * A set of 53-bit hashes in one open-addressed Float64Array (8 bytes a slot, at most half
 * full): a million executions cost 16 MB, where a Set of numbers costs about 50.
 */
export class HashSet53 {
  private slots = new Float64Array(1 << 12);
  private size = 0;

  /** Adds `h`; false when it was there already. */
  add(h: number): boolean {
    const key = h === 0 ? 1 : h; // 0 marks an empty slot
    if (2 * (this.size + 1) > this.slots.length) this.grow();
    const mask = this.slots.length - 1;
    for (let i = (key >>> 0) & mask; ; i = (i + 1) & mask) {
      const v = this.slots[i]!;
      if (v === key) return false;
      if (v === 0) {
        this.slots[i] = key;
        this.size++;
        return true;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    this.size = 0;
    for (const v of old) if (v !== 0) this.add(v);
  }
}

export class HbAudit {
  /** 53-bit hashes of the normal forms: memory stays small over millions of executions */
  private readonly seen = new HashSet53();

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
    return this.seen.add(mix53(h1, h2));
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
