import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultChoices } from '../../scaffold/defaults.ts';
import { checkTarget, type InitChoices, initProject } from '../../scaffold/index.ts';
import {
  LICENSES,
  LINTERS,
  PACKAGE_MANAGERS,
  pickChoice,
  TEST_RUNNERS,
  validateChoices,
} from '../../scaffold/options.ts';
import { promptChoices } from '../../scaffold/prompts.ts';

interface InitFlags {
  name?: string;
  packageName?: string;
  description?: string;
  author?: string;
  license?: string;
  packageManager?: string;
  testRunner?: string;
  linter?: string;
  dataRemote?: string;
  example: boolean;
  git: boolean;
  lockstepVersion?: string;
  yes?: boolean;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a machine-learning project in the Cookiecutter Data Science layout, wired to lockstep')
    .argument('[dir]', 'a new or empty directory', '.')
    .option('--name <name>', 'project name (default: the directory name)')
    .option('--package-name <name>', 'npm package name (default: derived from the project name)')
    .option('--description <text>', 'one-line description')
    .option('--author <name>', 'author (default: git config user.name)')
    .option('--license <id>', `${LICENSES.join(', ')} (default: MIT)`)
    .option('--package-manager <pm>', `${PACKAGE_MANAGERS.join(', ')} (default: npm)`)
    .option('--test-runner <runner>', `${TEST_RUNNERS.join(', ')} (default: node)`)
    .option('--linter <linter>', `${LINTERS.join(', ')} (default: biome)`)
    .option('--data-remote <remote>', 'rclone remote for data:push/data:pull, e.g. s3:bucket/project (default: none)')
    .option('--no-example', 'empty stage skeletons instead of the example pipeline')
    .option('--no-git', 'skip git init and the first commit')
    .option(
      '--lockstep-version <spec>',
      'the lockstep dependency (default: ^VERSION when lockstep came from a registry; from a checkout, a path to its pkg/ directory; from a tarball, that file)',
    )
    .option('-y, --yes', 'no prompts: flags, then defaults, for every choice')
    .addHelpText(
      'after',
      '\nWithout a terminal (CI, a pipe) init does not prompt: it behaves as with --yes.\n' +
        'The target must be new or empty; otherwise init stops with exit code 2 and writes nothing.',
    )
    .action(async (dir: string, flags: InitFlags) => {
      checkTarget(dir); // before any question
      const given = fromFlags(flags);
      const interactive = !flags.yes && process.stdin.isTTY === true && process.stdout.isTTY === true;
      if (!flags.yes && !interactive) {
        process.stderr.write('lockstep init: no terminal, so no prompts: using flags and defaults (as --yes)\n');
      }
      const choices = interactive ? await promptChoices(dir, given) : validateChoices(defaultChoices(dir, given));
      const result = await initProject(dir, choices);
      report(dir, choices, result.files.length, result.git);
    });
}

/** Only the choices the user actually gave; the rest are asked or defaulted. */
function fromFlags(f: InitFlags): Partial<InitChoices> {
  const given: Partial<InitChoices> = {};
  if (f.name !== undefined) given.projectName = f.name;
  if (f.packageName !== undefined) given.packageName = f.packageName;
  if (f.description !== undefined) given.description = f.description;
  if (f.author !== undefined) given.author = f.author;
  if (f.license !== undefined) given.license = pickChoice('--license', f.license, LICENSES);
  if (f.packageManager !== undefined)
    given.packageManager = pickChoice('--package-manager', f.packageManager, PACKAGE_MANAGERS);
  if (f.testRunner !== undefined) given.testRunner = pickChoice('--test-runner', f.testRunner, TEST_RUNNERS);
  if (f.linter !== undefined) given.linter = pickChoice('--linter', f.linter, LINTERS);
  if (f.dataRemote !== undefined) given.dataRemote = f.dataRemote === 'none' ? null : f.dataRemote;
  if (f.example === false) given.example = false;
  if (f.git === false) given.git = false;
  if (f.lockstepVersion !== undefined) given.lockstepSpec = f.lockstepVersion;
  return given;
}

function report(dir: string, c: InitChoices, count: number, git: Awaited<ReturnType<typeof initProject>>['git']) {
  const run = c.packageManager === 'pnpm' ? 'pnpm' : 'npm run';
  const rel = relative(process.cwd(), resolve(dir));
  const where = rel === '' ? '.' : rel.startsWith('..') ? resolve(dir) : rel;
  const lines = [
    `Created ${c.projectName} in ${where} (${count} files).`,
    git.done ? `git: first commit ${git.commit.slice(0, 12)} on main` : `git: ${git.reason}`,
    '',
    'Next:',
    ...(where === '.' ? [] : [`  cd ${where}`]),
    `  ${c.packageManager} install`,
    `  ${run} data && ${run} features && ${run} train`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
