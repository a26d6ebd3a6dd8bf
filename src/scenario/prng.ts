/**
 * A seeded pseudo-random generator for scenario synthesis (`dmabuf-lab fuzz`). Nothing under
 * src/ may read Math.random: a fuzz run must be the same for the same seed. xorshift32
 * (Marsaglia 2003) over a seed mixed by splitmix32, so that nearby seeds diverge at once.
 */
export class Prng {
  private s: number;

  constructor(seed: number) {
    // splitmix32 of the seed; xorshift32 must not start at 0
    let z = (seed + 0x9e3779b9) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    this.s = z === 0 ? 0x6d2b79f5 : z;
  }

  /** The next 32-bit value, unsigned. */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }

  /** An integer in [0, n); n >= 1. */
  int(n: number): number {
    return Math.floor((this.next() / 0x100000000) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }

  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  /** One element, chosen with the given relative weights (same length as xs, sum > 0). */
  weighted<T>(xs: readonly T[], weights: readonly number[]): T {
    let r = (this.next() / 0x100000000) * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < xs.length; i++) {
      r -= weights[i]!;
      if (r < 0) return xs[i]!;
    }
    return xs[xs.length - 1]!;
  }

  /** A seed for a child generator (a per-scenario search seed). */
  fork(): number {
    return this.next() & 0x7fffffff;
  }
}
