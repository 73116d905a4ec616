import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StepRef } from '../types.ts';

/**
 * TypeScript for workers, compiled once in the parent. Node 20 runs no
 * TypeScript by itself, and loading tsx in each worker (a loader thread, its
 * hooks, esbuild) costs about half a second per worker: more than a sweep of
 * short runs gains from a second core. Instead the parent bundles each
 * TypeScript module once with esbuild (the one tsx brings) into a plain
 * JavaScript file that workers import as it is. Packages stay imports (the
 * file is written under the nearest `node_modules/.cache/lockstep`, so they
 * resolve as from the source), and `import.meta.url`, `.dirname` and
 * `.filename` keep the values of the module they appear in. Anything that
 * cannot be compiled this way falls back to tsx in the workers.
 */

const TS = /\.(ts|mts)$/;
const built = new Map<string, Promise<string | null>>();

/** The step references, with TypeScript modules replaced by their compiled JavaScript where possible. */
export async function compiledRefs(refs: readonly StepRef[]): Promise<StepRef[]> {
  return Promise.all(
    refs.map(async (r) => {
      if (!TS.test(new URL(r.module).pathname)) return r;
      const js = await compile(r.module);
      return js ? { ...r, module: js } : r;
    }),
  );
}

/** lockstep's own worker when it runs from its sources (a checkout), compiled the same way; null otherwise. */
export async function compiledWorker(workerTs: URL): Promise<string | null> {
  return TS.test(workerTs.pathname) ? compile(workerTs.href) : null;
}

function compile(moduleUrl: string): Promise<string | null> {
  const path = fileURLToPath(moduleUrl);
  // rebuilt when the entry file changes (a REPL session editing its steps); imports are bundled each build
  const key = `${moduleUrl}\u0000${mtimeOf(path)}`;
  let p = built.get(key);
  if (!p) {
    p = bundle(path).catch(() => null);
    built.set(key, p);
  }
  return p;
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

async function bundle(entry: string): Promise<string | null> {
  const cache = cacheDir(dirname(entry));
  if (!cache) return null;
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'silent',
    plugins: [
      {
        name: 'lockstep-import-meta',
        setup(b) {
          b.onLoad({ filter: /\.(m?[jt]s|[jt]sx)$/ }, (args) => {
            const text = readFileSync(args.path, 'utf8');
            const url = pathToFileURL(args.path).href;
            const contents = text
              .replaceAll('import.meta.url', JSON.stringify(url))
              .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
              .replaceAll('import.meta.filename', JSON.stringify(args.path));
            const ext = args.path.slice(args.path.lastIndexOf('.') + 1);
            const loader = ext === 'mts' || ext === 'ts' ? 'ts' : ext === 'tsx' ? 'tsx' : ext === 'jsx' ? 'jsx' : 'js';
            return { contents, loader };
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0]?.text;
  if (!code) return null;
  const file = join(cache, `${createHash('sha256').update(entry).update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) writeFileSync(file, code);
  return pathToFileURL(file).href;
}

/** `node_modules/.cache/lockstep` of the nearest `node_modules` above `dir` (packages resolve from there as from `dir`). */
function cacheDir(dir: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    const nm = join(d, 'node_modules');
    if (existsSync(nm)) {
      const out = join(nm, '.cache', 'lockstep', 'steps');
      try {
        mkdirSync(out, { recursive: true });
        return out;
      } catch {
        return null;
      }
    }
    if (dirname(d) === d) return null;
  }
}
