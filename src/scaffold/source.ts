import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LockstepError } from '../errors.ts';
import { VERSION } from '../version.ts';
import type { PackageManager } from './options.ts';

/** lockstep's own package directory: src/scaffold/ and dist/scaffold/ both sit two folders below it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where the lockstep a new project depends on comes from:
 * - `registry`: lockstep was installed from a package registry, so the project asks for `^VERSION`;
 * - `checkout`: lockstep runs from a git checkout (no registry serves it): the project depends by path on
 *   the checkout's package directory (`pkg/`), which links the checkout's built files and dependencies;
 * - `tarball`: lockstep was installed from a packed tarball (`npm run pack`): the project depends on that file.
 */
export type SourceKind = 'registry' | 'checkout' | 'tarball';

export interface LockstepSource {
  kind: SourceKind;
  /** The absolute path the spec points at (the package directory or the tarball); none for the registry. */
  path?: string;
}

/** The directory, inside a checkout, that a generated project links to (git-ignored, made by `lockstep init`). */
export const CHECKOUT_PACKAGE_DIR = 'pkg';

interface Manifest {
  name?: string;
  version?: string;
  private?: boolean;
  files?: string[];
  [key: string]: unknown;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Manifest;

/**
 * A checkout's package.json is the development manifest: `private`, with scripts and development
 * dependencies, and without a `bin` (so that `npx lockstep` inside the checkout runs the command that
 * `npm ci` linked instead of installing the checkout into npx's cache, see docs/architecture.md).
 * This is the manifest lockstep is installed with: the same package, plus the `lockstep` command,
 * minus what only building it needs.
 */
export function publishedManifest(dev: Manifest): Manifest {
  const {
    private: _private,
    scripts: _scripts,
    devDependencies: _dev,
    allowScripts: _allow,
    bin: _bin,
    ...kept
  } = dev as Manifest & Record<string, unknown>;
  const out: Manifest = {};
  for (const [key, value] of Object.entries(kept)) {
    out[key] = value;
    if (key === 'engines') out.bin = { lockstep: './bin/lockstep.js' };
  }
  out.bin ??= { lockstep: './bin/lockstep.js' };
  return out;
}

/** True when `root` is a lockstep checkout (its sources and its development manifest), not an installed copy. */
export function isCheckout(root: string = PACKAGE_ROOT): boolean {
  return existsSync(join(root, 'src', 'index.ts')) && readJson(join(root, 'package.json')).private === true;
}

/** Where the running lockstep comes from (see {@link SourceKind}). */
export function lockstepSource(root: string = PACKAGE_ROOT): LockstepSource {
  if (isCheckout(root)) return { kind: 'checkout', path: join(root, CHECKOUT_PACKAGE_DIR) };
  const tarball = installedFromFile(root);
  return tarball ? { kind: 'tarball', path: tarball } : { kind: 'registry' };
}

/**
 * An installed package's origin, from npm's hidden lockfile (`node_modules/.package-lock.json`, written by
 * npm 7 and later for project and global installs alike): the tarball it was installed from when that is
 * a file, else undefined (a registry, or a package manager that leaves no such record).
 */
export function installedFromFile(root: string): string | undefined {
  const modules = dirname(resolve(root));
  if (basename(modules) !== 'node_modules' || basename(root) !== 'lockstep') return undefined;
  const hidden = join(modules, '.package-lock.json');
  if (!existsSync(hidden)) return undefined;
  let entry: { resolved?: unknown } | undefined;
  try {
    const lock = JSON.parse(readFileSync(hidden, 'utf8')) as { packages?: Record<string, { resolved?: unknown }> };
    entry = lock.packages?.['node_modules/lockstep'];
  } catch {
    return undefined;
  }
  const resolved = typeof entry?.resolved === 'string' ? entry.resolved : '';
  if (!resolved.startsWith('file:') || !/\.(tgz|tar\.gz|tar)$/.test(resolved)) return undefined;
  return resolve(dirname(modules), resolved.slice('file:'.length));
}

/**
 * The dependency spec for lockstep in a project at `target`: `^VERSION` from a registry, else a
 * relative path (`file:` for npm, `link:` for pnpm, which leaves the linked package's dependencies
 * alone) to the checkout's package directory or the tarball lockstep was installed from.
 */
export function lockstepSpec(target: string, pm: PackageManager, source: LockstepSource = lockstepSource()): string {
  if (source.kind === 'registry' || source.path === undefined) return `^${VERSION}`;
  let rel = relative(resolve(target), source.path).split(sep).join('/');
  if (!rel.startsWith('.') && !rel.startsWith('/')) rel = `./${rel}`;
  const protocol = source.kind === 'checkout' && pm === 'pnpm' ? 'link' : 'file';
  return `${protocol}:${rel}`;
}

/**
 * Makes (or refreshes) a checkout's package directory: the published manifest and links to the files a
 * package holds (`files` of package.json) and to the checkout's node_modules. A project that depends on
 * it by path installs nothing of lockstep's: no build (the manifest has no `prepare`), no dependency
 * (they resolve from the checkout's node_modules), so it installs offline. Needs a built checkout.
 */
export function ensureCheckoutPackage(root: string = PACKAGE_ROOT): string {
  const dev = readJson(join(root, 'package.json'));
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    throw new LockstepError(
      'E_UNAVAILABLE',
      `the lockstep checkout at ${root} is not built (no dist/index.js): run "npm ci" or "npm run build" there first`,
    );
  }
  const dir = join(root, CHECKOUT_PACKAGE_DIR);
  mkdirSync(dir, { recursive: true });
  const manifest = `${JSON.stringify(publishedManifest(dev), null, 2)}\n`;
  const manifestPath = join(dir, 'package.json');
  if (!existsSync(manifestPath) || readFileSync(manifestPath, 'utf8') !== manifest)
    writeFileSync(manifestPath, manifest);
  for (const name of [...(dev.files ?? []), 'node_modules']) link(join(root, name), join(dir, name));
  return dir;
}

/** A relative symlink at `path` to `target`, replacing whatever was there. */
function link(target: string, path: string): void {
  if (!existsSync(target)) return;
  const rel = relative(dirname(path), target);
  const there = lstatSync(path, { throwIfNoEntry: false });
  if (there?.isSymbolicLink() && readlinkSync(path) === rel) return;
  if (there) rmSync(path, { recursive: true, force: true });
  try {
    symlinkSync(rel, path);
  } catch (e) {
    // another init made the same link at the same moment
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || readlinkSync(path) !== rel) throw e;
  }
}
