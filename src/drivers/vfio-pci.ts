/**
 * vfio-pci dma-buf exporter of a PCI BAR (rule book §5.1, D-VFIO-*).
 * (linux: drivers/vfio/pci/vfio_pci_dmabuf.c, vfio_pci_config.c, vfio_pci_core.c)
 */
import { complete, newCompletion, reinitCompletion, sharedRead, sharedWrite, waitForCompletion, waitForCompletionTimeout, type Completion } from '../sim/completion.ts';
import { mutexLock, mutexUnlock, newMutex } from '../sim/mutex.ts';
import { callEntry, local, OpKind, type Proc } from '../sim/op.ts';
import { dmaBufAttachRevocable } from '../kernel/attach.ts';
import { dmaBufExport, dmaBufPut, type DmaBuf, type DmaBufAttachment, type DmaBufOps, type SgTable } from '../kernel/dma-buf.ts';
import { ERRNO } from '../kernel/errno.ts';
import { MAX_SCHEDULE_TIMEOUT } from '../kernel/fence.ts';
import { isVersion, nextTableName, warn, type Kernel, type KernelVersion } from '../kernel/kernel.ts';
import type { VfioFrameSwitches } from './frame-env.ts';
import { dmaBufInvalidateMappings } from '../kernel/mapping.ts';
import { dmaResvLock, dmaResvUnlock, dmaResvWaitTimeout, DmaResvUsage } from '../kernel/resv.ts';
import { newRevokeTracker, revokeBeganOp, revokeFencedOp, revokeReturnedOp, type RevokeTracker } from '../hw/oracle.ts';
import { newRegion, regionMapTable, regionUnmapTable, setRegionState, type MemRegion } from '../hw/region.ts';
import { variantSwitches, type DriverEnv, type ExporterDriver, type ExporterInstance, type ExporterOp, type RevokeTrigger, type Variant } from './types.ts';

type PinMode = 'none' | 'rejects' | 'check-v2';

/** Variant switches, each a historical behaviour overlaid on the selected version. */
interface VfioSwitches {
  /** seed: Christian König 2026-01-19 12:12: the v2 revoke returns without any wait */
  noFenceWait: boolean;
  /** the usage the revoke's fence wait covers (list: v3 6/7 waited KERNEL; v4 BOOKKEEP) */
  waitUsage: DmaResvUsage | null;
  /** list: v4 -> v5: no wait for the importers' unmaps after the fence wait */
  noUnmapWait: boolean;
  /** list: v5 4/8: 1 s completion timeout, WARN, then proceed (dropped in v6) */
  timedUnmapWait: boolean;
  /** seed: Jason Gunthorpe 2026-01-19 16:58: attach without the R45 test */
  acceptsNonRevocable: boolean;
  /** RV7: map (and the iommufd private map) ignore `revoked` */
  noRevokedCheck: boolean;
  /** list: v6 changelog: v5 un-revoke clears `revoked` before re-arming kref */
  unrevokeRace: boolean;
  /** the driver as merged for v7.1: cleanup drains every buffer, also those move(true) drained */
  cleanupDrainsAll: boolean;
  /** pin op overriding the version's: seed patch 4/4 check, or interim fix 61ceaf23 */
  pin: PinMode | null;
}

const BASE: VfioSwitches = {
  noFenceWait: false, waitUsage: null, noUnmapWait: false, timedUnmapWait: false, acceptsNonRevocable: false,
  noRevokedCheck: false, unrevokeRace: false, cleanupDrainsAll: false, pin: null,
};

const LANDED = ['landed'] as const;

