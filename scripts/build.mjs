// Builds the CLI as one CommonJS bundle so that `dmabuf-lab` starts fast (no TS loader at
// run time; ECOSYSTEM.md: an ESM bundle trips over commander's require of node:events).
import { build } from 'esbuild';
await build({
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: 'dist/cli.cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: 'const importMetaUrl = require("url").pathToFileURL(__filename).href;' },
});
