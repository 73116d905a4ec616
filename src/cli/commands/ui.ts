import type { Command } from 'commander';
import { LockstepError } from '../../errors.ts';
import { startServer } from '../../server/index.ts';
import { createSession } from '../../session.ts';
import { allowedHostsFrom, collect, tokensFrom } from '../tokens.ts';

/** The SQL endpoint's role: --sql-url, else LOCKSTEP_SQL_URL (an environment variable keeps a password out of `ps`). */
function sqlOptions(opts: { sqlUrl?: string; sqlAllowPrivileged?: boolean }, postgres: boolean) {
  const url = opts.sqlUrl ?? (postgres ? process.env.LOCKSTEP_SQL_URL : undefined);
  return { ...(url ? { url } : {}), ...(opts.sqlAllowPrivileged ? { allowPrivilegedRole: true } : {}) };
}

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description('start the tracking server: REST API, MLflow API, read-only SQL and the web UI')
    .option('--db <url>', 'database URL (default: LOCKSTEP_DB, else ./lockstep.db)')
    .option('--port <port>', 'port', '5000')
    .option('--host <host>', 'address to listen on; anything but loopback needs a token', '127.0.0.1')
    .option('--token <token>', 'a read-write bearer token (repeatable; also LOCKSTEP_TOKEN)', collect)
    .option('--read-token <token>', 'a read-only bearer token (repeatable; also LOCKSTEP_READ_TOKEN)', collect)
    .option(
      '--allowed-host <name>',
      'a host name the server answers to besides its address (repeatable; also LOCKSTEP_ALLOWED_HOSTS)',
      collect,
    )
    .option('--cors <origin>', 'allow browser calls from this origin (repeatable)', collect)
    .option('--ui-root <dir>', 'serve the web UI from this folder')
    .option(
      '--sql-url <url>',
      'PostgreSQL: the read-only role of the SQL endpoint (also LOCKSTEP_SQL_URL; see `lockstep db grant-readonly`)',
    )
    .option(
      '--sql-allow-privileged',
      'PostgreSQL: let the SQL endpoint run as a role that can write or a superuser (unsafe)',
    )
    .option(
      '--body-limit <bytes>',
      'largest request body (artifact uploads are limited by LOCKSTEP_MAX_ARTIFACT_BYTES)',
      String(16 * 1024 * 1024),
    )
    .option(
      '--artifacts-destination <location>',
      'where artifact blobs live: a directory or an rclone remote (default: LOCKSTEP_BLOBS, else .lockstep/blobs next to the database)',
    )
    .action(async (opts) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new LockstepError('E_INPUT', `--port must be a port number, got "${opts.port}"`);
      const bodyLimit = Number(opts.bodyLimit);
      if (!Number.isInteger(bodyLimit) || bodyLimit < 1024)
        throw new LockstepError(
          'E_INPUT',
          `--body-limit must be a number of bytes (at least 1024), got "${opts.bodyLimit}"`,
        );
      const session = await createSession(
        opts.db,
        opts.artifactsDestination ? { artifacts: { blobs: opts.artifactsDestination } } : {},
      );
      const tokens = tokensFrom(opts);
      try {
        const { url, close } = await startServer({
          session,
          host: opts.host,
          port,
          tokens,
          bodyLimit,
          corsOrigins: opts.cors ?? [],
          allowedHosts: allowedHostsFrom(opts),
          sql: sqlOptions(opts, session.store.driver.dialect.name === 'postgres'),
          ...(opts.uiRoot ? { uiRoot: opts.uiRoot } : {}),
          logger: process.env.LOCKSTEP_LOG === '1',
        });
        process.stdout.write(
          `lockstep tracking server on ${url} (database ${session.store.driver.location}${tokens.length ? ', token required' : ''})\n` +
            `  web UI ${url}/   API docs ${url}/docs   MLflow: MLFLOW_TRACKING_URI=${url}\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await close();
      } finally {
        await session.close();
      }
    });
}
