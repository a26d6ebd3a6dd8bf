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
  private count = 0;

  /** Adds `h`; false when it was there already. */
  add(h: number): boolean {
    const key = h === 0 ? 1 : h; // 0 marks an empty slot
    if (2 * (this.count + 1) > this.slots.length) this.grow();
    const mask = this.slots.length - 1;
    for (let i = (key >>> 0) & mask; ; i = (i + 1) & mask) {
      const v = this.slots[i]!;
      if (v === key) return false;
      if (v === 0) {
        this.slots[i] = key;
        this.count++;
        return true;
      }
    }
  }

  get size(): number {
    return this.count;
  }

  /** A new set of the members `keep` accepts. */
  filter(keep: (h: number) => boolean): HashSet53 {
    const out = new HashSet53();
    for (const v of this.slots) if (v !== 0 && keep(v)) out.add(v);
    return out;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    this.count = 0;
    for (const v of old) if (v !== 0) this.add(v);
  }
}

/**
 * Hashes the audit keeps before it samples: 2^21 (a 32 MB table, exact for the first two
 * million executions or more).
 */
export const AUDIT_EXACT_LIMIT = 1 << 21;

/** Whether `h` is in the sample of level `level`: the top `level` of its upper 21 bits are 0. */
function inSample(h: number, level: number): boolean {
  return level === 0 || Math.floor(h / 4294967296) >>> (21 - level) === 0;
}

/**
 * The redundancy audit's memory of the classes seen. Exact up to `limit` distinct classes;
 * past that it keeps only a sample of the hashes, halving it each time it fills again, so
 * that a search of any length runs in bounded memory (issue 9: memory independent of the
 * executions explored). The sample is by hash value, and a sample level only grows: a
 * repeat of a class whose hash is in the current sample is always caught (its first
 * execution was kept), one outside it never. `sample` says how much a search still checks.
 */
export class HbAudit {
  private seen = new HashSet53();
  private level = 0;
  private added = 0;
  private from = -1;

  constructor(private readonly limit = AUDIT_EXACT_LIMIT) {}

  /** Adds the execution; false when an equivalent one was seen before (and is in the sample). */
  add(rt: Runtime): boolean {
    return this.addHash(executionHash(rt));
  }

  /** add() for the execution's hash (executionHash). */
  addHash(h: number): boolean {
    this.added++;
    if (!inSample(h, this.level)) return true;
    if (!this.seen.add(h)) return false;
    if (this.seen.size >= this.limit) this.thin();
    return true;
  }

  /** Executions audited when sampling began; -1 while every one is checked. */
  get sampledFrom(): number {
    return this.from;
  }

  /** The fraction of executions the audit still checks for a repeat (1 until it samples). */
  get sample(): number {
    return 2 ** -this.level;
  }

  /** Hashes held now (at most `limit`). */
  get size(): number {
    return this.seen.size;
  }

  private thin(): void {
    if (this.from < 0) this.from = this.added;
    // one level halves the sample; another only in the unlikely case that kept most of it
    while (this.seen.size >= this.limit && this.level < 21) {
      const level = ++this.level;
      this.seen = this.seen.filter((h) => inSample(h, level));
    }
  }
}

/** The execution's class as a 53-bit hash of the threads of its normal form (normalOrder). */
export function executionHash(rt: Runtime): number {
  const order = normalOrder(rt);
  const tids = rt.hb.tids;
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < order.length; i++) {
    const t = tids[order[i]!]!;
    h1 = Math.imul(h1 ^ t, 2654435761);
    h2 = Math.imul(h2 ^ t, 1597334677);
  }
  return mix53(h1, h2);
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
