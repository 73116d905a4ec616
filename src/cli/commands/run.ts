import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { aliasLine, SCRIPT_OPTIONS } from '../../config/help.ts';
import { LockstepError } from '../../errors.ts';

/** `lockstep run script.ts …`: runs a `cli(schema, main)` script (TypeScript through tsx) with the same arguments. */
export function registerRun(program: Command): void {
  // Everything after the script belongs to the script, --help included; the program has no options of its own to lose.
  program.enablePositionalOptions();
  const run = program
    .command('run <script> [args...]')
    .description(
      'run a cli(schema, main) script with its arguments (--config, -o, --sweep, --jobs…; see `run script.ts --help`)',
    )
    .allowUnknownOption()
    .helpOption(false)
    .passThroughOptions()
    .addHelpText('after', scriptOptionsHelp)
    .action(async (script: string, args: string[]) => {
      if (script === '--help' || script === '-h') return run.outputHelp();
      if (!existsSync(script)) throw new LockstepError('E_INPUT', `run: no such script ${script}`);
      const code = await runScript(script, args);
      if (code === 2) throw new LockstepError('E_INPUT', `run: ${script} stopped on bad input (exit code 2)`);
      if (code !== 0) throw new LockstepError('E_RUN', `run: ${script} failed (exit code ${code})`);
    });
}

/** What `lockstep run --help` adds: the options every script takes (its config keys: `run script.ts --help`). */
function scriptOptionsHelp(): string {
  const width = Math.max(...SCRIPT_OPTIONS.map(([o]) => o.length));
  return [
    '',
    'Script options (a cli(schema, main) script takes these; `lockstep run script.ts --help` adds its config keys):',
    ...SCRIPT_OPTIONS.map(([o, d]) => `  ${o.padEnd(width)}  ${d}`),
    '',
    `FlexLock's spellings work too: ${aliasLine()}`,
  ].join('\n');
}

/** Runs a script in a child node with tsx loaded, inheriting the terminal; resolves with its exit code. */
export function runScript(script: string, args: readonly string[]): Promise<number> {
  const tsx = import.meta.resolve('tsx');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, script, ...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
}
