import { existsSync } from 'node:fs';
import { fromLockPath, type RunLock } from './format.ts';
import { git, gitMaybe } from './git.ts';

/** One key that differs between two locks (a or b undefined when the key is absent on that side). */
export interface DiffRow {
  section: 'config' | 'code' | 'data' | 'env' | 'lineage';
  key: string;
  a: string | undefined;
  b: string | undefined;
}

/** Flattens nested objects to dotted keys with display strings. */
export function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

function compare(section: DiffRow['section'], a: Record<string, string>, b: Record<string, string>): DiffRow[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => a[k] !== b[k]).map((key) => ({ section, key, a: a[key], b: b[key] }));
}

function code(lock: RunLock): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of lock.repos) {
    out[`${r.path} commit`] = r.commit ?? 'none';
    out[`${r.path} tree`] = r.tree;
    out[`${r.path} dirty`] = String(r.dirty);
  }
  return out;
}

function data(lock: RunLock): Record<string, string> {
  return Object.fromEntries(lock.data.map((d) => [d.path, d.hash]));
}

/** What differs between two locks, section by section: config keys, code, data, environment, lineage. */
export function diffLocks(a: RunLock, b: RunLock): DiffRow[] {
  const env = (l: RunLock) => {
    const { packages, ...rest } = l.env;
    return { ...flatten(rest), ...flatten(packages, 'packages') };
  };
  const prevs = (l: RunLock) => Object.fromEntries(l.prevs.map((p) => [p.path, p.id]));
  return [
    ...compare('config', flatten(a.config), flatten(b.config)),
    ...compare('code', code(a), code(b)),
    ...compare('data', data(a), data(b)),
    ...compare('env', env(a), env(b)),
    ...compare('lineage', prevs(a), prevs(b)),
  ];
}

/** A file that differs between the code two locks ran (`git diff --numstat` between their captured commits). */
export interface FileChange {
  repo: string;
  path: string;
  /** Lines added and deleted; null for a binary file. */
  added: number | null;
  deleted: number | null;
}

/**
 * The files that changed between the code of two locks, per repository both
 * record: `git diff` between the commits that hold the code as it ran
 * (captured commits for dirty trees). A commit this clone does not have is
 * reported as unknown instead of guessed.
 */
export async function diffFiles(a: RunLock, b: RunLock): Promise<{ changes: FileChange[]; unknown: string[] }> {
  const changes: FileChange[] = [];
  const unknown: string[] = [];
  for (const ra of a.repos) {
    const rb = b.repos.find((r) => r.path === ra.path);
    if (!rb || ra.tree === rb.tree) continue;
    const from = ra.captured ?? ra.commit;
    const to = rb.captured ?? rb.commit;
    const dir = [fromLockPath(a.root, ra.path), fromLockPath(b.root, rb.path), process.cwd()].find((d) =>
      existsSync(d),
    );
    const have = async (sha: string | null) =>
      sha !== null && dir !== undefined && (await gitMaybe(dir, ['cat-file', '-e', `${sha}^{commit}`])) !== undefined;
    if (!dir || !(await have(from)) || !(await have(to))) {
      unknown.push(ra.path);
      continue;
    }
    const out = await git(dir, ['diff', '--numstat', '--no-renames', from as string, to as string]);
    for (const line of out.split('\n').filter(Boolean)) {
      const [add, del, ...path] = line.split('\t');
      changes.push({
        repo: ra.path,
        path: path.join('\t'),
        added: add === '-' ? null : Number(add),
        deleted: del === '-' ? null : Number(del),
      });
    }
  }
  return { changes, unknown };
}
