/**
 * vfio-pci dma-buf exporter of a PCI BAR (rule book §5.1, D-VFIO-*).
 * (linux: drivers/vfio/pci/vfio_pci_dmabuf.c)
 */
import { complete, newCompletion, sharedRead, sharedWrite, waitForCompletion, type Completion } from '../sim/completion.ts';
import { mutexLock, mutexUnlock, newMutex } from '../sim/mutex.ts';
import { local, OpKind, type Proc } from '../sim/op.ts';
import { dmaBufAttachRevocable } from '../kernel/attach.ts';
import { dmaBufExport, type DmaBuf, type DmaBufAttachment, type DmaBufOps, type SgTable } from '../kernel/dma-buf.ts';
import { ERRNO } from '../kernel/errno.ts';
import { MAX_SCHEDULE_TIMEOUT } from '../kernel/fence.ts';
import { isVersion, type Kernel } from '../kernel/kernel.ts';
import { dmaBufInvalidateMappings } from '../kernel/mapping.ts';
import { dmaResvLock, dmaResvUnlock, dmaResvWaitTimeout, DmaResvUsage } from '../kernel/resv.ts';
import { newRevokeTracker, revokeBeganOp, revokeFencedOp, revokeReturnedOp, type RevokeTracker } from '../hw/oracle.ts';
import { newRegion, setRegionState, type MemRegion } from '../hw/region.ts';
import type { DriverEnv, ExporterDriver, ExporterInstance, ExporterOp, RevokeTrigger } from './types.ts';

/** Variant switches, each a historical behaviour overlaid on the selected version. */
interface VfioSwitches {
  /** seed: Christian König 2026-01-19 12:12: the v2 revoke returns without waiting */
  noWait: boolean;
}

const SWITCHES: Record<string, VfioSwitches> = {
  correct: { noWait: false },
  'v2-no-wait': { noWait: true },
};

