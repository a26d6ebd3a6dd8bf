// Builds the CLI as one CommonJS bundle so that `dmabuf-lab` starts fast (no TS loader at
// run time; ECOSYSTEM.md: an ESM bundle trips over commander's require of node:events).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Module from 'node:module';
import vm from 'node:vm';
import { build } from 'esbuild';
await build({
  // the worker of `check --workers` is a second bundle next to the CLI (src/cli/pool.ts)
  entryPoints: { cli: 'src/cli/main.ts', worker: 'src/cli/worker.ts' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: 'const importMetaUrl = require("url").pathToFileURL(__filename).href;' },
});

// The V8 code cache of the CLI bundle, which bin/dmabuf-lab.cjs hands to vm.Script: the
// same wrapper and file name, so that V8 accepts it.
const file = fileURLToPath(new URL('../dist/cli.cjs', import.meta.url));
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file });
writeFileSync(`${file}.cache`, script.createCachedData());
