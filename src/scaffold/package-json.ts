import { createRequire } from 'node:module';
import type { InitChoices } from './options.ts';

interface OwnPackage {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

// The generated project takes its tool versions from lockstep's own
// package.json: they are the versions lockstep is tested with on Node 20, and
// an install then finds them in the npm cache that installed lockstep.
const own = createRequire(import.meta.url)('../../package.json') as OwnPackage;

function versionOf(name: string, fallback: string): string {
  return own.dependencies[name] ?? own.devDependencies[name] ?? fallback;
}

/** vitest 4 is the last major that supports Node 20 (see DEPENDENCIES). */
const VITEST = '^4.1.0';

/** The remote folder that mirrors `data/` ("s3:bucket/p" → "s3:bucket/p/data", "gdrive:" → "gdrive:data"). */
export function remoteDataPath(remote: string): string {
  return /[:/]$/.test(remote) ? `${remote}data` : `${remote}/data`;
}

export function packageScripts(c: InitChoices): Record<string, string> {
  const noRemote =
    'node -e "console.error(\'No data remote is configured: set an rclone remote in the data:pull and data:push scripts of package.json (see the README).\'); process.exit(1)"';
  const remote = c.dataRemote === null ? null : remoteDataPath(c.dataRemote);
  return {
    data: 'tsx src/dataset.ts',
    features: 'tsx src/features.ts',
    train: 'tsx src/modeling/train.ts',
    predict: 'tsx src/modeling/predict.ts',
    plots: 'tsx src/plots.ts',
    test: c.testRunner === 'vitest' ? 'vitest run' : 'node --import tsx --test test/*.test.ts',
    lint: c.linter === 'biome' ? 'biome check . && tsc --noEmit' : 'tsc --noEmit',
    ...(c.linter === 'biome' ? { format: 'biome check --write .' } : {}),
    typecheck: 'tsc --noEmit',
    // copy, not sync: neither direction ever deletes files on the other side
    'data:pull': remote ? `rclone copy ${remote} data --exclude .gitkeep` : noRemote,
    'data:push': remote ? `rclone copy data ${remote} --exclude .gitkeep` : noRemote,
  };
}

/** The generated package.json, as text. */
export function packageJson(c: InitChoices): string {
  const devDependencies: Record<string, string> = {
    '@types/node': versionOf('@types/node', '^20.0.0'),
    tsx: versionOf('tsx', '^4.0.0'),
    typescript: versionOf('typescript', '^5.9.0'),
  };
  if (c.linter === 'biome') devDependencies['@biomejs/biome'] = versionOf('@biomejs/biome', '^2.0.0');
  if (c.testRunner === 'vitest') devDependencies.vitest = VITEST;

  // better-sqlite3 (lockstep's SQLite driver) and esbuild (tsx's) run install
  // scripts, which npm 11 and pnpm 10 only run for packages listed here.
  const builds = ['better-sqlite3', 'esbuild'];
  const pkg = {
    name: c.packageName,
    version: '0.1.0',
    private: true,
    description: c.description,
    ...(c.author ? { author: c.author } : {}),
    license: c.license === 'none' ? 'UNLICENSED' : c.license,
    type: 'module',
    engines: { node: '>=20' },
    scripts: packageScripts(c),
    dependencies: { lockstep: c.lockstepSpec, zod: versionOf('zod', '^4.0.0') },
    devDependencies: sortKeys(devDependencies),
    ...(c.packageManager === 'pnpm'
      ? { pnpm: { onlyBuiltDependencies: builds } }
      : { allowScripts: Object.fromEntries(builds.map((b) => [b, true])) }),
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
