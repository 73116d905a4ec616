// `npm run pack [-- DIR]`: lockstep as it is installed, as a tarball in DIR
// (default: the current directory). The checkout's package.json is the
// development manifest (private, no bin: see src/scaffold/source.ts); the
// tarball holds the published manifest and the files it lists, from a
// staging copy, so the checkout is left as it was. Needs a built checkout.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publishedManifest } from '../src/scaffold/source.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dest = resolve(process.argv[2] ?? '.');
const dev = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (!existsSync(join(root, 'dist', 'index.js')) || !existsSync(join(root, 'dist', 'ui', 'index.html'))) {
  console.error('lockstep is not built here (dist/ or dist/ui/ is missing): run "npm run build" first');
  process.exit(1);
}
mkdirSync(dest, { recursive: true });
const stage = mkdtempSync(join(tmpdir(), 'lockstep-pack-'));
try {
  for (const name of dev.files as string[]) {
    const from = join(root, name);
    if (existsSync(from))
      cpSync(from, join(stage, name), { recursive: true, filter: (src) => !src.endsWith('/dist/.build') });
  }
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(publishedManifest(dev), null, 2)}\n`);
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dest], { cwd: stage, encoding: 'utf8' });
  const [packed] = JSON.parse(out) as { filename: string }[];
  console.log(join(dest, packed?.filename ?? ''));
} finally {
  rmSync(stage, { recursive: true, force: true });
}
