import type { Command } from 'commander';
import { LockstepError } from '../../errors.ts';
import { defaultOutboxPath, Outbox, syncOutbox } from '../../remote/index.ts';

/** `lockstep sync`: send the writes remote sessions buffered while their server was unreachable. */
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('upload the writes buffered while a tracking server was unreachable (each exactly once)')
    .option('--server <url>', 'only this server (default: every server with pending writes)')
    .option('--token <token>', 'bearer token (default: LOCKSTEP_TOKEN)')
    .option('--outbox <path>', 'the outbox file (default: LOCKSTEP_OUTBOX or ~/.lockstep/outbox.db)')
    .option('--status', 'only show how many writes are waiting')
    .action(async (opts: { server?: string; token?: string; outbox?: string; status?: boolean }) => {
      const path = opts.outbox ?? defaultOutboxPath();
      if (opts.status) {
        const box = new Outbox(path);
        try {
          const servers = opts.server ? [opts.server] : box.servers();
          if (servers.length === 0) process.stdout.write('nothing waiting\n');
          for (const s of servers) process.stdout.write(`${s}: ${box.count(s)} write(s) waiting\n`);
        } finally {
          box.close();
        }
        return;
      }
      const { servers } = await syncOutbox({
        outbox: path,
        ...(opts.server ? { server: opts.server } : {}),
        ...(opts.token ? { token: opts.token } : {}),
      });
      if (servers.length === 0) process.stdout.write('nothing to sync\n');
      for (const s of servers)
        process.stdout.write(
          `${s.server}: sent ${s.sent}${s.remaining ? `, ${s.remaining} still waiting (unreachable)` : ''}\n`,
        );
      const stuck = servers.filter((s) => s.remaining > 0);
      if (stuck.length)
        throw new LockstepError(
          'E_UNAVAILABLE',
          `could not reach ${stuck.map((s) => s.server).join(', ')}; run lockstep sync again later`,
        );
    });
}
