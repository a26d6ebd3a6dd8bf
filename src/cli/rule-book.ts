/**
 * Every rule of the rule book (spec/dma-buf-semantics.md) beyond the core R-rules of
 * kernel/rules.ts: object state (S, §2), revoke semantics (RV, §4.1), checkable
 * properties (P, §4.2) and the driver rules (D-*, §5), each with where the model has it
 * (`file:identifier` under src/, which test/rule-book.test.ts checks exist) or why not.
 * `dmabuf-lab list rules` prints them in the rule book's order.
 */
import { RULES, type RuleInfo } from '../kernel/rules.ts';

const S = (n: string) => `rule book §2.${n}`;
const RV = 'rule book §4.1';
const P = 'rule book §4.2';
const VFIO = 'linux: drivers/vfio/pci/vfio_pci_dmabuf.c';
const AMD = 'linux: drivers/gpu/drm/amd/amdgpu/amdgpu_dma_buf.c';
const IOMMUFD = 'linux: drivers/iommu/iommufd/pages.c';
const UMEM = 'linux: drivers/infiniband/core/umem_dmabuf.c';
const MLX5 = 'linux: drivers/infiniband/hw/mlx5/odp.c';

const STATE: readonly RuleInfo[] = [
  { id: 'S1', text: 'dma_fence fields: context, seqno, 64-bit flag, signalled, error, timestamp, callbacks, refcount, published', source: S('1'), modelled: true, where: 'kernel/fence.ts:DmaFence' },
  { id: 'S2', text: 'fence life cycle PENDING -> SIGNALED, never back; error only while pending', source: S('1'), modelled: true, where: 'kernel/fence.ts:dmaFenceSignal, kernel/fence.ts:dmaFenceSetError' },
  { id: 'S3', text: 'a fence has a signaller thread (P6/P9 tell a fence nobody will signal)', source: S('1'), modelled: true, where: 'kernel/fence.ts:dmaFenceInit (signaller), sim/runtime.ts:finish' },
  { id: 'S4', text: 'container fences: only the is_container flag (R23 warns on them)', source: S('1'), modelled: true, where: 'kernel/fence.ts:isContainer, kernel/resv.ts:dmaResvAddFence' },
  { id: 'S5', text: 'dma_resv lock: a Wait-Die ww_mutex with owner, owner context, wait queue', source: S('2'), modelled: true, where: 'kernel/resv.ts:DmaResv, kernel/resv.ts:dmaResvLock' },
  { id: 'S6', text: 'dma_resv fence slots (fence, usage), KERNEL < WRITE < READ < BOOKKEEP', source: S('2'), modelled: true, where: 'kernel/resv.ts:DmaResv, kernel/resv.ts:USAGE_NAMES' },
  { id: 'S7', text: 'max_fences: free slots; reservations live for the current lock hold only', source: S('2'), modelled: true, where: 'kernel/resv.ts:maxFences, kernel/resv.ts:dmaResvReserveFences' },
  { id: 'S8', text: 'acquire context: stamp, locks held, contended lock', source: S('2'), modelled: true, where: 'kernel/resv.ts:WwAcquireCtx, kernel/resv.ts:wwAcquireInit' },
  { id: 'S9', text: 'dma_buf fields: refcount, size, exporter ops, priv, resv, attachments (newest first), vmap state', source: S('3'), modelled: true, where: 'kernel/dma-buf.ts:DmaBuf, kernel/dma-buf.ts:DmaBufOps' },
  { id: 'S10', text: 'an exporter is dynamic iff ops.pin is set; pin and unpin come together', source: S('3'), modelled: true, where: 'kernel/dma-buf.ts:dmaBufIsDynamic, kernel/dma-buf.ts:dmaBufExport' },
  { id: 'S11', text: 'the core keeps no revoked flag; revoked is exporter state', source: S('3'), modelled: true, where: 'kernel/dma-buf.ts:DmaBuf (no such field), drivers/vfio-pci.ts:checkNotRevoked (the exporter\'s flag)' },
  { id: 'S12', text: 'a dma-buf never moves by itself; only its exporter moves or disables memory, resv held', source: S('3'), modelled: 'driver', where: 'structural: only exporter models call hw/region.ts:setRegionState (drivers/vfio-pci.ts, drivers/gpu.ts:moveBo)' },
  { id: 'S13', text: 'attachment fields: dmabuf, dev, importer ops, peer2peer, on-list; pins, mappings, pinned-on-map', source: S('4'), modelled: true, where: 'kernel/dma-buf.ts:DmaBufAttachment' },
  { id: 'S14', text: 'importer ops {allow_peer2peer, invalidate_mappings}; [pre] move_notify; callback mandatory before landed', source: S('4'), modelled: true, where: 'kernel/dma-buf.ts:DmaBufAttachOps, kernel/mapping.ts:callbackName, kernel/attach.ts:dmaBufDynamicAttach' },
  { id: 'S15', text: 'dynamic attachment = importer ops present', source: S('4'), modelled: true, where: 'kernel/attach.ts:dmaBufAttachmentIsDynamic' },
  { id: 'S16', text: 'pinned attachment = dynamic with pins > 0; static ones are pinned per mapping by the core', source: S('4'), modelled: true, where: 'kernel/mapping.ts:dmaBufPin, kernel/mapping.ts:pinOnMap' },
  { id: 'S17', text: 'pin_on_map by version and CONFIG_DMABUF_MOVE_NOTIFY', source: S('4'), modelled: true, where: 'kernel/mapping.ts:pinOnMap' },
  { id: 'S18', text: 'sg table: attachment, direction, region, epoch; built by map_dma_buf, freed by unmap', source: S('5'), modelled: true, where: 'kernel/dma-buf.ts:SgTable, hw/region.ts:regionMapTable, hw/region.ts:regionUnmapTable' },
  { id: 'S19', text: 'memory region: kind, state enabled/moving/disabled/freed, epoch', source: S('5'), modelled: true, where: 'hw/region.ts:MemRegion, hw/region.ts:setRegionState' },
  { id: 'S20', text: 'IOMMU mapping: an IOVA range onto a region, present or unmapped', source: S('5'), modelled: true, where: 'hw/iommu.ts:IommuMapping, hw/iommu.ts:iommuUnmap' },
  { id: 'S21', text: 'DMA engine per importer device, jobs in order on one fence context; speculative reads of non-enabled memory', source: S('5'), modelled: true, where: 'hw/engine.ts:engineThread, hw/engine.ts:prefetchThread, hw/region.ts:armedReads' },
  { id: 'S22', text: 'access oracle: every DMA event carries importer, attachment, mapping, region, epoch, kind', source: S('5'), modelled: true, where: 'hw/oracle.ts:Access, hw/oracle.ts:judgeAccess' },
];

