/**
 * Event names as the reports show them: the kernel's function names with the `dma_`
 * prefix dropped where the rest still says what happened, and the bookkeeping steps a
 * reader of a counterexample does not need.
 */

/** Scheduler bookkeeping: a worker idling or taking its next job off a queue. */
export const QUIET = new Set(['engine idle', 'unmapper idle', 'engine fetch', 'unmapper fetch', 'read revoked']);

const SHORT: Record<string, string> = {
  dma_resv_lock: 'resv_lock',
  dma_resv_lock_slow: 'resv_lock_slow',
  dma_resv_trylock: 'resv_trylock',
  dma_resv_unlock: 'resv_unlock',
  dma_resv_add_fence: 'add_fence',
  dma_resv_test_signaled: 'resv_test_signaled',
  dma_resv_wait_timeout: 'resv_wait',
  dma_fence_signal: 'signal',
  dma_fence_wait: 'fence_wait',
  dma_fence_wait_timeout: 'fence_wait_timeout',
  dma_fence_add_callback: 'add_callback',
  dma_buf_invalidate_mappings: 'invalidate_mappings',
  dma_buf_map_attachment: 'map_attachment',
  dma_buf_unmap_attachment: 'unmap_attachment',
  dma_buf_dynamic_attach: 'dynamic_attach',
  mutex_lock: 'lock',
  mutex_unlock: 'unlock',
  wait_for_completion: 'wait_for_completion',
};

/** The short name of an event label (unknown labels unchanged). */
export function shortLabel(label: string): string {
  return SHORT[label] ?? label;
}

/** What a reader sees an event as: drives the colours and lifeline arrows of the reports. */
export type EventClass = 'call' | 'lock' | 'unlock' | 'fence-add' | 'signal' | 'wait' | 'dma' | 'revoke' | 'other';

/** Classifies a trace event by its label and mark. */
export function classify(label: string, mark?: string): EventClass {
  if (mark === 'revoke returned') return 'revoke';
  if (mark === 'step') return 'call';
  if (/^(dma write|dma read|speculative read)/.test(label)) return 'dma';
  if (/(_|^)(lock|lock_slow|trylock)$/.test(label)) return 'lock';
  if (/(_|^)unlock$/.test(label)) return 'unlock';
  if (label === 'dma_resv_add_fence' || label === 'dma_fence_add_callback') return 'fence-add';
  if (label === 'dma_fence_signal' || label === 'complete') return 'signal';
  if (/wait/.test(label)) return 'wait';
  return 'other';
}
