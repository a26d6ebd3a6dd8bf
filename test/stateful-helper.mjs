// The helper script of test/stateful-helpers.test.ts: on Node 20 a worker does not take
// the parent's `--import tsx` for its entry module, so this plain entry registers tsx and
// then runs the CLI's worker (which serves a stateful helper when posted a port).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/worker.ts');
