/**
 * The core rules of the rule book (spec/dma-buf-semantics.md §3, R1-R58): a short text,
 * the source the rule book cites, and where the model implements it. `dmabuf-lab list
 * rules` prints this table; the README lists the rules with `modelled: false`.
 */

export interface RuleInfo {
  readonly id: string;
  readonly text: string;
  readonly source: string;
  /** true: implemented; 'driver' the duty is judged in driver models and the oracle; false: not modelled */
  readonly modelled: true | 'driver' | false;
  /** where (file) or why not */
  readonly where: string;
}

const F = 'linux: drivers/dma-buf/dma-fence.c';
const R = 'linux: drivers/dma-buf/dma-resv.c';
const B = 'linux: drivers/dma-buf/dma-buf.c';

export const RULES: readonly RuleInfo[] = [
  { id: 'R1', text: 'dma_fence_context_alloc returns fresh, never reused context ids', source: `${F}:dma_fence_context_alloc`, modelled: true, where: 'kernel/fence.ts:dmaFenceContextAlloc' },
  { id: 'R2', text: 'dma_fence_init/init64: PENDING, error 0, refcount 1, 32/64-bit seqno', source: `${F}:dma_fence_init`, modelled: true, where: 'kernel/fence.ts:dmaFenceInit' },
  { id: 'R3', text: 'dma_fence_get/put: +-1; below zero is api-misuse; 0 releases (R15)', source: 'linux: include/linux/dma-fence.h:dma_fence_put', modelled: true, where: 'kernel/fence.ts:dmaFenceGet, kernel/fence.ts:dmaFencePut' },
  { id: 'R4', text: 'dma_fence_signal: once; callbacks in order in the signaller; [pre,v2,v3] int, [landed] void', source: `${F}:dma_fence_signal_timestamp_locked`, modelled: true, where: 'kernel/fence.ts:dmaFenceSignal' },
  { id: 'R5', text: 'dma_fence_set_error: WARN if signalled or not a negative errno; stored anyway', source: 'linux: include/linux/dma-fence.h:dma_fence_set_error', modelled: true, where: 'kernel/fence.ts:dmaFenceSetError' },
  { id: 'R6', text: 'dma_fence_get_status: 0 pending, 1 signalled, or the error', source: `${F}:dma_fence_get_status`, modelled: true, where: 'kernel/fence.ts:dmaFenceGetStatus' },
  { id: 'R7', text: 'dma_fence_is_signaled: true iff SIGNALED (poll hook not modelled)', source: 'linux: include/linux/dma-fence.h:dma_fence_is_signaled', modelled: true, where: 'kernel/fence.ts:dmaFenceIsSignaled' },
  { id: 'R8', text: 'dma_fence_add_callback: null -> WARN -EINVAL; signalled -> -ENOENT; one fence per cb', source: `${F}:dma_fence_add_callback`, modelled: true, where: 'kernel/fence.ts:dmaFenceAddCallback' },
  { id: 'R9', text: 'dma_fence_remove_callback: true iff it was pending', source: `${F}:dma_fence_remove_callback`, modelled: true, where: 'kernel/fence.ts:dmaFenceRemoveCallback' },
  { id: 'R10', text: 'dma_fence_wait_timeout: <0 WARN -EINVAL; 0 polls; remaining time or 0', source: `${F}:dma_fence_wait_timeout`, modelled: true, where: 'kernel/fence.ts:dmaFenceWaitTimeout' },
  { id: 'R11', text: 'dma_fence_wait: R10 with an infinite timeout, 0', source: 'linux: include/linux/dma-fence.h:dma_fence_wait', modelled: true, where: 'kernel/fence.ts:dmaFenceWait' },
  { id: 'R12', text: 'dma_fence_is_later(_or_same): same context (WARN), wrap-aware 32-bit seqnos', source: 'linux: include/linux/dma-fence.h:__dma_fence_is_later', modelled: true, where: 'kernel/fence.ts:dmaFenceIsLater' },
  { id: 'R13', text: 'no resv lock and no fence wait inside a fence signalling critical section', source: `${F}:dma_fence_begin_signalling`, modelled: true, where: 'kernel/fence.ts:dmaFenceBeginSignalling, kernel/fence.ts:dmaFenceMightWait, kernel/kernel.ts:inSignalling' },
  { id: 'R14', text: 'every published fence is eventually signalled (wait-timeout or leak)', source: `${F} DOC indefinite fences`, modelled: true, where: 'sim/runtime.ts:finish, scenario/call-objects.ts:newCallCtx (end check)' },
  { id: 'R15', text: 'release of a pending fence with callbacks: WARN, -EDEADLK, signalled', source: `${F}:dma_fence_release`, modelled: true, where: 'kernel/fence.ts:dmaFencePut' },
  { id: 'R16', text: 'usages KERNEL < WRITE < READ < BOOKKEEP; usage U covers every usage <= U', source: 'linux: include/linux/dma-resv.h:enum dma_resv_usage', modelled: true, where: 'kernel/resv.ts:USAGE_NAMES' },
  { id: 'R17', text: 'dma_resv_usage_rw(write): READ for a writer, WRITE for a reader', source: 'linux: include/linux/dma-resv.h:dma_resv_usage_rw', modelled: true, where: 'kernel/resv.ts:dmaResvUsageRw' },
  { id: 'R18', text: 'dma_resv_lock: ww_mutex Wait-Die, -EALREADY, -EDEADLK + contended, self-deadlock', source: 'linux: kernel/locking/ww_mutex.h:__ww_mutex_check_kill', modelled: true, where: 'kernel/resv.ts:dmaResvLock' },
  { id: 'R18a', text: 'dma_resv_lock_interruptible: R18 (signals are off)', source: 'linux: include/linux/dma-resv.h', modelled: true, where: 'kernel/resv.ts:dmaResvLock (the same call, signals being off)' },
  { id: 'R18b', text: 'dma_resv_lock_slow: the context holds no lock; blocks', source: 'linux: include/linux/dma-resv.h:dma_resv_lock_slow', modelled: true, where: 'kernel/resv.ts:dmaResvLockSlow' },
  { id: 'R18c', text: 'dma_resv_trylock: true iff acquired; never blocks', source: 'linux: include/linux/dma-resv.h:dma_resv_trylock', modelled: true, where: 'kernel/resv.ts:dmaResvTrylock' },
  { id: 'R19', text: 'dma_resv_unlock: caller holds it', source: 'linux: include/linux/dma-resv.h:dma_resv_unlock', modelled: true, where: 'kernel/resv.ts:dmaResvUnlock' },
  { id: 'R20', text: 'reservations end with the lock hold (debug build)', source: `${R}:dma_resv_reset_max_fences`, modelled: true, where: 'kernel/resv.ts:dmaResvUnlock' },
  { id: 'R21', text: 'dma_resv_assert_held: api-misuse without the lock', source: 'linux: include/linux/dma-resv.h:dma_resv_assert_held', modelled: true, where: 'kernel/resv.ts:dmaResvAssertHeld' },
  { id: 'R22', text: 'dma_resv_reserve_fences: held; at least n free slots (not additive)', source: `${R}:dma_resv_reserve_fences`, modelled: true, where: 'kernel/resv.ts:dmaResvReserveFences' },
  { id: 'R23', text: 'dma_resv_add_fence: held; replaces same-context/signalled slot, else a reserved slot or BUG', source: `${R}:dma_resv_add_fence`, modelled: true, where: 'kernel/resv.ts:dmaResvAddFence' },
  { id: 'R24', text: 'dma_resv_replace_fences: held; every slot of the context gets the replacement', source: `${R}:dma_resv_replace_fences`, modelled: true, where: 'kernel/resv.ts:dmaResvReplaceFences' },
  { id: 'R25', text: 'dma_resv_test_signaled: every covered fence signalled; no lock needed', source: `${R}:dma_resv_test_signaled`, modelled: true, where: 'kernel/resv.ts:dmaResvTestSignaled' },
  { id: 'R26', text: 'dma_resv_wait_timeout: waits every covered fence, re-reading the list', source: `${R}:dma_resv_wait_timeout`, modelled: true, where: 'kernel/resv.ts:dmaResvWaitTimeout' },
  { id: 'R27', text: 'dma_resv_get_singleton / iterators: not needed beyond R25/R26', source: `${R}:dma_resv_get_singleton`, modelled: false, where: 'the rule book needs no behaviour from them; R25/R26 cover the queries' },
  { id: 'R28', text: 'two resv locks only through one acquire context; any cycle is deadlock', source: 'linux: kernel/locking/lockdep.c', modelled: true, where: 'sim/lockdep.ts:LockDep, sim/runtime.ts:finish (cycles and hangs only; no recursive-locking splat)' },
  { id: 'R29', text: 'implicit-sync duties of importers (READ/WRITE fences, KERNEL+WRITE waits, fence what you cannot stop)', source: 'linux: include/linux/dma-buf.h:struct dma_buf resv doc', modelled: 'driver', where: 'importer driver models (drivers/gpu-dynamic.ts:doDma fences its jobs); judged by hw/oracle.ts:judgeAccess (P1-P3)' },
  { id: 'R30', text: 'dma_buf_export: WARN -EINVAL without priv/ops/map/unmap/release or with unpaired pin/unpin', source: `${B}:dma_buf_export`, modelled: true, where: 'kernel/dma-buf.ts:dmaBufExport' },
  { id: 'R31', text: 'dma_buf_fd/get/put: references, -EBADF/-EINVAL, use after release is api-misuse', source: `${B}:dma_buf_get`, modelled: true, where: 'kernel/dma-buf.ts:dmaBufFd' },
  { id: 'R32', text: 'release: BUG if vmapped; ops.release; WARN if attachments remain', source: `${B}:dma_buf_release`, modelled: true, where: 'kernel/dma-buf.ts:dmaBufPut' },
  { id: 'R33', text: 'dma_buf_dynamic_attach: ops.attach unlocked, then listed under resv; [pre,v2,v3] callback mandatory', source: `${B}:dma_buf_dynamic_attach`, modelled: true, where: 'kernel/attach.ts:dmaBufDynamicAttach' },
  { id: 'R34', text: 'dma_buf_attach: R33 without importer ops (static)', source: `${B}:dma_buf_attach`, modelled: true, where: 'kernel/attach.ts:dmaBufDynamicAttach (without importer ops)' },
  { id: 'R35', text: 'dma_buf_detach: unlink under resv, ops.detach unlocked; live map/pin is leak', source: `${B}:dma_buf_detach`, modelled: true, where: 'kernel/attach.ts:dmaBufDetach' },
  { id: 'R36', text: 'dma_buf_pin: held; WARN on static; counts a successful pin', source: `${B}:dma_buf_pin`, modelled: true, where: 'kernel/mapping.ts:dmaBufPin' },
  { id: 'R37', text: 'dma_buf_unpin: held; WARN on static; unpin at 0 is api-misuse', source: `${B}:dma_buf_unpin`, modelled: true, where: 'kernel/mapping.ts:dmaBufUnpin' },
  { id: 'R38', text: 'dma_buf_map_attachment: held; pin-on-map; static waits KERNEL; failures undo', source: `${B}:dma_buf_map_attachment`, modelled: true, where: 'kernel/mapping.ts:dmaBufMapAttachment' },
  { id: 'R39', text: 'dma_buf_map_attachment_unlocked: lock, R38, unlock', source: `${B}:dma_buf_map_attachment_unlocked`, modelled: true, where: 'kernel/mapping.ts:dmaBufMapAttachmentUnlocked' },
  { id: 'R40', text: 'dma_buf_unmap_attachment: held; a live table of the attachment; undo pin-on-map', source: `${B}:dma_buf_unmap_attachment`, modelled: true, where: 'kernel/mapping.ts:dmaBufUnmapAttachment' },
  { id: 'R41', text: 'dma_buf_unmap_attachment_unlocked: lock, R40, unlock', source: `${B}:dma_buf_unmap_attachment_unlocked`, modelled: true, where: 'kernel/mapping.ts:dmaBufUnmapAttachmentUnlocked' },
  { id: 'R42', text: 'a dynamic importer waits the KERNEL fences of a fresh mapping before DMA', source: `${B}:dma_buf_map_attachment kdoc`, modelled: 'driver', where: 'hw/oracle.ts:judgeAccess (dma-after-revoke, before-ready)' },
  { id: 'R43', text: 'dma_buf_invalidate_mappings ([pre,v2,v3] dma_buf_move_notify): held; callbacks newest first', source: `${B}:dma_buf_invalidate_mappings`, modelled: true, where: 'kernel/mapping.ts:dmaBufInvalidateMappings' },
  { id: 'R44', text: 'exporter duties: resv around R43, before invalidating memory, wait as RV6', source: 'seed: Christian König 2026-01-19 12:12', modelled: 'driver', where: 'exporter driver models (drivers/vfio-pci.ts:moveRevoke, drivers/gpu.ts:moveBo); judged by hw/oracle.ts:judgeAccess (P1, P2)' },
  { id: 'R45', text: 'dma_buf_attach_revocable ([v2] dma_buf_attachment_is_revoke) by version', source: 'list: Leon Romanovsky 2026-01-30, v6 6/8', modelled: true, where: 'kernel/attach.ts:dmaBufAttachRevocable' },
  { id: 'R46', text: 'dma_buf_is_dynamic / dma_buf_attachment_is_dynamic', source: 'linux: include/linux/dma-buf.h:dma_buf_is_dynamic', modelled: true, where: 'kernel/dma-buf.ts:dmaBufIsDynamic, kernel/attach.ts:dmaBufAttachmentIsDynamic' },
  { id: 'R47', text: 'dma_buf_begin_cpu_access: free; op, then wait usage_rw(write)', source: `${B}:dma_buf_begin_cpu_access`, modelled: true, where: 'kernel/cpu-access.ts:dmaBufBeginCpuAccess' },
  { id: 'R48', text: 'dma_buf_end_cpu_access: free; the op result or 0', source: `${B}:dma_buf_end_cpu_access`, modelled: true, where: 'kernel/cpu-access.ts:dmaBufEndCpuAccess' },
  { id: 'R49', text: 'dma_buf_vmap/vunmap: held; counted, cached address, BUGs on inconsistency', source: `${B}:dma_buf_vmap`, modelled: true, where: 'kernel/cpu-access.ts:dmaBufVmap' },
  { id: 'R50', text: 'dma_buf_vmap_unlocked/vunmap_unlocked: lock, R49, unlock', source: `${B}:dma_buf_vmap_unlocked`, modelled: true, where: 'kernel/cpu-access.ts:dmaBufVmapUnlocked' },
  { id: 'R51', text: 'dma_buf_mmap: -EINVAL without op or beyond size, -EOVERFLOW on wrap; op unlocked', source: `${B}:dma_buf_mmap`, modelled: true, where: 'kernel/cpu-access.ts:dmaBufMmap' },
  { id: 'R52', text: 'ops.attach contract: may refuse or clear peer2peer; before the attachment is visible', source: 'linux: include/linux/dma-buf.h:struct dma_buf_ops attach', modelled: 'driver', where: 'exporter attach ops (drivers/vfio-pci.ts:vfioOps, drivers/gpu.ts:gpuOps); the core part (order, R57 undo) in kernel/attach.ts:dmaBufDynamicAttach' },
  { id: 'R53', text: 'ops.pin contract: no move while pinned; moves complete or fenced KERNEL', source: 'linux: include/linux/dma-buf.h:struct dma_buf_ops pin', modelled: 'driver', where: 'gpu exporter model, drivers/gpu.ts:gpuOps (pin) and drivers/gpu.ts:evict (D-GPU-2, D-GPU-5)' },
  { id: 'R54', text: 'ops.map_dma_buf contract: addresses for the device, ready or KERNEL-fenced', source: 'linux: include/linux/dma-buf.h:struct dma_buf_ops map_dma_buf', modelled: 'driver', where: 'exporter map ops (drivers/vfio-pci.ts:vfioOps, drivers/gpu.ts:gpuOps); judged by hw/oracle.ts:judgeAccess' },
  { id: 'R55', text: 'ops.unmap_dma_buf contract: the importer stops using the addresses', source: 'linux: include/linux/dma-buf.h:struct dma_buf_ops unmap_dma_buf', modelled: 'driver', where: 'hw/oracle.ts:judgeAccess (P3)' },
  { id: 'R56', text: 'ops.release contract: once, after the last reference, no attachments', source: 'linux: include/linux/dma-buf.h:struct dma_buf_ops release', modelled: true, where: 'kernel/dma-buf.ts:dmaBufPut (R32 calls it once, WARNs on attachments)' },
  { id: 'R57', text: 'a failed op leaves the core state as before (R33, R38 undo; failed pin not counted)', source: `${B}:dma_buf_map_attachment`, modelled: true, where: 'kernel/attach.ts:dmaBufDynamicAttach, kernel/mapping.ts:dmaBufMapAttachment' },
  { id: 'R58', text: 'only the exporter, with resv held, changes where the memory lives', source: 'linux: include/linux/dma-buf.h:struct dma_buf resv doc', modelled: 'driver', where: 'structural: only exporter models move regions (hw/region.ts:setRegionState called from drivers/vfio-pci.ts and drivers/gpu.ts:moveBo)' },
];

/** The rule ids WARNs and BUGs of the core may cite (the property test checks against it). */
export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((r) => r.id));

export function findRule(id: string): RuleInfo | undefined {
  return RULES.find((r) => r.id === id);
}