/** Every variant, declared once: `list drivers`, the loader and `create` read this list. */
const VARIANTS: readonly Variant<VfioSwitches>[] = [
  { name: 'correct', description: 'the selected version; landed: BOOKKEEP fence wait and unmap wait before the BAR goes off, R45 at attach', switches: BASE },
  { name: 'v2-no-wait', description: 'revoke returns without waiting for the importers\' fences or unmaps (seed: Christian König 2026-01-19 12:12)', switches: { ...BASE, noFenceWait: true, noUnmapWait: true } },
  { name: 'accepts-non-revocable', description: 'attach does not check dma_buf_attach_revocable (seed: Jason Gunthorpe 2026-01-19 16:58)', switches: { ...BASE, acceptsNonRevocable: true } },
  { name: 'no-revoked-check', description: 'map_dma_buf and the iommufd map succeed while revoked (rule book RV7)', switches: { ...BASE, noRevokedCheck: true } },
  { name: 'kernel-fence-only', description: 'v3 revoke: waits KERNEL fences only, no unmap wait (list: v3 6/7, changed in v4)', switches: { ...BASE, waitUsage: DmaResvUsage.KERNEL, noUnmapWait: true } },
  { name: 'no-unmap-wait', description: 'v4 revoke: BOOKKEEP fence wait but no wait for unmaps (list: v5 4/8 kdoc)', kernels: LANDED, switches: { ...BASE, noUnmapWait: true } },
  { name: 'timeout-1s', description: 'v5 revoke: unmap wait times out after 1 s with a WARN (list: Christian König 2026-01-30)', kernels: LANDED, switches: { ...BASE, timedUnmapWait: true } },
  { name: 'unrevoke-race', description: 'v5 un-revoke clears revoked before re-arming kref (list: v6 changelog)', kernels: LANDED, switches: { ...BASE, unrevokeRace: true } },
  { name: 'as-merged', description: 'v7.1 as merged: cleanup drains again a buffer move(true) already drained (linux: vfio_pci_dma_buf_cleanup)', kernels: LANDED, switches: { ...BASE, cleanupDrainsAll: true } },
  { name: 'pin-check-v2', description: 'seed patch 4/4: pin succeeds iff the v2 revocability test holds (seed: Leon Romanovsky 2026-01-18 4/4)', switches: { ...BASE, pin: 'check-v2' } },
  { name: 'pin-rejects', description: 'interim fix 61ceaf23: pin always -EOPNOTSUPP, no pinned importer (list: vfio tree 2026-01-21)', switches: { ...BASE, pin: 'rejects' } },
];

interface VfioPriv {
  revoked: boolean;
  /** `revoked` is read without the resv by attach (D-VFIO-2), so its writes are steps */
  readonly revokedObj: number;
  /** `[landed]` 1 + live maps */
  kref: number;
  readonly krefObj: number;
  readonly comp: Completion;
  /** `[landed]` move(true) dropped the initial kref and waited: cleanup must not again */
  drained: boolean;
  /** cleanup ran: the device registration is gone (D-VFIO-7) */
  cleanedUp: boolean;
  readonly bar: MemRegion;
  readonly tracker: RevokeTracker;
}

function priv(buf: DmaBuf): VfioPriv {
  return buf.priv as VfioPriv;
}

/** kref_put: the release function completes the completion (D-VFIO-4, D-VFIO-6). */
function* krefPut(k: Kernel, p: VfioPriv, who: string): Proc {
  const hitZero = (yield {
    kind: OpKind.Write, obj: p.krefObj, write: true, label: 'kref_put', detail: `${p.bar.name} dma-buf (${who})`,
    counter: { delta: -1, value: () => p.kref },
    apply: () => {
      if (p.kref <= 0) {
        k.rt.report('api-misuse', 'P7', `vfio-pci kref of ${p.bar.name} dma-buf drops below zero (${who})`);
        return false;
      }
      return --p.kref === 0;
    },
  }) as boolean;
  if (hitZero) yield* complete(p.comp);
}

function* krefGet(k: Kernel, p: VfioPriv): Proc {
  yield {
    kind: OpKind.Write, obj: p.krefObj, write: true, label: 'kref_get', detail: `${p.bar.name} dma-buf`,
    counter: { delta: 1, value: () => p.kref },
    apply: () => {
      if (p.kref === 0) k.rt.report('api-misuse', 'P7', `vfio-pci kref of ${p.bar.name} dma-buf incremented from zero`);
      p.kref++;
    },
  };
}

