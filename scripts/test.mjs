// Runs the test suite with node's test runner (TypeScript through tsx) and ends
// with the plain summary line CI reads: "N passed, N failed".
// Usage: node scripts/test.mjs [files or folders...]   (default: test/)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) collect(join(path, name), out);
  } else if (/\.test\.(ts|mts|js|mjs)$/.test(path)) {
    out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const files = (args.length ? args : ['test']).flatMap((p) => collect(p, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, FORCE_COLOR: '0' },
});
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4000);
});
child.on('close', (code) => {
  const pass = Number(/ℹ pass (\d+)/.exec(tail)?.[1] ?? 0);
  const fail = Number(/ℹ fail (\d+)/.exec(tail)?.[1] ?? 0);
  const skipped = Number(/ℹ skipped (\d+)/.exec(tail)?.[1] ?? 0);
  console.log(`\n${pass} passed, ${fail} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code ?? 1);
});
