/** Every driver model, by name (`dmabuf-lab list drivers`). */
import { gpuDynamic } from './gpu-dynamic.ts';
import type { ExporterDriver, ImporterDriver } from './types.ts';
import { vfioPci } from './vfio-pci.ts';

export const EXPORTERS: readonly ExporterDriver[] = [vfioPci];
export const IMPORTERS: readonly ImporterDriver[] = [gpuDynamic];

export function findExporter(name: string): ExporterDriver | undefined {
  return EXPORTERS.find((d) => d.name === name);
}

export function findImporter(name: string): ImporterDriver | undefined {
  return IMPORTERS.find((d) => d.name === name);
}
