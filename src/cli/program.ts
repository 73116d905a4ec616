import { Command } from 'commander';
import { VERSION } from '../version.ts';
import type { Register } from './commands/index.ts';

/** The `lockstep` program with the given command families (main.ts loads only those a command needs). */
export function buildProgram(commands: readonly Register[]): Command {
  const program = new Command('lockstep')
    .description('Reproducible, fast, SQL-queryable machine-learning experiments')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}
