import { execFileSync } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { type InitChoices, toPackageName } from './options.ts';
import { lockstepSpec } from './source.ts';

/** The answer to every question nobody asked: what `--yes` and a missing terminal use. */
export function defaultChoices(dir: string, given: Partial<InitChoices> = {}): InitChoices {
  const projectName = given.projectName ?? (basename(resolve(dir)) || 'ml-project');
  const packageManager = given.packageManager ?? 'npm';
  return {
    projectName,
    packageName: given.packageName ?? toPackageName(projectName),
    description: given.description ?? 'A machine-learning project tracked with lockstep.',
    author: given.author ?? gitUserName(),
    license: given.license ?? 'MIT',
    packageManager,
    testRunner: given.testRunner ?? 'node',
    linter: given.linter ?? 'biome',
    dataRemote: given.dataRemote === undefined ? null : given.dataRemote,
    example: given.example ?? true,
    git: given.git ?? true,
    // the registry's ^VERSION, or a path to the checkout or tarball this lockstep came from (see source.ts)
    lockstepSpec: given.lockstepSpec ?? lockstepSpec(dir, packageManager),
  };
}

/** `git config user.name`, or empty when git or the setting is missing. */
function gitUserName(): string {
  try {
    return execFileSync('git', ['config', 'user.name'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
}
