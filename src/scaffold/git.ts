import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What happened to the first commit. */
export type GitOutcome = { done: true; commit: string } | { done: false; reason: string };

/**
 * `git init` on branch main and a first commit of everything generated.
 * Failing here does not undo the project (its files are fine without git), so
 * it reports why instead of throwing.
 */
export async function initialCommit(dir: string, author: string): Promise<GitOutcome> {
  const git = async (args: string[], env?: NodeJS.ProcessEnv) =>
    (await run('git', args, { cwd: dir, env: { ...process.env, ...env } })).stdout.trim();
  try {
    await git(['-c', 'init.defaultBranch=main', 'init', '-q']);
  } catch (e) {
    return { done: false, reason: `git init failed: ${(e as Error).message.split('\n')[0]}` };
  }
  try {
    await git(['add', '-A']);
    // A machine without a git identity (CI, a fresh container) still gets its
    // first commit, signed by the project's author or by lockstep init.
    const env: NodeJS.ProcessEnv = {};
    if (!(await git(['config', 'user.email']).catch(() => ''))) {
      env.GIT_AUTHOR_NAME = env.GIT_COMMITTER_NAME = author || 'lockstep init';
      env.GIT_AUTHOR_EMAIL = env.GIT_COMMITTER_EMAIL = 'lockstep-init@localhost';
    }
    // no signing prompt or hook may stall a scaffold
    await git(
      ['-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', 'Initial commit from lockstep init'],
      env,
    );
    return { done: true, commit: await git(['rev-parse', 'HEAD']) };
  } catch (e) {
    return { done: false, reason: `the first commit failed: ${(e as Error).message.split('\n')[0]}` };
  }
}
