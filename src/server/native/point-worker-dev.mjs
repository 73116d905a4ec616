// The writer thread's entry when lockstep runs from its TypeScript sources and the worker could not be
// compiled once by the parent (see ../../exec/pool/compile.ts): Node 20 cannot load a .ts file in a worker
// thread, so this loads it through tsx. The built package uses dist/server/native/point-worker.js.
import { register } from 'tsx/esm/api';

const KEY = Symbol.for('lockstep.tsx');
globalThis[KEY] ??= register({ namespace: 'lockstep' });
await globalThis[KEY].import('./point-worker.ts', import.meta.url);
