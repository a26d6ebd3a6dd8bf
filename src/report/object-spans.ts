/**
 * What a shared object went through in one execution, as intervals of logical steps: who
 * held a lock, how long a fence stayed unsignalled, which state a memory region was in.
 * The trace draws them on the object's own track, under the events that touched it, so
 * that "BAR0 disabled" and the DMA write that reached it line up on one row.
 */
import { OpKind } from '../sim/op.ts';
import { lockSpans, type Execution, type XObject } from './execution.ts';

/** The object kinds that get a track of their own (rule book §1: locks, fences, memory). */
export const TRACKED_KINDS: ReadonlySet<XObject['kind']> = new Set(['lock', 'fence', 'memory']);

/** The states a memory region's writes announce (hw/region.ts: detail `<region> <state>`). */
const REGION_STATES = ['enabled', 'moving', 'disabled', 'freed'] as const;

export interface ObjectSpan {
  readonly obj: number;
  /** first and last event index inside the span (inclusive) */
  readonly from: number;
  readonly to: number;
  readonly name: string;
  readonly cat: 'held' | 'pending' | 'state';
  readonly args: Record<string, unknown>;
}

/** The region state a write of `o` sets, or null when the event is no state change. */
function regionState(x: Execution, o: XObject, e: Execution['events'][number]): string | null {
  if (e.objs[0] !== o.id || e.opKind !== OpKind.Write) return null;
  return REGION_STATES.find((s) => e.detail === `${o.name} ${s}`) ?? null;
}

/**
 * The spans of every tracked object of `x`: lock holds (acquire to release, or to the
 * last event when still held), a fence from the first event that names it to its signal
 * (to the last event when it is waited on and never signals), a region's state from each change to the
 * event before the next one. Spans of one object never overlap.
 */
export function objectSpans(x: Execution): ObjectSpan[] {
  const last = Math.max(0, x.events.length - 1);
  const threadName = (tid: number) => x.threads[tid]?.name ?? `thread ${tid}`;
  const out: ObjectSpan[] = [];
  const tracked = new Map(x.objects.filter((o) => TRACKED_KINDS.has(o.kind)).map((o) => [o.id, o]));
  for (const l of lockSpans(x)) {
    if (tracked.get(l.obj)?.kind !== 'lock') continue;
    out.push({ obj: l.obj, from: l.from, to: l.to < 0 ? last : l.to, name: `held by ${threadName(l.tid)}`, cat: 'held', args: { thread: threadName(l.tid), released: l.to >= 0 } });
  }
  for (const o of tracked.values()) {
    const touching = x.events.filter((e) => e.objs.includes(o.id));
    if (!touching.length) continue;
    if (o.kind === 'fence') {
      const signal = touching.find((e) => e.opKind === OpKind.Signal && e.objs[0] === o.id);
      // a fence container (a reservation's fence list) is never signalled or waited on itself
      const own = signal ?? touching.find((e) => e.opKind === OpKind.WaitMonotone && e.objs[0] === o.id);
      const from = touching[0]!.index;
      // a fence signalled by its first event has no pending time to draw
      if (own && (!signal || signal.index > from)) {
        out.push({ obj: o.id, from, to: signal ? signal.index : last, name: signal ? 'unsignalled' : 'never signalled', cat: 'pending', args: { signalledBy: signal ? threadName(signal.tid) : null, signalledAt: signal ? signal.seq : null } });
      }
    } else if (o.kind === 'memory') {
      const changes = touching.map((e) => ({ e, state: regionState(x, o, e) })).filter((c) => c.state !== null);
      changes.forEach((c, k) => {
        const next = changes[k + 1];
        out.push({ obj: o.id, from: c.e.index, to: next ? next.e.index - 1 : last, name: c.state!, cat: 'state', args: { state: c.state, by: threadName(c.e.tid), at: c.e.seq } });
      });
    }
  }
  return out.sort((a, b) => a.obj - b.obj || a.from - b.from);
}
