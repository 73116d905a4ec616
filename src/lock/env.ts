import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { xxh3 } from '@node-rs/xxhash';
import { formatHash } from './hash.ts';

/** The environment a run lock records. */
export interface EnvState {
  node: string;
  os: string;
  arch: string;
  cpu: string;
  cpus: number;
  memoryGiB: number;
  /** The project's lockfile, relative to its package.json, and its hash. */
  lockfile: { path: string; hash: string } | null;
  /** Installed versions of the project's direct dependencies (null when not installed). */
  packages: Record<string, string | null>;
}

const LOCKFILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb', 'npm-shrinkwrap.json'];

/** The nearest directory at or above `from` holding a package.json. */
export function projectRoot(from: string): string | null {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Node, OS, CPU, the lockfile's hash and the direct dependencies' installed versions. */
export function captureEnv(from: string = process.cwd()): EnvState {
  const cpuList = cpus();
  const env: EnvState = {
    node: process.version,
    os: `${platform()} ${release()}`,
    arch: arch(),
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cpus: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    lockfile: null,
    packages: {},
  };
  const root = projectRoot(from);
  if (!root) return env;
  const lockfile = LOCKFILES.find((f) => existsSync(join(root, f)));
  if (lockfile) env.lockfile = { path: lockfile, hash: formatHash(xxh3.xxh64(readFileSync(join(root, lockfile)))) };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].sort();
  for (const name of names) env.packages[name] = installedVersion(root, name);
  return env;
}

function installedVersion(root: string, name: string): string | null {
  try {
    const p = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return p.version ?? null;
  } catch {
    return null;
  }
}
