import { resolve } from 'node:path';
import { LockstepError } from '../errors.ts';
import { treeState } from '../lock/git.ts';

function listed(files: readonly string[]): string {
  return files.slice(0, 3).join(', ') + (files.length > 3 ? `, … ${files.length - 3} more` : '');
}

/**
 * Is the code about to run the committed code of an up-to-date branch?
 * `--require-clean` refuses (E_INPUT: exit 2, nothing runs) uncommitted
 * changes or a branch behind its upstream (as of the last fetch); otherwise
 * the answer is one warning line. Outputs, tracked data and the database
 * do not count, as in a lock's capture. Returns the warning, if any.
 */
export async function checkTree(options: {
  requireClean: boolean;
  exclude: readonly (string | null | undefined)[];
}): Promise<string | null> {
  const exclude = options.exclude.filter((p): p is string => typeof p === 'string' && p !== '').map((p) => resolve(p));
  const state = await treeState(process.cwd(), exclude);
  if (!state) {
    if (options.requireClean)
      throw new LockstepError('E_INPUT', `--require-clean: ${process.cwd()} is not inside a git repository`);
    return null;
  }
  const problems: string[] = [];
  if (state.changes.length)
    problems.push(`${state.changes.length} uncommitted change(s) in ${state.root} (${listed(state.changes)})`);
  if (state.behind)
    problems.push(
      `${state.branch ?? 'HEAD'} is ${state.behind} commit(s) behind ${state.upstream} (as of the last fetch)`,
    );
  if (problems.length === 0) return null;
  if (options.requireClean)
    throw new LockstepError('E_INPUT', `--require-clean: ${problems.join('; ')}; commit, stash or pull first`);
  return `lockstep: warning: ${problems.join('; ')}; the run.lock captures the code as it runs (--require-clean refuses this)`;
}
