/** Every driver model, by name (`dmabuf-lab list drivers`). */
import { gpu } from './gpu.ts';
import { gpuDynamic } from './gpu-dynamic.ts';
import { iommufd } from './iommufd.ts';
import { rdmaOdp } from './rdma-odp.ts';
import { rdmaPinned } from './rdma-pinned.ts';
import { staticImporter } from './static.ts';
import type { ExporterDriver, ImporterDriver } from './types.ts';
import { vfioPci } from './vfio-pci.ts';

export const EXPORTERS: readonly ExporterDriver[] = [vfioPci, gpu];
export const IMPORTERS: readonly ImporterDriver[] = [gpuDynamic, iommufd, rdmaPinned, rdmaOdp, staticImporter];

export function findExporter(name: string): ExporterDriver | undefined {
  return EXPORTERS.find((d) => d.name === name);
}

export function findImporter(name: string): ImporterDriver | undefined {
  return IMPORTERS.find((d) => d.name === name);
}
