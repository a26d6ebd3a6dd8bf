/**
 * A small seeded generator (xorshift32) for the random strategies. The explorer's only
 * source of chance, and reproducible from `--seed`.
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = (seed >>> 0) ^ 0x9e3779b9 || 1;
  }

  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }

  /** uniform in [0, n) */
  below(n: number): number {
    return this.next() % n;
  }
}
