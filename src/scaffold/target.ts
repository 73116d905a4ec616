import { readdirSync, statSync } from 'node:fs';
import { LockstepError } from '../errors.ts';

/**
 * Refuses a target that would mix the new project with existing files: a
 * non-empty directory, or a file. Called before any prompt (so nobody answers
 * questions for nothing) and again right before writing.
 */
export function checkTarget(dir: string): void {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) {
      throw new LockstepError('E_CONFLICT', `${dir} exists and is not a directory; nothing was written`);
    }
    entries = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // a new directory: fine
    throw e;
  }
  if (entries.length > 0) {
    const shown = entries.sort().slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '');
    throw new LockstepError(
      'E_CONFLICT',
      `${dir} is not empty (it holds ${shown}); lockstep init only writes into a new or empty directory, so nothing was written. Choose another directory.`,
      { details: { dir, entries: entries.length } },
    );
  }
}
