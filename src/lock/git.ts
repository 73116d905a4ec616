import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, realpathSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { LockstepError } from '../errors.ts';

const run = promisify(execFile);

/** Runs git in a directory and returns its trimmed standard output. */
export async function git(cwd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run('git', args as string[], {
      cwd,
      env: env ? { ...process.env, ...env } : process.env,
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (e) {
    const err = e as Error & { stderr?: string; code?: string | number };
    if (err.code === 'ENOENT') throw new LockstepError('E_UNAVAILABLE', 'git is not installed (or not on PATH)');
    throw new LockstepError('E_RUN', `git ${args.join(' ')} failed in ${cwd}: ${(err.stderr ?? err.message).trim()}`, {
      cause: e,
    });
  }
}

/** git, or undefined when it fails (a missing ref, no HEAD yet). */
export async function gitMaybe(cwd: string, args: readonly string[]): Promise<string | undefined> {
  return git(cwd, args).catch(() => undefined);
}

/** The state of one repository as a run lock records it. */
export interface RepoState {
  /** The repository's top-level directory. */
  path: string;
  /** HEAD's commit (null in a repository without commits). */
  commit: string | null;
  /** The tree of the code as it was run (the working tree, when dirty). */
  tree: string;
  dirty: boolean;
  branch: string | null;
  /** The commit holding the code as it was run: HEAD when clean, a captured commit when dirty. */
  captured: string | null;
  /** The private ref that keeps a captured commit alive. */
  ref: string | null;
  remote: string | null;
}

export async function repoRoot(dir: string): Promise<string> {
  if (!existsSync(dir)) throw new LockstepError('E_INPUT', `repository path ${dir} does not exist`);
  const top = await gitMaybe(dir, ['rev-parse', '--show-toplevel']);
  if (!top) throw new LockstepError('E_INPUT', `${resolve(dir)} is not inside a git repository`);
  return top;
}

/**
 * Records a repository. A dirty tree (changes or untracked, not ignored files)
 * is captured as a commit on `refs/lockstep/runs/<id>`, built through a
 * temporary index so the user's branch, index, stash and files stay as they
 * were. Paths in `exclude` (data, outputs) are kept out of the capture.
 */
export async function captureRepo(dir: string, id: string, exclude: readonly string[] = []): Promise<RepoState> {
  const root = await repoRoot(dir);
  const specs = await excludeSpecs(root, exclude);
  // Independent questions, asked at once: each git process costs a fork and exec.
  const [commit, branch, remote, status] = await Promise.all([
    gitMaybe(root, ['rev-parse', '--verify', '-q', 'HEAD']).then((v) => v ?? null),
    gitMaybe(root, ['symbolic-ref', '--short', '-q', 'HEAD']).then((v) => v ?? null),
    gitMaybe(root, ['config', '--get', 'remote.origin.url']).then((v) => v ?? null),
    git(root, ['--no-optional-locks', 'status', '--porcelain', '--untracked-files=all', '--', ':/', ...specs]),
  ]);
  const dirty = status !== '' || commit === null;
  if (!dirty && commit) {
    const tree = await git(root, ['rev-parse', `${commit}^{tree}`]);
    return { path: root, commit, tree, dirty: false, branch, captured: commit, ref: null, remote };
  }
  const tree = await currentTree(root, exclude, specs);
  const msg = `lockstep: code of run ${id}${branch ? ` (on ${branch})` : ''}`;
  const captured = await git(root, ['commit-tree', tree, ...(commit ? ['-p', commit] : []), '-m', msg], BOT);
  const ref = `refs/lockstep/runs/${id}`;
  await git(root, ['update-ref', ref, captured]);
  return { path: root, commit, tree, dirty: true, branch, captured, ref, remote };
}

/** The identity of commits lockstep makes itself (captures, tags): the user's config is not needed. */
export const BOT = {
  GIT_AUTHOR_NAME: 'lockstep',
  GIT_AUTHOR_EMAIL: 'lockstep@localhost',
  GIT_COMMITTER_NAME: 'lockstep',
  GIT_COMMITTER_EMAIL: 'lockstep@localhost',
};

/**
 * The tree the working directory would commit to now, built in a temporary
 * index (a copy of the real one, which keeps git's stat cache and makes adding
 * cheap): the user's index is never written.
 */
export async function currentTree(
  root: string,
  exclude: readonly string[] = [],
  specs?: readonly string[],
): Promise<string> {
  const tmp = mkdtempSync(join(tmpdir(), 'lockstep-index-'));
  const index = join(tmp, 'index');
  try {
    const realIndex = resolve(root, await git(root, ['rev-parse', '--git-path', 'index']));
    if (existsSync(realIndex)) {
      copyFileSync(realIndex, index);
      // git trusts index entries older than the index file itself ("racy git"): the copy must keep the real mtime.
      const s = statSync(realIndex);
      utimesSync(index, s.atime, s.mtime);
    }
    const env = { GIT_INDEX_FILE: index };
    await git(root, ['add', '-A', '--', ':/', ...(specs ?? (await excludeSpecs(root, exclude)))], env);
    return await git(root, ['write-tree'], env);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Pathspecs keeping data and output paths inside the repository out of a
 * capture. Paths git ignores anyway are left out: naming an ignored path makes
 * `git add` fail.
 */
async function excludeSpecs(root: string, exclude: readonly string[]): Promise<string[]> {
  const rels = exclude
    .map((p) => relative(root, existsSync(p) ? realpathSync(p) : resolve(p)))
    .filter((r) => r !== '' && !r.startsWith('..'))
    .map((r) => r.split('\\').join('/'));
  if (rels.length === 0) return [];
  // check-ignore prints the ignored ones among all paths in one call (and exits 1 when there are none).
  const ignored = new Set(
    (
      await run('git', ['check-ignore', '--', ...rels], { cwd: root }).then(
        (r) => r.stdout,
        (e: { stdout?: string }) => e.stdout ?? '',
      )
    )
      .split('\n')
      .filter(Boolean),
  );
  const kept = rels.filter((r) => !ignored.has(r)).map((r) => `:(exclude,top)${r}`);
  return kept;
}

/** Whether a repository's working tree is as committed, and how far its branch is behind its upstream. */
export interface TreeState {
  root: string;
  /** Changed, staged, deleted or untracked (not ignored) files, outputs and data left out. */
  changes: string[];
  branch: string | null;
  upstream: string | null;
  /** Commits the upstream has that HEAD lacks, as of the last fetch (null without an upstream). */
  behind: number | null;
}

/**
 * The state `--require-clean` checks: uncommitted changes (the paths in
 * `exclude`, such as outputs and data, do not count, as in a capture) and
 * commits of the upstream branch not yet merged, from the last fetch (no
 * network). Undefined outside a git repository.
 */
export async function treeState(dir: string, exclude: readonly string[] = []): Promise<TreeState | undefined> {
  const root = await gitMaybe(dir, ['rev-parse', '--show-toplevel']);
  if (!root) return undefined;
  const specs = await excludeSpecs(root, exclude);
  const [status, branch, upstream] = await Promise.all([
    git(root, ['--no-optional-locks', 'status', '--porcelain', '--untracked-files=all', '--', ':/', ...specs]),
    gitMaybe(root, ['symbolic-ref', '--short', '-q', 'HEAD']).then((v) => v ?? null),
    gitMaybe(root, ['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}']).then((v) => v || null),
  ]);
  const behind = upstream ? Number(await git(root, ['rev-list', '--count', 'HEAD..@{upstream}'])) : null;
  const changes = status
    .split('\n')
    .filter(Boolean)
    // the first line lost its leading blank to the trim of git's output: strip the status by pattern
    .map((l) => l.replace(/^[ MTADRCU?!]{1,2} /, ''));
  return { root, changes, branch, upstream, behind };
}
