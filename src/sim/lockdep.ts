/**
 * Lock-order tracking, as lockdep does: an edge A -> B for every acquisition of class B
 * while class A is held. A new edge that closes a cycle is a lock-order inversion (P8,
 * R28), reported even when this execution did not hang. A cycle is found by walking each
 * class's successors in name order, so that the one reported depends on the edges alone,
 * not on the order they were added in (the data world keeps the edges as bits:
 * frame-sim.ts).
 */
export class LockDep {
  private readonly edges = new Map<string, Set<string>>();

  /** Adds held -> next; returns the cycle it closes, or null. */
  acquire(held: readonly string[], next: string): string[] | null {
    for (const h of held) {
      if (h === next) continue;
      let out = this.edges.get(h);
      if (!out) this.edges.set(h, (out = new Set()));
      if (out.has(next)) continue;
      const back = this.path(next, h);
      out.add(next);
      if (back) return [h, ...back];
    }
    return null;
  }

  private path(from: string, to: string): string[] | null {
    const seen = new Set<string>();
    const walk = (n: string): string[] | null => {
      if (n === to) return [n];
      if (seen.has(n)) return null;
      seen.add(n);
      for (const m of [...(this.edges.get(n) ?? [])].sort()) {
        const p = walk(m);
        if (p) return [n, ...p];
      }
      return null;
    };
    return walk(from);
  }
}
