import type { Command } from 'commander';

/** Adds a family of commands to the program. */
export type Register = (program: Command) => void;

/**
 * The command families and the top-level command names each registers. The
 * CLI loads only the family of the command it runs (the server, the worker
 * pool and the UI stay unloaded for `lockstep runs`), and every family for
 * `--help` or an unknown command. test/cli/commands.test.ts checks that
 * these names match what each family registers.
 */
export const families: { commands: readonly string[]; load: () => Promise<Register> }[] = [
  { commands: ['ls', 'runs', 'show', 'sql', 'export'], load: async () => (await import('./read.ts')).registerRead },
  { commands: ['lock', 'diff', 'lineage'], load: async () => (await import('./lock.ts')).registerLock },
  { commands: ['ui'], load: async () => (await import('./ui.ts')).registerUi },
  { commands: ['sync'], load: async () => (await import('./sync.ts')).registerSync },
  { commands: ['worker'], load: async () => (await import('./worker.ts')).registerWorker },
  { commands: ['init'], load: async () => (await import('./init.ts')).registerInit },
  { commands: ['run'], load: async () => (await import('./run.ts')).registerRun },
  { commands: ['tag', 'push', 'pull'], load: async () => (await import('./tag.ts')).registerTag },
  { commands: ['datasets'], load: async () => (await import('./datasets.ts')).registerDatasets },
  { commands: ['models'], load: async () => (await import('./models.ts')).registerModels },
  { commands: ['gc'], load: async () => (await import('./gc.ts')).registerGc },
  { commands: ['serve'], load: async () => (await import('./serve.ts')).registerServe },
  { commands: ['db'], load: async () => (await import('./db.ts')).registerDb },
  { commands: ['artifacts'], load: async () => (await import('./artifacts.ts')).registerArtifacts },
  { commands: ['copy'], load: async () => (await import('./copy.ts')).registerCopy },
];

/** The registrations needed to run `argv` (all of them when the command is not known up front). */
export async function registrationsFor(argv: readonly string[]): Promise<Register[]> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return []; // the version needs no command
  const word = args.find((a) => !a.startsWith('-'));
  const family = word === undefined ? undefined : families.find((f) => f.commands.includes(word));
  return Promise.all((family ? [family] : families).map((f) => f.load()));
}
