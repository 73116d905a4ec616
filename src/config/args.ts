import { LockstepError } from '../errors.ts';
import { closest } from './schema.ts';

/** The command line of a `cli(schema, main)` script, parsed but not yet checked against the schema. */
export interface CliArgs {
  config?: string;
  select?: string;
  /** `--merge FILE`: files merged into the config file before `--select`, in order. */
  merge: string[];
  /** `--merge-after-select FILE`: files merged into the selected section, in order. */
  mergeSelected: string[];
  /** `-o key=value`, in order. */
  overrides: [string, string][];
  /** `--sweep key=v1,v2`, in order. */
  sweeps: [string, string[]][];
  /** `--sweep v1,v2` (values for `--task-to`) and `--sweep a=1,a=2` (one task per `key=value`), in order. */
  sweepLists: (string[] | Record<string, string>[])[];
  tasks?: string;
  taskTo?: string;
  /** `--sweep-key KEY`: a config key holding the list of tasks. */
  sweepKey?: string;
  jobs?: number;
  slurm?: string;
  /** `--queue`: enqueue the tasks for `lockstep worker` processes and wait for them. */
  queue: boolean;
  name?: string;
  db?: string;
  printConfig: boolean;
  dryRun: boolean;
  debug: boolean;
  help: boolean;
  /** Skip the tasks that are already done: same config, tracked data, code and previous stages as their lock. */
  resume: boolean;
  noLock: boolean;
  /** Refuse to run on a dirty tree or one behind its upstream. */
  requireClean: boolean;
}

const VALUE_FLAGS = [
  '--config',
  '--select',
  '--merge',
  '--merge-after-select',
  '-o',
  '--override',
  '--sweep',
  '--sweep-key',
  '--tasks',
  '--task-to',
  '--jobs',
  '--slurm',
  '--name',
  '--db',
];
const BOOL_FLAGS = [
  '--print-config',
  '--dry-run',
  '--debug',
  '--help',
  '-h',
  '--resume',
  '--no-lock',
  '--require-clean',
  '--queue',
];

/**
 * FlexLock's spellings, accepted where they do not clash with lockstep's
 * (`--help` shows lockstep's names and lists these once). FlexLock's `-o`
 * sets keys before `--select`; lockstep's sets them in the selected section,
 * which is FlexLock's `-O`: a key that starts with the selected section's
 * name is taken from inside it (see plan.ts).
 */
export const ALIASES: Record<string, string> = {
  '-c': '--config',
  '-s': '--select',
  '-m': '--merge',
  '-M': '--merge-after-select',
  '--overrides': '-o',
  '-O': '-o',
  '--overrides-after-select': '-o',
  '--sweep-file': '--tasks',
  '--sweep-target': '--task-to',
  '--n_jobs': '--jobs',
  '--n-jobs': '--jobs',
  '--slurm-config': '--slurm',
  '--check-exists': '--resume',
};

function bad(message: string): LockstepError {
  return new LockstepError('E_INPUT', message);
}

function splitKeyValue(flag: string, text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw bad(`${flag} ${text}: expected key=value, such as ${flag} lr=0.01`);
  return [text.slice(0, i).trim(), text.slice(i + 1)];
}

const KEY_VALUE = /^[A-Za-z_][\w.-]*=/;

/**
 * `--sweep lr=0.1,0.01` (a grid dimension), `--sweep lr=0.1,lr=0.01` (one task
 * per `key=value`, FlexLock's form) or `--sweep 0.1,0.01` (values for `--task-to`).
 */
function parseSweep(value: string, out: CliArgs): void {
  const parts = value === '' ? [] : value.split(',');
  if (parts.length > 1 && parts.every((p) => KEY_VALUE.test(p))) {
    out.sweepLists.push(parts.map((p) => Object.fromEntries([splitKeyValue('--sweep', p)])));
    return;
  }
  if (!KEY_VALUE.test(value)) {
    if (parts.length === 0) throw bad('--sweep needs values: --sweep key=a,b,c');
    out.sweepLists.push(parts);
    return;
  }
  const [k, list] = splitKeyValue('--sweep', value);
  const values = list === '' ? [] : list.split(',');
  if (values.length === 0) throw bad(`--sweep ${value}: the sweep over "${k}" is empty; list values: ${k}=a,b,c`);
  out.sweeps.push([k, values]);
}

