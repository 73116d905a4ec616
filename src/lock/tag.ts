import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml, stringify } from 'yaml';
import { LockstepError } from '../errors.ts';
import type { Session } from '../session.ts';
import { fromLockPath, lockToYaml, type RunLock } from './format.ts';
import { BOT, git, gitMaybe, repoRoot } from './git.ts';
import { childLocks } from './records.ts';
import { lineageLocks } from './resolve.ts';

export const TAG_PREFIX = 'refs/lockstep/tags/';

/** Runs git with text on its standard input. */
export function gitInput(cwd: string, args: readonly string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args as string[], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out.trim())
        : reject(new LockstepError('E_RUN', `git ${args.join(' ')} failed in ${cwd}: ${err.trim()}`)),
    );
    child.stdin.end(input);
  });
}

export function checkTagName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..') || name.endsWith('.lock')) {
    throw new LockstepError(
      'E_INPUT',
      `tag name "${name}" must start with a letter or digit and hold only letters, digits, ".", "_" and "-"`,
    );
  }
}

/** What a tag pins. */
export interface TagReport {
  name: string;
  ref: string;
  commit: string;
  repo: string;
  /** The locks under the tag: the runs named and their lineage. */
  locks: RunLock[];
  /** Code commits the tag keeps reachable. */
  code: string[];
  /** What the tag is for (`lockstep tag NAME RUN -m TEXT`). */
  message: string | null;
}

/** The lock's content as the tag stores it: the file itself when it is still there, else the record. */
function lockText(lock: RunLock, file: string | null): string {
  if (file && existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    if ((parseYaml(text) as RunLock | null)?.id === lock.id) return text;
  }
  return lockToYaml(lock);
}

/**
 * Pins runs and their lineage under `refs/lockstep/tags/NAME`: one commit
 * whose tree holds every lock (`<id>.lock`) and whose parents are the code
 * commits they ran, so the tag alone keeps the code reachable and `git push`
 * of the tag carries all of it.
 */
export async function tagRuns(
  name: string,
  refs: readonly string[],
  options: { session?: Session; repo?: string; force?: boolean; message?: string } = {},
): Promise<TagReport> {
  checkTagName(name);
  if (refs.length === 0)
    throw new LockstepError('E_INPUT', 'tag: name at least one run (a run.lock path, its directory or a lock id)');
  const locks = new Map<string, { lock: RunLock; file: string | null }>();
  const named: string[] = [];
  for (const ref of refs) {
    const found = await lineageLocks(ref, options.session);
    const id = [...found.keys()][0] as string;
    named.push(id);
    for (const [k, item] of found) if (!locks.has(k)) locks.set(k, item);
    // a sweep's tag pins its tasks too: pushed, pulled and kept by gc with it
    if (options.session)
      for (const child of await childLocks(options.session.store.driver, id))
        for (const [k, item] of await lineageLocks(child.id, options.session)) if (!locks.has(k)) locks.set(k, item);
  }
  const first = [...locks.values()][0] as { lock: RunLock };
  const repoDir =
    options.repo ?? (first.lock.repos[0] ? fromLockPath(first.lock.root, first.lock.repos[0].path) : process.cwd());
  const repo = await repoRoot(repoDir);
  const ref = TAG_PREFIX + name;
  if (!options.force && (await gitMaybe(repo, ['rev-parse', '--verify', '-q', ref]))) {
    throw new LockstepError('E_CONFLICT', `tag "${name}" exists; choose another name or replace it with --force`);
  }
  const code: string[] = [];
  const entries: string[] = [];
  for (const { lock, file } of locks.values()) {
    for (const r of lock.repos) {
      const sha = r.captured ?? r.commit;
      if (!sha || code.includes(sha)) continue;
      // only commits this repository has can be parents (a lock may name several repositories)
      if (await gitMaybe(repo, ['cat-file', '-e', `${sha}^{commit}`]).then((v) => v !== undefined)) code.push(sha);
    }
    const blob = await gitInput(repo, ['hash-object', '-w', '--stdin'], lockText(lock, file));
    entries.push(`100644 blob ${blob}\t${lock.id}.lock`);
  }
  const message = options.message?.trim() || null;
  const manifest = stringify({
    tag: name,
    message,
    runs: named,
    locks: [...locks.values()].map(({ lock }) => ({ id: lock.id, name: lock.name, dir: lock.dir })),
    code,
  });
  entries.push(`100644 blob ${await gitInput(repo, ['hash-object', '-w', '--stdin'], manifest)}\tTAG.yml`);
  const tree = await gitInput(
    repo,
    ['mktree'],
    `${entries.sort((a, b) => (a.split('\t')[1] as string).localeCompare(b.split('\t')[1] as string)).join('\n')}\n`,
  );
  const commit = await git(
    repo,
    [
      'commit-tree',
      tree,
      ...code.flatMap((c) => ['-p', c]),
      '-m',
      `lockstep tag ${name}: ${locks.size} run lock(s)${message ? `\n\n${message}` : ''}`,
    ],
    BOT,
  );
  await git(repo, ['update-ref', ref, commit]);
  return { name, ref, commit, repo, locks: [...locks.values()].map((l) => l.lock), code, message };
}

