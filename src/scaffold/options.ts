import { LockstepError } from '../errors.ts';

export const LICENSES = ['none', 'MIT', 'BSD-3-Clause'] as const;
export const PACKAGE_MANAGERS = ['npm', 'pnpm'] as const;
export const TEST_RUNNERS = ['node', 'vitest'] as const;
export const LINTERS = ['biome', 'none'] as const;

export type License = (typeof LICENSES)[number];
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];
export type TestRunner = (typeof TEST_RUNNERS)[number];
export type Linter = (typeof LINTERS)[number];

/** Every choice `lockstep init` makes; the generator needs nothing else. */
export interface InitChoices {
  /** Human name, used in the README ("Iris study"). */
  projectName: string;
  /** npm package name ("iris-study"). */
  packageName: string;
  description: string;
  author: string;
  license: License;
  packageManager: PackageManager;
  testRunner: TestRunner;
  linter: Linter;
  /** An rclone remote and path such as `s3:bucket/project`, or null for none. */
  dataRemote: string | null;
  /** Include the worked example (synthetic data, logistic regression) or empty stage skeletons. */
  example: boolean;
  /** `git init` and a first commit. */
  git: boolean;
  /** The version range or spec of the lockstep dependency (`^0.1.0`, `file:../lockstep`). */
  lockstepSpec: string;
}

/** npm's rules for new package names: lowercase, URL-safe, optionally scoped, at most 214 characters. */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** The message for a bad package name, or undefined when it is valid. */
export function checkPackageName(name: string): string | undefined {
  if (name.length === 0) return 'the package name must not be empty';
  if (name.length > 214) return `the package name is ${name.length} characters long; npm allows 214`;
  if (!PACKAGE_NAME.test(name)) {
    return `"${name}" is not a valid npm package name: use lowercase letters, digits, "-", "." and "_", not starting with "." or "_" (e.g. "iris-study" or "@team/iris-study")`;
  }
  return undefined;
}

/** Turns a free-form project name into a package name ("Iris Study!" → "iris-study"). */
export function toPackageName(projectName: string): string {
  const slug = projectName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[-._]+|-+$/g, '')
    .slice(0, 214);
  return slug === '' ? 'ml-project' : slug;
}

// The remote is pasted into package.json scripts that a shell runs, so only
// characters that need no quoting are allowed: rclone remotes and paths fit.
const REMOTE = /^[A-Za-z0-9_.@:/+=,~-]+$/;

/** The message for a bad rclone remote, or undefined when it is valid. */
export function checkDataRemote(remote: string): string | undefined {
  if (!REMOTE.test(remote) || remote.startsWith('-')) {
    return `the data remote "${remote}" must be an rclone remote and path such as "s3:my-bucket/my-project" (letters, digits and _ . @ : / + = , ~ -; no spaces or quotes)`;
  }
  return undefined;
}

/** Matches a user's spelling of a choice case-insensitively ("mit" → "MIT", "Biome" → "biome"). */
export function pickChoice<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a.toLowerCase() === value.trim().toLowerCase());
  if (found === undefined) {
    throw new LockstepError('E_INPUT', `${what} must be one of ${allowed.join(', ')}; got "${value}"`);
  }
  return found;
}

/** Throws E_INPUT naming the first invalid choice; the generator trusts what passes. */
export function validateChoices(c: InitChoices): InitChoices {
  const single = (what: string, v: string) => {
    if (/[\r\n]/.test(v)) throw new LockstepError('E_INPUT', `${what} must be a single line`);
  };
  if (c.projectName.trim() === '') throw new LockstepError('E_INPUT', 'the project name must not be empty');
  single('the project name', c.projectName);
  single('the description', c.description);
  single('the author', c.author);
  const nameProblem = checkPackageName(c.packageName);
  if (nameProblem) throw new LockstepError('E_INPUT', nameProblem);
  if (c.dataRemote !== null) {
    const remoteProblem = checkDataRemote(c.dataRemote);
    if (remoteProblem) throw new LockstepError('E_INPUT', remoteProblem);
  }
  if (c.lockstepSpec.trim() === '') throw new LockstepError('E_INPUT', 'the lockstep version must not be empty');
  pickChoice('--license', c.license, LICENSES);
  pickChoice('--package-manager', c.packageManager, PACKAGE_MANAGERS);
  pickChoice('--test-runner', c.testRunner, TEST_RUNNERS);
  pickChoice('--linter', c.linter, LINTERS);
  return c;
}
