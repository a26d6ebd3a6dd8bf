// A worker of test/stateful-parallel.test.ts that inserts fingerprints into a shared
// table at the same time as the others and posts back which of its inserts were new.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedFingerprintSet } from '../src/check/visited.ts';

const d = workerData as { table: SharedArrayBuffer; pairs: Int32Array; go: SharedArrayBuffer };
const set = SharedFingerprintSet.attach(d.table);
const go = new Int32Array(d.go);
// start together: each worker announces itself and spins until all have
Atomics.add(go, 0, 1);
while (Atomics.load(go, 0) < Atomics.load(go, 1)) { /* spin */ }
const fresh: number[] = [];
for (let i = 0; i < d.pairs.length; i += 2) if (set.addPair(d.pairs[i]!, d.pairs[i + 1]!)) fresh.push(i >> 1);
parentPort!.postMessage(fresh);
