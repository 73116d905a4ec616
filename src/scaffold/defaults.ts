import { execFileSync } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { VERSION } from '../version.ts';
import { type InitChoices, toPackageName } from './options.ts';

/** The answer to every question nobody asked: what `--yes` and a missing terminal use. */
export function defaultChoices(dir: string, given: Partial<InitChoices> = {}): InitChoices {
  const projectName = given.projectName ?? (basename(resolve(dir)) || 'ml-project');
  return {
    projectName,
    packageName: given.packageName ?? toPackageName(projectName),
    description: given.description ?? 'A machine-learning project tracked with lockstep.',
    author: given.author ?? gitUserName(),
    license: given.license ?? 'MIT',
    packageManager: given.packageManager ?? 'npm',
    testRunner: given.testRunner ?? 'node',
    linter: given.linter ?? 'biome',
    dataRemote: given.dataRemote === undefined ? null : given.dataRemote,
    example: given.example ?? true,
    git: given.git ?? true,
    lockstepSpec: given.lockstepSpec ?? `^${VERSION}`,
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
