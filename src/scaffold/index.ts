import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { planProject } from './files.ts';
import { type GitOutcome, initialCommit } from './git.ts';
import { type InitChoices, validateChoices } from './options.ts';
import { ensureCheckoutPackage, lockstepSource, lockstepSpec } from './source.ts';
import { checkTarget } from './target.ts';

export { type InitChoices, LICENSES, LINTERS, PACKAGE_MANAGERS, TEST_RUNNERS } from './options.ts';
export { checkTarget } from './target.ts';

export interface InitResult {
  dir: string;
  /** Paths written, relative to `dir`. */
  files: string[];
  /** The first commit, or why there is none (`--no-git` included). */
  git: GitOutcome;
}

/**
 * Generates a project in the Cookiecutter Data Science layout into `dir`
 * (new or empty), then `git init` and a first commit unless `choices.git` is
 * false. Throws E_INPUT for a bad choice and E_CONFLICT for a non-empty
 * target, in both cases before writing anything.
 */
export async function initProject(dir: string, choices: InitChoices): Promise<InitResult> {
  const target = resolve(dir);
  validateChoices(choices);
  const files = planProject(choices); // renders every template before the first write
  checkTarget(target);
  const source = lockstepSource();
  // the project links the checkout's package directory: make it (it needs a built checkout) before writing
  if (source.kind === 'checkout' && choices.lockstepSpec === lockstepSpec(target, choices.packageManager, source))
    ensureCheckoutPackage();
  for (const f of files) {
    const path = join(target, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
  }
  const git: GitOutcome = choices.git
    ? await initialCommit(target, choices.author)
    : { done: false, reason: 'skipped (--no-git)' };
  return { dir: target, files: files.map((f) => f.path), git };
}