const REVOKE: readonly RuleInfo[] = [
  { id: 'RV1', text: 'invalidate, move and revoke: the core cannot tell them apart, the exporter\'s state does', source: RV, modelled: true, where: 'kernel/mapping.ts:dmaBufInvalidateMappings (one call for all three), drivers/vfio-pci.ts:moveRevoke, drivers/gpu.ts:moveBo' },
  { id: 'RV2', text: 'unpinned attachment: stop new access, fence what cannot stop, unmap in bounded time, remap before access', source: RV, modelled: 'driver', where: 'drivers/gpu-dynamic.ts:invalidate, drivers/rdma-odp.ts:invalidate; judged by hw/oracle.ts:judgeAccess, hw/oracle.ts:judgeSubmission (P1-P3)' },
  { id: 'RV3', text: 'pinned attachment: never invalidated for memory management; may be revoked, importer stops as RV2', source: RV, modelled: 'driver', where: 'drivers/gpu.ts:evict (skips pinned BOs), drivers/gpu.ts:unplug, drivers/iommufd.ts:revokeNotify' },
  { id: 'RV4', text: 'importers that cannot invalidate are refused at attach by a revoking exporter (R45)', source: RV, modelled: 'driver', where: 'drivers/vfio-pci.ts:vfioOps (attach), kernel/attach.ts:dmaBufAttachRevocable; P5 in drivers/vfio-pci.ts:checkRevocable' },
  { id: 'RV5', text: 'two-stage stop: full access until the fences retire, then speculative reads only, nothing after unmap', source: RV, modelled: true, where: 'hw/engine.ts:prefetchThread, hw/oracle.ts:judgeAccess (P1 tolerance, P2 writes)' },
  { id: 'RV6', text: 'canonical revoke: resv, revoked, R43, BOOKKEEP wait, unlock, wait every unmap, then disable', source: RV, modelled: 'driver', where: 'drivers/vfio-pci.ts:moveRevoke, drivers/vfio-pci.ts:revokeFenceWait, drivers/vfio-pci.ts:waitUnmaps, drivers/gpu.ts:unplug' },
  { id: 'RV7', text: 'rejection after revoke is the exporter\'s job: attach and map return -ENODEV while revoked', source: RV, modelled: 'driver', where: 'drivers/vfio-pci.ts:vfioOps, drivers/vfio-pci.ts:checkNotRevoked (P4), drivers/gpu.ts:gpuOps (gone)' },
  { id: 'RV8', text: 'revocability is decided by the importer\'s ops (R45), not negotiated through pin', source: RV, modelled: true, where: 'kernel/attach.ts:dmaBufAttachRevocable; the dropped v2 idea as variant pin-check-v2 (drivers/vfio-pci.ts:revocableV2)' },
  { id: 'RV9', text: 'un-revoke: re-arm accounting, clear revoked under resv, R43 (landed VFIO: R43 before clearing)', source: RV, modelled: 'driver', where: 'drivers/vfio-pci.ts:moveUnrevoke' },
  { id: 'RV10', text: 'an attachment that became visible after an invalidate was not notified; the map check saves it', source: RV, modelled: true, where: 'kernel/attach.ts:dmaBufDynamicAttach (a yield point between ops.attach and the list insertion)' },
  { id: 'RV11', text: 'RAS-only exporters may wait unboundedly for unmap; the model still reports a wait that never ends (P9)', source: RV, modelled: true, where: 'drivers/gpu.ts:unplug (unbounded unmap wait), sim/runtime.ts:finish (P9)' },
  { id: 'RV12', text: 'synchronous revoke: VFIO\'s revoke completes inside the triggering call', source: RV, modelled: true, where: 'drivers/vfio-pci.ts:create (revoke runs in the calling scenario thread, not deferred)' },
];

