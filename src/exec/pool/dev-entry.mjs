// Worker entry when lockstep runs from its TypeScript sources (tests, benchmarks, a checkout without a build).
// Node 20 cannot load a .ts file in a worker thread, even with --import tsx, so this small JS file loads the
// real worker through tsx's namespaced loader (shared with the user's step modules, see ../tsLoader.ts).
// The built package uses dist/exec/pool/worker.js directly.
import { register } from 'tsx/esm/api';

const KEY = Symbol.for('lockstep.tsx');
globalThis[KEY] ??= register({ namespace: 'lockstep' });
const worker = await globalThis[KEY].import('./worker.ts', import.meta.url);
export default worker.default;
