import { Command, CommanderError } from 'commander';
import { LockstepError } from '../errors.ts';
import { VERSION } from '../version.ts';
import { type Register, registrationsFor } from './commands/index.ts';
import { stopWithNpmParent } from './parent.ts';

/** Exit codes: 0 ok, 1 a failure at run time, 2 bad input (the user can fix the command). */
const BAD_INPUT = new Set(['E_INPUT', 'E_NOT_FOUND', 'E_CONFLICT', 'E_SQL', 'E_VALUE']);

export function buildProgram(commands: readonly Register[]): Command {
  const program = new Command('lockstep')
    .description('Reproducible, fast, SQL-queryable machine-learning experiments')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** The only place in lockstep that ends the process. */
export async function main(argv: string[] = process.argv): Promise<void> {
  stopWithNpmParent();
  const program = buildProgram(await registrationsFor(argv));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = exitCodeOf(e);
    if (e instanceof CommanderError) return; // commander already printed its message
    const message = e instanceof LockstepError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`lockstep: ${message}\n`);
  }
}

export function exitCodeOf(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    return 2;
  }
  if (e instanceof LockstepError) return BAD_INPUT.has(e.code) ? 2 : 1;
  return 1;
}

await main();