const PROPERTIES: readonly RuleInfo[] = [
  { id: 'P1', text: 'dma-after-revoke: DMA to disabled/freed/moving memory, or through a pre-revoke mapping after the revoke returned', source: P, modelled: true, where: 'hw/oracle.ts:judgeAccess, hw/oracle.ts:revokeReturnedOp' },
  { id: 'P2', text: 'dma-after-revoke: a write through a pre-revoke mapping after the exporter\'s BOOKKEEP wait returned', source: P, modelled: true, where: 'hw/oracle.ts:judgeAccess, hw/oracle.ts:revokeFencedOp' },
  { id: 'P3', text: 'use-after-invalidate: a submission through an invalidated mapping, or access through an unmapped table', source: P, modelled: true, where: 'hw/oracle.ts:judgeSubmission, hw/oracle.ts:judgeAccess' },
  { id: 'P4', text: 'access-after-revoke: a revoked exporter\'s map or late attach succeeds', source: P, modelled: true, where: 'drivers/vfio-pci.ts:checkNotRevoked; the gpu exporter refuses after unplug (drivers/gpu.ts:gpuOps) but no variant breaks that, so it is not asserted there' },
  { id: 'P5', text: 'non-revocable-attach: a revoking exporter holds an attachment R45 calls not revocable', source: P, modelled: true, where: 'drivers/vfio-pci.ts:checkRevocable' },
  { id: 'P6', text: 'leak at the end: references, attachments, pins, mappings, vmaps, unsignalled fences, queued callbacks, VFIO kref', source: P, modelled: true, where: 'kernel/attach.ts:dmaBufDetach, scenario/call-objects.ts:newCallCtx (end checks), drivers/vfio-pci.ts:create (kref at end)' },
  { id: 'P7', text: 'api-misuse: a WARN/BUG/assert of an R-rule, a refcount below zero or up from zero, a lock held at thread exit', source: P, modelled: true, where: 'kernel/kernel.ts:warn, sim/runtime.ts:atThreadExit, sim/runtime.ts:bug, kernel/fence.ts:dmaFenceGet, kernel/dma-buf.ts:dmaBufPut, sim/mutex.ts:mutexUnlock' },
  { id: 'P8', text: 'deadlock: every blocked thread waits for a lock, or a lock-order cycle', source: P, modelled: true, where: 'sim/runtime.ts:finish, sim/lockdep.ts:LockDep, sim/mutex.ts:mutexLock' },
  { id: 'P9', text: 'wait-timeout: a finite wait times out, or an infinite one is blocked when nothing can run', source: P, modelled: true, where: 'sim/runtime.ts:finish, scenario/calls.ts:runCall (finite waits), drivers/vfio-pci.ts:waitUnmaps (timeout-1s)' },
  { id: 'P10', text: 'derived: memory disabled/reset/freed only after the revoke path returned (reported as dma-after-revoke)', source: P, modelled: true, where: 'judged as P1(a) by hw/oracle.ts:judgeAccess: an exporter that disables first meets in-flight DMA on disabled memory' },
  { id: 'P11', text: 'derived: when a dynamic importer\'s callback returns, every started transfer is fenced (reported via P1)', source: P, modelled: true, where: 'judged through P1 by hw/oracle.ts:judgeAccess: an unfenced transfer is not waited for and reaches revoked or moved memory (B11); not asserted at the callback\'s return itself' },
  { id: 'P12', text: 'derived: every importer pin is matched by one unpin under resv before detach (reported as leak)', source: P, modelled: true, where: 'kernel/attach.ts:dmaBufDetach, kernel/mapping.ts:dmaBufUnpin, scenario/call-objects.ts:newCallCtx' },
];

