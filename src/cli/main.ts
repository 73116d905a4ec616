import { CommanderError } from 'commander';
import { LockstepError } from '../errors.ts';
import { registrationsFor } from './commands/index.ts';
import { stopWithNpmParent } from './parent.ts';
import { buildProgram } from './program.ts';

/** Exit codes: 0 ok, 1 a failure at run time, 2 bad input (the user can fix the command). */
const BAD_INPUT = new Set(['E_INPUT', 'E_NOT_FOUND', 'E_CONFLICT', 'E_SQL', 'E_VALUE']);

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