/** P4: a map that succeeds while `revoked` is set. */
function checkNotRevoked(k: Kernel, p: VfioPriv, what: string): void {
  if (p.revoked) k.rt.report('access-after-revoke', 'P4', `vfio-pci ${what} succeeds while the buffer is revoked`);
}

/** The pin op by version (D-VFIO-1) unless a variant overrides it. */
function pinMode(k: Kernel, sw: VfioSwitches): PinMode {
  if (sw.pin) return sw.pin;
  if (isVersion(k, 'v2')) return 'check-v2';
  if (isVersion(k, 'pre', 'v3')) return 'rejects';
  return 'none';
}

/** R45 as the seed's inline dma_buf_attachment_is_revoke computed it (R45 `[v2]`). */
function revocableV2(k: Kernel, a: DmaBufAttachment): boolean {
  return k.configMoveNotify && a.importerOps?.invalidateMappings !== undefined;
}

function vfioOps(k: Kernel, sw: VfioSwitches): DmaBufOps {
  const ops: DmaBufOps = {
    /** D-VFIO-2, resv free: p2p required, refused while revoked, `[v3,landed]` R45 at attach. */
    *attach(kk: Kernel, buf: DmaBuf, a: DmaBufAttachment): Proc<number> {
      yield callEntry('vfio_pci_dma_buf_attach', a.dev);
      if (!a.peer2peer) return -ERRNO.EOPNOTSUPP;
      const p = priv(buf);
      const revoked = yield* sharedRead(p.revokedObj, 'read revoked', p.bar.name, () => p.revoked);
      if (revoked) return -ERRNO.ENODEV;
      if (!sw.acceptsNonRevocable && isVersion(kk, 'v3', 'landed') && !dmaBufAttachRevocable(kk, a)) return -ERRNO.EOPNOTSUPP;
      return 0;
    },
    /** D-VFIO-3, resv held: -ENODEV while revoked; `[landed]` kref += 1. */
    *mapDmaBuf(kk: Kernel, a: DmaBufAttachment, dir): Proc<SgTable | number> {
      const p = priv(a.dmabuf);
      if (p.revoked && !sw.noRevokedCheck) return -ERRNO.ENODEV;
      checkNotRevoked(kk, p, `map_dma_buf for ${a.dev}`);
      if (isVersion(kk, 'landed')) yield* krefGet(kk, p);
      const id = kk.rt.newObject(`sgt-${a.dev}`);
      return yield* regionMapTable(p.bar, { id, name: nextTableName(kk, a.dev), attachment: a, dir, region: p.bar, epoch: p.bar.epoch, createdAt: kk.rt.events.length, readyAfter: [], live: true });
    },
    /** D-VFIO-4, resv held: `[landed]` kref -= 1, completing at 0. */
    *unmapDmaBuf(kk: Kernel, a: DmaBufAttachment, sgt: SgTable): Proc {
      yield* regionUnmapTable(priv(a.dmabuf).bar, sgt);
      if (isVersion(kk, 'landed')) yield* krefPut(kk, priv(a.dmabuf), `unmap by ${a.dev}`);
    },
    *release(): Proc {
      yield callEntry('vfio_pci_dma_buf_release');
    },
  };
  const mode = pinMode(k, sw);
  if (mode !== 'none') {
    /** D-VFIO-1: `[pre,v3]` / 61ceaf23 refuse every pin; `[v2]` pins iff R45`[v2]`. */
    ops.pin = function* (kk: Kernel, a: DmaBufAttachment): Proc<number> {
      yield callEntry('vfio_pci_dma_buf_pin', a.dev);
      return mode === 'check-v2' && revocableV2(kk, a) ? 0 : -ERRNO.EOPNOTSUPP;
    };
    ops.unpin = function* (_kk: Kernel, a: DmaBufAttachment): Proc {
      yield callEntry('vfio_pci_dma_buf_unpin', a.dev);
    };
  }
  return ops;
}