/** The locks a tag holds, read from its commit in a repository. */
export async function readTag(
  repo: string,
  name: string,
): Promise<{ commit: string; locks: RunLock[]; code: string[]; message: string | null; runs: string[] }> {
  checkTagName(name);
  const ref = TAG_PREFIX + name;
  const commit = await gitMaybe(repo, ['rev-parse', '--verify', '-q', `${ref}^{commit}`]);
  if (!commit)
    throw new LockstepError('E_NOT_FOUND', `no tag "${name}" in ${repo} (lockstep tag ${name} RUN… creates it)`);
  const files = (await git(repo, ['ls-tree', '--name-only', commit])).split('\n').filter((f) => f.endsWith('.lock'));
  const locks: RunLock[] = [];
  for (const f of files) locks.push(parseYaml(await git(repo, ['show', `${commit}:${f}`])) as RunLock);
  const manifest = parseYaml(await git(repo, ['show', `${commit}:TAG.yml`])) as {
    code?: string[];
    locks?: { id: string }[];
    message?: string | null;
    runs?: string[];
  };
  // the manifest's order: the runs named first, then their lineage
  const order = new Map((manifest.locks ?? []).map((l, i) => [l.id, i]));
  locks.sort((a, b) => (order.get(a.id) ?? 1e9) - (order.get(b.id) ?? 1e9));
  return {
    commit,
    locks,
    code: manifest.code ?? [],
    message: typeof manifest.message === 'string' ? manifest.message : null,
    runs: Array.isArray(manifest.runs) ? manifest.runs.map(String) : [],
  };
}

/** Every lockstep tag of a repository. */
export async function listTags(repo: string): Promise<string[]> {
  const out = await git(repo, ['for-each-ref', '--format=%(refname)', TAG_PREFIX]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((r) => r.slice(TAG_PREFIX.length));
}

/** A tag as `lockstep tag` lists it. */
export interface TagInfo {
  name: string;
  commit: string;
  created: Date;
  /** Locks the tag holds: the runs named and their lineage. */
  locks: number;
  message: string | null;
}

/** Every lockstep tag of a repository with when it was made, how many locks it holds and its message. */
export async function describeTags(repo: string): Promise<TagInfo[]> {
  const out: TagInfo[] = [];
  for (const name of await listTags(repo)) {
    const tag = await readTag(repo, name);
    const when = await git(repo, ['show', '-s', '--format=%cI', tag.commit]);
    out.push({ name, commit: tag.commit, created: new Date(when), locks: tag.locks.length, message: tag.message });
  }
  return out;
}

/**
 * Deletes a tag (its ref only): the code commits and captures it kept
 * reachable become collectable by `lockstep gc` unless another tag or an
 * active run still holds them.
 */
export async function deleteTag(repo: string, name: string): Promise<string> {
  checkTagName(name);
  const ref = TAG_PREFIX + name;
  const commit = await gitMaybe(repo, ['rev-parse', '--verify', '-q', ref]);
  if (!commit) throw new LockstepError('E_NOT_FOUND', `no tag "${name}" in ${repo}`);
  await git(repo, ['update-ref', '-d', ref, commit]);
  return commit;
}
