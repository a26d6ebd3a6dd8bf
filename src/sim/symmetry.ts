/**
 * Symmetry of a world: groups of threads identical up to their ids (two importers of one
 * driver and variant, each with the scenario threads that use it and its background
 * threads), and a pivot object that their first writes are ordered on.
 *
 * Renaming the groups of a class maps every execution to an execution with the same
 * violations under the other names. So one execution of each orbit suffices: the one where
 * the groups write the pivot (the dma-buf's reservation lock) for the first time in the
 * order of their numbers, a group that never writes it numbered after every group that
 * does. Writes of one object are pairwise dependent, so that order is the same in every
 * interleaving of a class; the runtime enforces it as an extra blocking condition on a
 * group's first pivot write (Runtime.symmetryBlocks), which reads the pivot only and so is
 * a blocking op like any other to the reduction. An execution that ends with a thread held
 * by it is the image of another and is dropped (explore.ts).
 *
 * Sound only for a model that treats the groups alike: nothing may order them by id (no
 * comparison of their fence contexts or object ids, no waking of the lowest thread).
 */

export interface Symmetry {
  /** classes of groups: `classes[c][g][k]` corresponds to `classes[c][h][k]` */
  readonly classes: readonly (readonly (readonly number[])[])[];
  /** the object whose first write by each group orders the groups */
  readonly pivot: number;
  /** what each group stands for, by class (importer ids), for reports */
  readonly names: readonly (readonly string[])[];
}

/** Per-thread lookup of a Symmetry, and which groups have written the pivot. */
export class SymmetryGuard {
  /** by thread id: its group (numbered across classes), -1 for none */
  private readonly groupOf: Int32Array;
  /** by group: the groups of its class numbered before it */
  private readonly before: number[][] = [];
  private readonly wrote: boolean[] = [];

  constructor(readonly sym: Symmetry, threadCount: number) {
    this.groupOf = new Int32Array(threadCount).fill(-1);
    for (const c of sym.classes) {
      const first = this.before.length;
      c.forEach((g, gi) => {
        const id = first + gi;
        this.before.push(Array.from({ length: gi }, (_, h) => first + h));
        this.wrote.push(false);
        for (const t of g) {
          if (t < 0 || t >= threadCount || this.groupOf[t] !== -1) throw new Error(`symmetry: thread ${t} is not a thread or is in two groups`);
          this.groupOf[t] = id;
        }
      });
    }
  }

  /** Whether `write` on `obj` by `tid` waits for the groups before its own to write the pivot. */
  blocks(tid: number, obj: number, write: boolean): boolean {
    if (obj !== this.sym.pivot || !write) return false;
    const g = this.groupOf[tid]!;
    if (g < 0 || this.wrote[g]) return false;
    for (const h of this.before[g]!) if (!this.wrote[h]) return true;
    return false;
  }

  /** Notes that `tid` ran an op writing `obj`. */
  ran(tid: number, obj: number, write: boolean): void {
    if (obj === this.sym.pivot && write) {
      const g = this.groupOf[tid]!;
      if (g >= 0) this.wrote[g] = true;
    }
  }
}