const DRIVERS: readonly RuleInfo[] = [
  { id: 'D-VFIO-1', text: 'export: pin/unpin by version ([pre,v3] refuse, [v2] iff R45, [landed] none); revoked = !memory_enabled', source: VFIO, modelled: true, where: 'drivers/vfio-pci.ts:pinMode, drivers/vfio-pci.ts:create' },
  { id: 'D-VFIO-2', text: 'attach: needs peer2peer; -ENODEV while revoked; [v3,landed] refuses non-revocable', source: VFIO, modelled: true, where: 'drivers/vfio-pci.ts:vfioOps (attach)' },
  { id: 'D-VFIO-3', text: 'map_dma_buf: -ENODEV while revoked; P2P table onto the BAR; [landed] kref += 1', source: VFIO, modelled: true, where: 'drivers/vfio-pci.ts:vfioOps (mapDmaBuf), drivers/vfio-pci.ts:krefGet' },
  { id: 'D-VFIO-4', text: 'unmap_dma_buf: free the table; [landed] kref -= 1, completing at 0', source: VFIO, modelled: true, where: 'drivers/vfio-pci.ts:vfioOps (unmapDmaBuf), drivers/vfio-pci.ts:krefPut' },
  { id: 'D-VFIO-5', text: 'private iommufd map: VFIO buffers only, -ENODEV while revoked, the BAR range', source: VFIO, modelled: true, where: 'drivers/vfio-pci.ts:privateMap' },
  { id: 'D-VFIO-6', text: 'move(revoked) by version: invalidate, fence wait, [landed] kref drop and unmap wait; un-revoke order', source: VFIO, modelled: true, where: 'drivers/vfio-pci.ts:moveRevoke, drivers/vfio-pci.ts:moveUnrevoke, drivers/vfio-pci.ts:waitUnmaps' },
  { id: 'D-VFIO-7', text: 'cleanup on close: unlink, permanently revoke, drain unless move(true) did', source: VFIO, modelled: true, where: 'drivers/vfio-pci.ts:cleanup' },
  { id: 'D-VFIO-8', text: 'revoke triggers (MEM bit, FLR, reset, hot reset, D3) under memory_lock; memory off after move(true)', source: 'linux: drivers/vfio/pci/vfio_pci_core.c', modelled: true, where: 'drivers/vfio-pci.ts:create (op revoke/unrevoke), drivers/vfio-pci.ts:TRIGGER_LABEL; a hot reset resets the one modelled device' },
  { id: 'D-VFIO-9', text: 'release of the dma-buf: unlink under memory_lock if the device is still set, free priv', source: VFIO, modelled: true, where: 'drivers/vfio-pci.ts:vfioOps (release)' },
  { id: 'D-GPU-1', text: 'attach: clear peer2peer when P2P is unusable; xe refuses GTT-less BOs without P2P', source: AMD, modelled: true, where: 'drivers/gpu.ts:gpuOps (attach); P2P is always usable and xe\'s GTT-only refusal is not modelled (one placement chain)' },
  { id: 'D-GPU-2', text: 'pin: leave VRAM if an attachment lacks peer2peer, migrate, pin_count += 1', source: AMD, modelled: true, where: 'drivers/gpu.ts:gpuOps (pin); xe\'s -EINVAL and amdgpu\'s "no domain left" WARN are not modelled' },
  { id: 'D-GPU-3', text: 'map_dma_buf: validate into a reachable placement (moving only if needed); pinned + unreachable is an error', source: AMD, modelled: true, where: 'drivers/gpu.ts:gpuOps (mapDmaBuf), drivers/gpu.ts:reachable' },
  { id: 'D-GPU-4', text: 'move/evict: R43 first, copy after BOOKKEEP, copy fence KERNEL, old region freed at its signal', source: 'linux: drivers/gpu/drm/amd/amdgpu/amdgpu_object.c:amdgpu_bo_move_notify', modelled: true, where: 'drivers/gpu.ts:moveBo, drivers/gpu.ts:evict' },
  { id: 'D-GPU-5', text: 'correct never invalidates a pinned attachment for memory management; unplug revokes all', source: AMD, modelled: true, where: 'drivers/gpu.ts:evict, drivers/gpu.ts:unplug' },
  { id: 'D-GPUI-1', text: 'import: get, dynamic attach, map under resv (pinned: pin first); lazy remap after invalidate', source: AMD, modelled: true, where: 'drivers/gpu-dynamic.ts:doImport, drivers/gpu-dynamic.ts:ensureMapped' },
  { id: 'D-GPUI-2', text: 'dma: one fenced job per transfer, mapped if needed, after the KERNEL fences', source: AMD, modelled: true, where: 'drivers/gpu-dynamic.ts:doDma' },
  { id: 'D-GPUI-3', text: 'callback: invalidate the mapping, fenced teardown, hand the table to the deferred unmapper', source: 'linux: drivers/gpu/drm/amd/amdgpu/amdgpu_dma_buf.c:amdgpu_dma_buf_move_notify', modelled: true, where: 'drivers/gpu-dynamic.ts:invalidate, drivers/gpu-dynamic.ts:unmapperThread' },
  { id: 'D-GPUI-4', text: 'remap as D-GPUI-2; release: wait own fences, unmap what it owns, wait the unmapper, unpin, detach, put', source: AMD, modelled: true, where: 'drivers/gpu-dynamic.ts:doRelease, drivers/gpu-dynamic.ts:ensureMapped' },
  { id: 'D-GPUI-5', text: 'a GPU importer pins only for scanout and then still looks revocable', source: 'seed: Thomas Hellström 2026-01-19 17:24', modelled: true, where: 'drivers/gpu-dynamic.ts:doImport (key pinned), variant pinned-ignores-invalidate' },
  { id: 'D-IOMMUFD-1', text: 'import: get, attach with revoke_notify, [v2,landed] pin, VFIO private map, IOMMU map', source: IOMMUFD, modelled: true, where: 'drivers/iommufd.ts:doImport, drivers/iommufd.ts:undo' },
  { id: 'D-IOMMUFD-2', text: 'revoke_notify: under pages.mutex unmap every domain synchronously, mark revoked', source: IOMMUFD, modelled: true, where: 'drivers/iommufd.ts:revokeNotify' },
  { id: 'D-IOMMUFD-3', text: 'revoke is permanent: it never remaps', source: IOMMUFD, modelled: true, where: 'drivers/iommufd.ts:revokeNotify (no way back), drivers/iommufd.ts:iommufd (no remap op)' },
  { id: 'D-IOMMUFD-4', text: 'never calls R38/R40: VFIO\'s unmap wait does not count it; safety rests on the synchronous callback', source: 'list: v6 8/8 commit text', modelled: true, where: 'drivers/iommufd.ts:doImport (maps through privateMap only)' },
  { id: 'D-IOMMUFD-5', text: 'release: IOVA unmap first, then unpin under resv, detach, put', source: 'linux: drivers/iommu/iommufd/io_pagetable.c:__iopt_unmap_iova_range', modelled: true, where: 'drivers/iommufd.ts:doRelease' },
  { id: 'D-RDMAP-1', text: 'import: get, attach with pinned ops, pin, map, wait KERNEL, all under one resv hold', source: UMEM, modelled: true, where: 'drivers/rdma-pinned.ts:doImport, drivers/rdma-pinned.ts:undo' },
  { id: 'D-RDMAP-2', text: 'callback by version: [pre,v2] log-only stub, [v3] sentinel, [landed] absent', source: UMEM, modelled: true, where: 'drivers/rdma-pinned.ts:callbackForm, drivers/rdma-pinned.ts:logOnly' },
  { id: 'D-RDMAP-3', text: 'driver-side revoke: under resv, unmap and unpin once', source: UMEM, modelled: true, where: 'drivers/rdma-pinned.ts:doRelease (as part of deregistration; a device going away on its own is no scenario op)' },
  { id: 'D-RDMAP-4', text: 'release: the NIC stops first, then D-RDMAP-3, detach, put', source: UMEM, modelled: true, where: 'drivers/rdma-pinned.ts:doRelease' },
  { id: 'D-ODP-1', text: 'import: get, dynamic attach, prefetch map and program the translation; later maps on fault or remap', source: MLX5, modelled: true, where: 'drivers/rdma-odp.ts:doImport, drivers/rdma-odp.ts:mapAndProgram, drivers/rdma-odp.ts:prefetch' },
  { id: 'D-ODP-2', text: 'dma: NIC access through the translation; a zapped one page-faults into the fault worker', source: MLX5, modelled: true, where: 'drivers/rdma-odp.ts:workRequest, drivers/rdma-odp.ts:faultWorker' },
  { id: 'D-ODP-3', text: 'callback: zap the translation synchronously, then unmap', source: MLX5, modelled: true, where: 'drivers/rdma-odp.ts:invalidate' },
  { id: 'D-STATIC', text: 'static importer: attach without ops, map at import (core pins and waits KERNEL), never notified', source: 'linux: drivers/dma-buf/dma-buf.c:dma_buf_attach', modelled: true, where: 'drivers/static.ts:doImport, drivers/static.ts:doRelease' },
];

/** A group of the rule book, in its order. */
export interface RuleGroup {
  readonly title: string;
  readonly rules: readonly RuleInfo[];
}

export const RULE_BOOK: readonly RuleGroup[] = [
  { title: 'S1-S22: objects and their state (rule book §2)', rules: STATE },
  { title: 'R1-R58: core API (rule book §3)', rules: RULES },
  { title: 'RV1-RV12: revoke semantics (rule book §4.1)', rules: REVOKE },
  { title: 'P1-P12: checkable properties (rule book §4.2)', rules: PROPERTIES },
  { title: 'D-*: drivers as modelled actors (rule book §5)', rules: DRIVERS },
];
