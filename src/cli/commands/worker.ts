import { type Command, InvalidArgumentError } from 'commander';
import { runWorker } from '../../exec/queue/worker.ts';
import { createSession } from '../../session.ts';

interface WorkerFlags {
  db?: string;
  experiment?: string;
  jobs: number;
  lease: number;
  poll: number;
  claim?: number;
  exitWhenEmpty?: boolean;
  quiet?: boolean;
}

function positive(flag: string, integer: boolean) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${flag} expects a positive ${integer ? 'whole ' : ''}number, got "${v}"`);
    }
    return n;
  };
}

/**
 * `lockstep worker`: claims queued runs from a shared database and executes
 * them. Start as many as you like, on any machine that reaches the database;
 * Slurm array tasks run this command too.
 */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('claim queued runs from the database and execute them (run many, on any machine)')
    .option('--db <url>', 'database URL, usually postgres://… (default: $LOCKSTEP_DB or ./lockstep.db)')
    .option('--experiment <name>', 'only this experiment (default: any experiment with queued runs)')
    .option('--jobs <n>', 'worker threads executing runs', positive('--jobs', true), 1)
    .option(
      '--lease <seconds>',
      'a claimed run returns to the queue this long after its worker stops answering',
      positive('--lease', false),
      60,
    )
    .option('--poll <seconds>', 'seconds between looks at an empty queue', positive('--poll', false), 1)
    .option('--claim <n>', 'runs claimed at a time (default: --jobs)', positive('--claim', true))
    .option('--exit-when-empty', 'stop when no run is pending or held by another worker (default: keep waiting)')
    .option('--quiet', 'no log lines')
    .action(async (flags: WorkerFlags) => {
      const session = await createSession(flags.db);
      const stop = new AbortController();
      // SIGTERM (scancel, a Slurm time limit) and Ctrl-C: give unfinished runs back to the queue and return.
      const onSignal = () => stop.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      try {
        await runWorker(session.store, {
          experiment: flags.experiment,
          jobs: flags.jobs,
          leaseMs: flags.lease * 1000,
          pollMs: flags.poll * 1000,
          claimSize: flags.claim,
          exitWhenEmpty: flags.exitWhenEmpty ?? false,
          signal: stop.signal,
          log: flags.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
        });
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        await session.close();
      }
    });
}
