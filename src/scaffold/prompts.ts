import type { Readable, Writable } from 'node:stream';
import * as p from '@clack/prompts';
import { LockstepError } from '../errors.ts';
import { defaultChoices } from './defaults.ts';
import { checkDataRemote, checkPackageName, type InitChoices, toPackageName } from './options.ts';
import { lockstepSpec } from './source.ts';

/** Unwraps a prompt's answer; Ctrl-C or Escape ends init before anything is written. */
function answer<T>(value: T, io: { output?: Writable } = {}): Exclude<T, symbol> {
  if (p.isCancel(value)) {
    p.cancel('Cancelled; nothing was written.', io);
    throw new LockstepError('E_INPUT', 'lockstep init was cancelled; nothing was written');
  }
  return value as Exclude<T, symbol>;
}

/**
 * Asks for every choice that no flag gave, each with its default
 * preselected, and returns the complete set.
 */
export async function promptChoices(
  dir: string,
  given: Partial<InitChoices>,
  io: { input?: Readable; output?: Writable } = {},
): Promise<InitChoices> {
  p.intro('lockstep init: a new machine-learning project', io);
  const base = defaultChoices(dir, given);
  const text = async (message: string, initialValue: string, validate?: (v: string) => string | undefined) =>
    answer(await p.text({ ...io, message, initialValue, validate: validate && ((v) => validate(v ?? '')) }), io);

  const projectName =
    given.projectName ??
    (await text('Project name', base.projectName, (v) => (v.trim() ? undefined : 'the name must not be empty')));
  const packageName = given.packageName ?? (await text('Package name', toPackageName(projectName), checkPackageName));
  const description = given.description ?? (await text('Description', base.description));
  const author = given.author ?? (await text('Author', base.author));
  const license =
    given.license ??
    answer(
      await p.select({
        ...io,
        message: 'License',
        initialValue: base.license,
        options: [
          { value: 'MIT' as const, label: 'MIT' },
          { value: 'BSD-3-Clause' as const, label: 'BSD 3-Clause' },
          { value: 'none' as const, label: 'none', hint: 'all rights reserved' },
        ],
      }),
      io,
    );
  const packageManager =
    given.packageManager ??
    answer(
      await p.select({
        ...io,
        message: 'Package manager',
        initialValue: base.packageManager,
        options: [
          { value: 'npm' as const, label: 'npm' },
          { value: 'pnpm' as const, label: 'pnpm' },
        ],
      }),
      io,
    );
  const testRunner =
    given.testRunner ??
    answer(
      await p.select({
        ...io,
        message: 'Test runner',
        initialValue: base.testRunner,
        options: [
          { value: 'node' as const, label: "Node's test runner", hint: 'no extra dependency' },
          { value: 'vitest' as const, label: 'Vitest' },
        ],
      }),
      io,
    );
  const linter =
    given.linter ??
    answer(
      await p.select({
        ...io,
        message: 'Linter and formatter',
        initialValue: base.linter,
        options: [
          { value: 'biome' as const, label: 'Biome' },
          { value: 'none' as const, label: 'none', hint: 'lint only type-checks' },
        ],
      }),
      io,
    );
  let dataRemote = given.dataRemote;
  if (dataRemote === undefined) {
    const remote = await text('Data remote for data:push / data:pull (an rclone remote; empty for none)', '', (v) =>
      v.trim() === '' ? undefined : checkDataRemote(v.trim()),
    );
    dataRemote = remote.trim() === '' ? null : remote.trim();
  }
  const example =
    given.example ??
    answer(await p.confirm({ ...io, message: 'Include the example pipeline?', initialValue: true }), io);
  const git =
    given.git ??
    answer(await p.confirm({ ...io, message: 'Create a git repository with a first commit?', initialValue: true }), io);
  return {
    ...base,
    projectName,
    packageName,
    description,
    author,
    license,
    packageManager,
    testRunner,
    linter,
    dataRemote,
    example,
    git,
    lockstepSpec: given.lockstepSpec ?? lockstepSpec(dir, packageManager),
  };
}
