// Written by `npm run build` before it compiles: bin/lockstep.js runs dist/ in
// a checkout only when no file under src/ changed after this stamp.
import { mkdirSync, writeFileSync } from 'node:fs';

mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
writeFileSync(new URL('../dist/.build', import.meta.url), `${new Date().toISOString()}\n`);
