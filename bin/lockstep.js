#!/usr/bin/env node
// An installed package runs the compiled CLI. A checkout (where src/ exists)
// runs the sources through tsx, so that a stale dist/ never shadows them.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