/** Parses the arguments; unknown flags and missing values are one message each (closest flag suggested). */
export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = {
    merge: [],
    mergeSelected: [],
    overrides: [],
    sweeps: [],
    sweepLists: [],
    queue: false,
    printConfig: false,
    dryRun: false,
    debug: false,
    help: false,
    resume: false,
    noLock: false,
    requireClean: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i] as string;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.includes('=')) {
      inline = arg.slice(arg.indexOf('=') + 1);
      arg = arg.slice(0, arg.indexOf('='));
    }
    arg = ALIASES[arg] ?? arg;
    if (BOOL_FLAGS.includes(arg)) {
      if (inline !== undefined) throw bad(`${arg} takes no value`);
      if (arg === '--print-config') out.printConfig = true;
      else if (arg === '--dry-run') out.dryRun = true;
      else if (arg === '--debug') out.debug = true;
      else if (arg === '--resume') out.resume = true;
      else if (arg === '--no-lock') out.noLock = true;
      else if (arg === '--require-clean') out.requireClean = true;
      else if (arg === '--queue') out.queue = true;
      else out.help = true;
      continue;
    }
    if (!VALUE_FLAGS.includes(arg)) {
      const near = closest(
        arg,
        [...VALUE_FLAGS, ...BOOL_FLAGS, ...Object.keys(ALIASES)].filter((f) => f.startsWith('--')),
      );
      throw bad(
        arg.startsWith('-')
          ? `unknown option ${arg}${near ? `; did you mean ${ALIASES[near] ?? near}?` : ''} (--help lists the options)`
          : `unexpected argument "${arg}"; set config values with -o key=value`,
      );
    }
    let value = inline;
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw bad(`${arg} needs a value`);
    }
    switch (arg) {
      case '-o':
      case '--override': {
        if (!value.includes('=') && argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('-')) {
          // `-o key value`
          out.overrides.push([value, argv[++i] as string]);
        } else out.overrides.push(splitKeyValue('-o', value));
        // FlexLock's `-o a=1 b=2`: every key=value up to the next flag
        while (argv[i + 1] !== undefined && KEY_VALUE.test(argv[i + 1] as string)) {
          out.overrides.push(splitKeyValue('-o', argv[++i] as string));
        }
        break;
      }
      case '--sweep':
        parseSweep(value, out);
        break;
      case '--jobs': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw bad(`--jobs ${value}: expected a whole number of parallel jobs >= 1`);
        out.jobs = n;
        break;
      }
      case '--config':
        out.config = value;
        break;
      case '--select':
        out.select = value;
        break;
      case '--merge':
        out.merge.push(value);
        break;
      case '--merge-after-select':
        out.mergeSelected.push(value);
        break;
      case '--tasks':
        out.tasks = value;
        break;
      case '--task-to':
        out.taskTo = value;
        break;
      case '--sweep-key':
        out.sweepKey = value;
        break;
      case '--slurm':
        out.slurm = value;
        break;
      case '--name':
        if (value.trim() === '') throw bad('--name must not be empty');
        out.name = value;
        break;
      case '--db':
        out.db = value;
        break;
    }
  }
  const plainLists = out.sweepLists.filter((l) => typeof l[0] === 'string').length;
  if (out.taskTo !== undefined && out.tasks === undefined && out.sweepKey === undefined && plainLists === 0)
    throw bad('--task-to needs what to spread over it: --tasks FILE, --sweep-key KEY or --sweep V1,V2');
  if (plainLists > 0 && out.taskTo === undefined)
    throw bad('--sweep V1,V2 without a key needs --task-to KEY (or write --sweep KEY=V1,V2)');
  if (out.select !== undefined && out.config === undefined && out.merge.length === 0)
    throw bad('--select needs --config FILE');
  if (out.queue && out.slurm !== undefined) throw bad('--queue and --slurm: choose one');
  return out;
}
