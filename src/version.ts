import { createRequire } from 'node:module';

// src/version.ts and dist/version.js both sit one folder below package.json.
const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

/** The version of lockstep, recorded in every experiment's metadata. */
export const VERSION: string = pkg.version;