/** The wait for every importer's unmap after the initial kref is dropped (RV6, D-VFIO-6). */
function* waitUnmaps(k: Kernel, p: VfioPriv, sw: VfioSwitches): Proc {
  if (sw.timedUnmapWait) {
    const r = yield* waitForCompletionTimeout(p.comp, 1000);
    if (r === 0) {
      k.rt.report('wait-timeout', 'P9', 'vfio-pci revoke: importers did not unmap within 1 s; the revoke proceeds');
      warn(k, 'D-VFIO-6', 'vfio-pci revoke timed out waiting for the importers to unmap');
    }
  } else yield* waitForCompletion(p.comp);
}

/**
 * The fence wait after R43 under resv: `[landed]` BOOKKEEP, `[v3]` KERNEL, none before;
 * variants override. Marks the tracker for P2.
 */
function* revokeFenceWait(k: Kernel, buf: DmaBuf, sw: VfioSwitches): Proc {
  if (sw.noFenceWait) return;
  const usage = sw.waitUsage ?? (isVersion(k, 'landed') ? DmaResvUsage.BOOKKEEP : isVersion(k, 'v3') ? DmaResvUsage.KERNEL : null);
  if (usage === null) return;
  yield* dmaResvWaitTimeout(k, buf.resv, usage, MAX_SCHEDULE_TIMEOUT);
  if (usage === DmaResvUsage.BOOKKEEP) yield revokeFencedOp(priv(buf).tracker);
}

/**
 * D-VFIO-6 move(true): lock resv, set revoked, invalidate, fence wait, unlock; `[landed]`
 * drop the initial kref and wait for every unmap (RV6). Caller holds memory_lock.
 */
function* moveRevoke(k: Kernel, buf: DmaBuf, sw: VfioSwitches): Proc {
  const p = priv(buf);
  if (p.revoked || p.cleanedUp) return;
  yield revokeBeganOp(k.rt, p.tracker, 'vfio_pci_dma_buf_move(revoked=true)');
  yield* dmaResvLock(k, buf.resv);
  buf.hooks.revokeBegins?.(k, buf);
  yield* sharedWrite(p.revokedObj, 'revoked = true', p.bar.name, () => { p.revoked = true; });
  yield* dmaBufInvalidateMappings(k, buf);
  yield* revokeFenceWait(k, buf, sw);
  yield* dmaResvUnlock(k, buf.resv);
  if (isVersion(k, 'landed')) {
    yield* krefPut(k, p, 'revoke');
    if (!sw.noUnmapWait) yield* waitUnmaps(k, p, sw);
    p.drained = true;
  }
  yield revokeReturnedOp(p.tracker, 'vfio_pci_dma_buf_move returned');
}

/**
 * D-VFIO-6 move(false). `[landed]`: invalidate (a remap may now succeed) and wait with
 * `revoked` still set, re-arm kref and completion, then clear `revoked` (RV9, Q7).
 * unrevoke-race: the v5 order, `revoked` cleared first (B8). Before landed: clear and
 * invalidate in one hold. Caller holds memory_lock.
 */
function* moveUnrevoke(k: Kernel, buf: DmaBuf, sw: VfioSwitches): Proc {
  const p = priv(buf);
  if (!p.revoked || p.cleanedUp) return;
  yield callEntry('vfio_pci_dma_buf_move(revoked=false)', buf.name);
  const clear = () => sharedWrite(p.revokedObj, 'revoked = false', p.bar.name, () => { p.revoked = false; });
  yield* dmaResvLock(k, buf.resv);
  if (!isVersion(k, 'landed') || sw.unrevokeRace) yield* clear();
  yield* dmaBufInvalidateMappings(k, buf);
  yield* revokeFenceWait(k, buf, sw);
  yield* dmaResvUnlock(k, buf.resv);
  if (!isVersion(k, 'landed')) return;
  yield* sharedWrite(p.krefObj, 'kref_init', `${p.bar.name} dma-buf`, () => { p.kref = 1; });
  yield* reinitCompletion(p.comp);
  p.drained = false;
  if (sw.unrevokeRace) return;
  yield* dmaResvLock(k, buf.resv);
  yield* clear();
  yield* dmaResvUnlock(k, buf.resv);
}

