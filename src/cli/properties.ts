/** What each property id means (`dmabuf-lab list properties`), with its rule-book source. */
import type { PropertyId } from '../sim/violation.ts';

export const PROPERTY_DOCS: Record<PropertyId, string> = {
  'dma-after-revoke': 'a device DMA reaches memory that is disabled, moving or freed, or a revoked mapping after the revoke returned (P1, P2, R42)',
  'use-after-invalidate': 'new DMA through an invalidated mapping, or a device using a table its importer unmapped (P3)',
  'access-after-revoke': 'a revoked exporter lets a map or a late attach succeed (P4)',
  'non-revocable-attach': 'a revoking exporter holds an attachment that dma_buf_attach_revocable calls not revocable (P5)',
  leak: 'a reference, attachment, pin, mapping or fence left unbalanced at the end (P6, P12)',
  'api-misuse': 'a WARN, BUG or lockdep assertion of the rule book, or a refcount below zero or up from zero (P7)',
  deadlock: 'threads block each other on locks for ever, or a lock-order cycle (P8)',
  'wait-timeout': 'a fence or completion wait that never ends, or a finite wait that times out (P9)',
  'unexpected-result': "a call step's result differs from its expect: (contract §1)",
};