interface VfioPriv {
  revoked: boolean;
  /** `revoked` is read without the resv by attach (D-VFIO-2), so its writes are steps */
  readonly revokedObj: number;
  /** `[landed]` 1 + live maps */
  kref: number;
  readonly krefObj: number;
  readonly comp: Completion;
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

function vfioOps(sw: VfioSwitches): DmaBufOps {
  return {
    /** D-VFIO-2, resv free: p2p required, refused while revoked, R45 at attach. */
    *attach(k: Kernel, buf: DmaBuf, a: DmaBufAttachment): Proc<number> {
      yield local('vfio_pci_dma_buf_attach', a.dev);
      if (!a.peer2peer) return -ERRNO.EOPNOTSUPP;
      const p = priv(buf);
      const revoked = yield* sharedRead(p.revokedObj, 'read revoked', p.bar.name, () => p.revoked);
      if (revoked) return -ERRNO.ENODEV;
      if (isVersion(k, 'v3', 'landed') && !dmaBufAttachRevocable(k, a)) return -ERRNO.EOPNOTSUPP;
      return 0;
    },
    /** D-VFIO-3, resv held: -ENODEV while revoked; `[landed]` kref += 1. */
    *mapDmaBuf(k: Kernel, a: DmaBufAttachment, dir): Proc<SgTable | number> {
      const p = priv(a.dmabuf);
      if (p.revoked) return -ERRNO.ENODEV;
      if (isVersion(k, 'landed')) {
        yield {
          kind: OpKind.Write, obj: p.krefObj, write: true, label: 'kref_get', detail: `${p.bar.name} dma-buf`,
          apply: () => {
            if (p.kref === 0) k.rt.report('api-misuse', 'P7', `vfio-pci kref of ${p.bar.name} dma-buf incremented from zero`);
            p.kref++;
          },
        };
      }
      const id = k.rt.newObject(`sgt-${a.dev}`);
      return { id, name: `${a.dev}-sgt${id}`, attachment: a, dir, region: p.bar, epoch: p.bar.epoch, createdAt: k.rt.events.length, readyAfter: [], live: true };
    },
    /** D-VFIO-4, resv held: `[landed]` kref -= 1, completing at 0. */
    *unmapDmaBuf(k: Kernel, a: DmaBufAttachment): Proc {
      if (isVersion(k, 'landed')) yield* krefPut(k, priv(a.dmabuf), `unmap by ${a.dev}`);
    },
    *release(): Proc {
      yield local('vfio_pci_dma_buf_release');
    },
  };
}

/**
 * D-VFIO-6 move(true): lock resv, set revoked, invalidate; `[landed]` wait BOOKKEEP, unlock,
 * drop the initial kref and wait for every unmap (RV6). Caller holds memory_lock.
 */
function* moveRevoke(k: Kernel, buf: DmaBuf, sw: VfioSwitches): Proc {
  const p = priv(buf);
  if (p.revoked) return;
  yield revokeBeganOp(k.rt, p.tracker, 'vfio_pci_dma_buf_move(revoked=true)');
  yield* dmaResvLock(k, buf.resv);
  if (buf.hooks.revokeBegins) buf.hooks.revokeBegins(k, buf);
  yield* sharedWrite(p.revokedObj, 'revoked = true', p.bar.name, () => { p.revoked = true; });
  yield* dmaBufInvalidateMappings(k, buf);
  const landed = isVersion(k, 'landed');
  if (landed && !sw.noWait) {
    yield* dmaResvWaitTimeout(k, buf.resv, DmaResvUsage.BOOKKEEP, MAX_SCHEDULE_TIMEOUT);
    yield revokeFencedOp(p.tracker);
  } else if (isVersion(k, 'v3') && !sw.noWait) {
    yield* dmaResvWaitTimeout(k, buf.resv, DmaResvUsage.KERNEL, MAX_SCHEDULE_TIMEOUT);
  }
  yield* dmaResvUnlock(k, buf.resv);
  if (landed) {
    yield* krefPut(k, p, 'revoke');
    if (!sw.noWait) yield* waitForCompletion(p.comp);
  }
  yield revokeReturnedOp(p.tracker, 'vfio_pci_dma_buf_move returned');
}

function create(env: DriverEnv, variant: string): ExporterInstance {
  const { k, rt } = env;
  const sw = SWITCHES[variant]!;
  const bar = newRegion(rt, 'BAR0', 'bar');
  const memoryLock = newMutex(rt, 'memory_lock');
  const tracker = newRevokeTracker(rt, 'vfio-buf');
  const p: VfioPriv = {
    revoked: false, revokedObj: rt.newObject('vfio.revoked'), kref: 1, krefObj: rt.newObject('vfio.kref'),
    comp: newCompletion(rt, 'vfio.comp'), bar, tracker,
  };
  const buf = dmaBufExport(k, { name: 'vfio-buf', exporter: 'vfio-pci', ops: vfioOps(sw), priv: p });
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
      if (name !== 'revoke') return -ERRNO.EOPNOTSUPP;
      const trigger = args.trigger ?? 'mem-disable';
      if (trigger !== 'mem-disable') return -ERRNO.EOPNOTSUPP;
      /** D-VFIO-8: clearing the MEM bit: move(true) under memory_lock, then the BAR is off. */
      yield* mutexLock(rt, memoryLock);
      yield* moveRevoke(k, buf, sw);
      yield* setRegionState(bar, 'disabled', 'memory disabled');
      yield* mutexUnlock(rt, memoryLock);
      return 0;
    },
  };
  return inst;
}

export const vfioPci: ExporterDriver = {
  name: 'vfio-pci',
  role: 'exporter',
  description: 'exporter of a PCI BAR that revokes it on reset, FLR, memory disable and close',
  source: 'linux: drivers/vfio/pci/vfio_pci_dmabuf.c',
  variants: [
    { name: 'correct', description: 'the landed exporter: BOOKKEEP fence wait and unmap wait before the BAR goes off' },
    { name: 'v2-no-wait', description: 'revoke returns without waiting for the importers\' fences or unmaps (seed: Christian König 2026-01-19 12:12)' },
  ],
  ops: ['revoke'],
  create,
};
