#!/usr/bin/env node
// An installed package runs the compiled CLI. A checkout (where src/ exists)
// runs the compiled CLI too when `npm run build` started after the last change
// to any file under src/ (dist/.build records when it started), and the
// sources through tsx otherwise, so a stale dist/ never shadows them.
import { existsSync, readdirSync, statSync } from 'node:fs';

const source = new URL('../src/', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);

/** The newest modification time of a file under `dir`, or Infinity as soon as one passes `limit`. */
function newest(dir, limit) {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    const m = entry.isDirectory() ? newest(path, limit) : statSync(path).mtimeMs;
    if (m > limit) return Number.POSITIVE_INFINITY;
    if (m > max) max = m;
  }
  return max;
}

function compiledIsCurrent() {
  const stamp = new URL('../dist/.build', import.meta.url);
  if (!existsSync(stamp) || !existsSync(compiled)) return false;
  const built = statSync(stamp).mtimeMs;
  return newest(source, built) <= built;
}

if (existsSync(source) && !compiledIsCurrent()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('cli/main.ts', source).href);
} else {
  await import(compiled.href);
}