/**
 * D-VFIO-7 cleanup on device close (caller holds memory_lock): permanently revoke, drain
 * unless move(true) already did (as-merged drains again), drop the registration.
 */
function* cleanup(k: Kernel, buf: DmaBuf, sw: VfioSwitches): Proc {
  const p = priv(buf);
  if (p.cleanedUp) return;
  yield revokeBeganOp(k.rt, p.tracker, 'vfio_pci_dma_buf_cleanup');
  yield* dmaResvLock(k, buf.resv);
  buf.hooks.revokeBegins?.(k, buf);
  p.cleanedUp = true;
  yield* sharedWrite(p.revokedObj, 'revoked = true', `${p.bar.name} (vdev gone)`, () => { p.revoked = true; });
  yield* dmaBufInvalidateMappings(k, buf);
  if (isVersion(k, 'landed')) yield* revokeFenceWait(k, buf, sw);
  yield* dmaResvUnlock(k, buf.resv);
  if (isVersion(k, 'landed') && (!p.drained || sw.cleanupDrainsAll)) {
    yield* krefPut(k, p, 'cleanup');
    if (!sw.noUnmapWait) yield* waitUnmaps(k, p, sw);
    p.drained = true;
  }
  yield revokeReturnedOp(p.tracker, 'vfio_pci_dma_buf_cleanup returned');
}

const TRIGGER_LABEL: Record<RevokeTrigger, string> = {
  'mem-disable': 'PCI_COMMAND: MEM cleared', flr: 'PCIe FLR', reset: 'VFIO_DEVICE_RESET', 'hot-reset': 'bus hot reset', d3: 'D3hot entry',
};

/**
 * The switches of `variant` resolved for kernel `version` as the data world's model reads
 * them (frame-vfio-pci.ts): the fence wait's usage and the pin op as this file's
 * revokeFenceWait and pinMode choose them.
 */
export function vfioFrameSwitches(version: KernelVersion, variant: string): VfioFrameSwitches {
  const sw = variantSwitches(VARIANTS, variant);
  const k = { version } as Kernel;
  const usage = sw.noFenceWait ? null : sw.waitUsage ?? (version === 'landed' ? DmaResvUsage.BOOKKEEP : version === 'v3' ? DmaResvUsage.KERNEL : null);
  const pin = pinMode(k, sw);
  return {
    noFenceWait: sw.noFenceWait, waitUsage: usage ?? -1, noUnmapWait: sw.noUnmapWait, timedUnmapWait: sw.timedUnmapWait,
    acceptsNonRevocable: sw.acceptsNonRevocable, noRevokedCheck: sw.noRevokedCheck, unrevokeRace: sw.unrevokeRace,
    cleanupDrainsAll: sw.cleanupDrainsAll, pin: pin === 'none' ? 0 : pin === 'rejects' ? 1 : 2,
  };
}

