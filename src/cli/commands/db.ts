import type { Command } from 'commander';
import { LockstepError } from '../../errors.ts';
import { defaultUrl } from '../../store/open.ts';
import { PostgresDriver } from '../../store/postgres/index.ts';
import { grantReadOnly } from '../../store/postgres/readonly.ts';
import { withSession } from './read.ts';

interface GrantOpts {
  db?: string;
  role?: string;
  password?: boolean;
  connectionLimit?: string;
}

/** `db grant-readonly`: provisions the PostgreSQL role the server's SQL endpoint runs as. */
export function registerDb(program: Command): void {
  const db = program.command('db').description('database administration');
  db.command('grant-readonly')
    .description(
      "create or update a PostgreSQL role that can only read lockstep's tables, for the server's SQL endpoint (--sql-url)",
    )
    .option('--db <url>', 'the PostgreSQL database, as the owner of its lockstep tables (default: $LOCKSTEP_DB)')
    .option('--role <name>', 'the role to create or update', 'lockstep_reader')
    .option('--no-password', 'set no password (trust or certificate authentication); default: a random one')
    .option('--connection-limit <n>', 'connections the role may hold at once', '8')
    .action(async (opts: GrantOpts) => {
      const url = opts.db ?? defaultUrl();
      const limit = Number(opts.connectionLimit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new LockstepError(
          'E_INPUT',
          `--connection-limit: expected a whole number >= 1, got "${opts.connectionLimit}"`,
        );
      await withSession({ db: url }, async (session) => {
        const driver = session.store.driver;
        if (!(driver instanceof PostgresDriver))
          throw new LockstepError(
            'E_INPUT',
            `--db: grant-readonly is for PostgreSQL; the SQL endpoint opens a SQLite file read-only by itself (got ${driver.location})`,
          );
        const res = await grantReadOnly(driver, url, {
          ...(opts.role ? { role: opts.role } : {}),
          ...(opts.password === false ? { password: null } : {}),
          connectionLimit: limit,
        });
        process.stdout.write(
          `role ${res.role} may read ${res.tables.length} table(s) in schema ${res.schema}, and the ones created later\n` +
            `start the server with:  LOCKSTEP_SQL_URL='${res.url}' lockstep ui --db …\n`,
        );
      });
    });
}
