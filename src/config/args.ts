import { LockstepError } from '../errors.ts';
import { closest } from './schema.ts';

/** The command line of a `cli(schema, main)` script, parsed but not yet checked against the schema. */
export interface CliArgs {
  config?: string;
  select?: string;
  /** `-o key=value`, in order. */
  overrides: [string, string][];
  /** `--sweep key=v1,v2`, in order. */
  sweeps: [string, string[]][];
  tasks?: string;
  taskTo?: string;
  jobs?: number;
  slurm?: string;
  name?: string;
  db?: string;
  printConfig: boolean;
  dryRun: boolean;
  debug: boolean;
  help: boolean;
  /** Skip the tasks of a sweep that are already done in the store (a restarted sweep). */
  resume: boolean;
  noLock: boolean;
}

const VALUE_FLAGS = [
  '--config',
  '--select',
  '-o',
  '--override',
  '--sweep',
  '--tasks',
  '--task-to',
  '--jobs',
  '--slurm',
  '--name',
  '--db',
];
const BOOL_FLAGS = ['--print-config', '--dry-run', '--debug', '--help', '-h', '--resume', '--no-lock'];

function bad(message: string): LockstepError {
  return new LockstepError('E_INPUT', message);
}

function splitKeyValue(flag: string, text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw bad(`${flag} ${text}: expected key=value, such as ${flag} lr=0.01`);
  return [text.slice(0, i).trim(), text.slice(i + 1)];
}

/** Parses the arguments; unknown flags and missing values are one message each (closest flag suggested). */
export function parseArgs(argv: readonly string[]): CliArgs {
  const out: CliArgs = {
    overrides: [],
    sweeps: [],
    printConfig: false,
    dryRun: false,
    debug: false,
    help: false,
    resume: false,
    noLock: false,
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i] as string;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.includes('=')) {
      inline = arg.slice(arg.indexOf('=') + 1);
      arg = arg.slice(0, arg.indexOf('='));
    }
    if (BOOL_FLAGS.includes(arg)) {
      if (inline !== undefined) throw bad(`${arg} takes no value`);
      if (arg === '--print-config') out.printConfig = true;
      else if (arg === '--dry-run') out.dryRun = true;
      else if (arg === '--debug') out.debug = true;
      else if (arg === '--resume') out.resume = true;
      else if (arg === '--no-lock') out.noLock = true;
      else out.help = true;
      continue;
    }
    if (!VALUE_FLAGS.includes(arg)) {
      const near = closest(
        arg,
        [...VALUE_FLAGS, ...BOOL_FLAGS].filter((f) => f.startsWith('--')),
      );
      throw bad(
        arg.startsWith('-')
          ? `unknown option ${arg}${near ? `; did you mean ${near}?` : ''} (--help lists the options)`
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
        // `-o key value` (the FlexLock form) as well as `-o key=value`
        if (!value.includes('=') && argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('-')) {
          out.overrides.push([value, argv[++i] as string]);
        } else out.overrides.push(splitKeyValue('-o', value));
        break;
      }
      case '--sweep': {
        const [k, list] = splitKeyValue('--sweep', value);
        const values = list === '' ? [] : list.split(',');
        if (values.length === 0) throw bad(`--sweep ${value}: the sweep over "${k}" is empty; list values: ${k}=a,b,c`);
        out.sweeps.push([k, values]);
        break;
      }
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
      case '--tasks':
        out.tasks = value;
        break;
      case '--task-to':
        out.taskTo = value;
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
  if (out.tasks !== undefined && out.taskTo === undefined)
    throw bad('--tasks needs --task-to KEY: the config key each task sets');
  if (out.taskTo !== undefined && out.tasks === undefined) throw bad('--task-to needs --tasks FILE');
  if (out.select !== undefined && out.config === undefined) throw bad('--select needs --config FILE');
  return out;
}