function create(env: DriverEnv, variant: string): ExporterInstance {
  const { k, rt } = env;
  const sw = variantSwitches(VARIANTS, variant);
  const bar = newRegion(rt, 'BAR0', 'bar');
  const memoryLock = newMutex(rt, 'memory_lock');
  const tracker = newRevokeTracker(rt, 'vfio-buf');
  const p: VfioPriv = {
    revoked: false, revokedObj: rt.newObject('vfio.revoked'), kref: 1, krefObj: rt.newObject('vfio.kref'),
    comp: newCompletion(rt, 'vfio.comp'), drained: false, cleanedUp: false, bar, tracker,
  };
  const buf = dmaBufExport(k, { name: 'vfio-buf', exporter: 'vfio-pci', ops: vfioOps(k, sw), priv: p });
  if (typeof buf === 'number') throw new Error('vfio-pci export failed');
  /** P5: a revoking exporter must not hold a non-revocable attachment. */
  const checkRevocable = (where: string) => (kk: Kernel, b: DmaBuf) => {
    if (!isVersion(kk, 'v3', 'landed')) return;
    for (const a of b.attachments) {
      if (!dmaBufAttachRevocable(kk, a)) kk.rt.report('non-revocable-attach', 'P5', `vfio-pci holds ${a.dev}'s attachment, which cannot be revoked (${where})`);
    }
  };
  buf.hooks.attached = (kk, b) => checkRevocable('attach completed')(kk, b);
  buf.hooks.revokeBegins = checkRevocable('revoke begins');
  rt.atEnd(() => {
    if (isVersion(k, 'landed') && !p.revoked && p.kref !== 1) rt.report('leak', 'P6', `vfio-pci kref of BAR0 dma-buf is ${p.kref} at the end, expected 1`);
  });
  const inst: ExporterInstance = {
    buf, regions: [bar], tracker, fdOpen: true,
    *op(name: ExporterOp, args: { trigger?: RevokeTrigger }): Proc<number> {
      yield* mutexLock(rt, memoryLock);
      switch (name) {
        case 'revoke': {
          /** D-VFIO-8: move(true) returns before the memory goes off (the P1 revoke point). */
          const trigger = args.trigger ?? 'mem-disable';
          yield local(TRIGGER_LABEL[trigger], bar.name);
          yield* moveRevoke(k, buf, sw);
          yield* setRegionState(bar, 'disabled', trigger === 'd3' ? 'D3hot: memory off' : 'memory disabled');
          if (trigger === 'flr' || trigger === 'reset' || trigger === 'hot-reset') {
            /** the reset ends with the memory enabled again: move(false) */
            yield local('device reset done', bar.name);
            yield* setRegionState(bar, 'enabled', 'memory enabled after reset');
            yield* moveUnrevoke(k, buf, sw);
          }
          break;
        }
        case 'unrevoke':
          /** MEM bit set / PM exit: memory enabled, then move(false). */
          if (!p.cleanedUp) {
            yield* setRegionState(bar, 'enabled', 'memory enabled');
            yield* moveUnrevoke(k, buf, sw);
          }
          break;
        case 'close':
          yield* cleanup(k, buf, sw);
          yield* setRegionState(bar, 'disabled', 'device closed');
          yield* mutexUnlock(rt, memoryLock);
          /** the exporter's fd goes away; importers keep their own references */
          yield* sharedWrite(buf.id, 'close dma-buf fd', buf.name, () => { inst.fdOpen = false; });
          yield* dmaBufPut(k, buf);
          return 0;
        default:
          yield* mutexUnlock(rt, memoryLock);
          return -ERRNO.EOPNOTSUPP;
      }
      yield* mutexUnlock(rt, memoryLock);
      return 0;
    },
    /** D-VFIO-5, resv held: the BAR's physical range, -ENODEV while revoked. */
    *privateMap(a: DmaBufAttachment): Proc<MemRegion | number> {
      yield callEntry('vfio_pci_dma_buf_iommufd_map', a.dev);
      if (p.revoked && !sw.noRevokedCheck) return -ERRNO.ENODEV;
      checkNotRevoked(k, p, `iommufd private map for ${a.dev}`);
      return bar;
    },
  };
  return inst;
}

export const vfioPci: ExporterDriver = {
  name: 'vfio-pci',
  role: 'exporter',
  description: 'exporter of a PCI BAR that revokes it on reset, FLR, memory disable, D3 and close',
  source: 'linux: drivers/vfio/pci/vfio_pci_dmabuf.c',
  variants: VARIANTS,
  ops: ['revoke', 'unrevoke', 'close'],
  create,
};
