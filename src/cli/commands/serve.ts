import type { Command } from 'commander';
import { isLockstepError, LockstepError } from '../../errors.ts';
import { createServeApp, type ServeApp } from '../../serve/app.ts';
import { BufferedLog } from '../../serve/log.ts';
import { boundNames, isLoopback } from '../../server/hosts.ts';
import { listenOrExplain } from '../../server/listen.ts';
import { createSession } from '../../session.ts';
import { allowedHostsFrom, collect, tokensFrom } from '../tokens.ts';

interface ServeOpts {
  db?: string;
  port: string;
  host: string;
  cacheSize: string;
  batchWindow: string;
  maxBatch: string;
  quiet?: boolean;
  token?: string[];
  readToken?: string[];
  allowedHost?: string[];
}

function positiveInt(flag: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new LockstepError('E_INPUT', `${flag}: expected an integer >= ${min}, got "${v}"`);
  return n;
}

/** `serve models:/iris@champion`: the model-serving API. */
export function registerServe(program: Command): void {
  program
    .command('serve <uri>')
    .description('serve a registered model over HTTP: /predict, /cache, /retrain, /evaluate, /models, /health, /docs')
    .option('--db <url>', 'database URL (default: $LOCKSTEP_DB or ./lockstep.db)')
    .option('--port <n>', 'port to listen on (0: any free port)', '8000')
    .option('--host <host>', 'address to bind; anything but loopback needs a token', '127.0.0.1')
    .option(
      '--token <token>',
      'a read-write bearer token: retrain, empty the cache (repeatable; also LOCKSTEP_TOKEN)',
      collect,
    )
    .option('--read-token <token>', 'a token that may predict and read (repeatable; also LOCKSTEP_READ_TOKEN)', collect)
    .option(
      '--allowed-host <name>',
      'a host name the API answers to besides its address (repeatable; also LOCKSTEP_ALLOWED_HOSTS)',
      collect,
    )
    .option('--cache-size <n>', 'predictions kept in the LRU cache', '10000')
    .option(
      '--batch-window <ms>',
      'ONNX models: how long concurrent requests wait to share one inference call (0: no batching)',
      '2',
    )
    .option('--max-batch <n>', 'ONNX models: the most instances in one inference call', '256')
    .option('--quiet', 'no request log lines')
    .action(async (uri: string, opts: ServeOpts) => {
      const port = positiveInt('--port', opts.port, 0);
      const cacheSize = positiveInt('--cache-size', opts.cacheSize);
      const batchWindowMs = Number(opts.batchWindow);
      if (!Number.isFinite(batchWindowMs) || batchWindowMs < 0 || batchWindowMs > 1000)
        throw new LockstepError(
          'E_INPUT',
          `--batch-window: expected milliseconds from 0 to 1000, got "${opts.batchWindow}"`,
        );
      const maxBatch = positiveInt('--max-batch', opts.maxBatch);
      const tokens = tokensFrom(opts);
      if (!isLoopback(opts.host) && tokens.length === 0)
        throw new LockstepError(
          'E_INPUT',
          `--host ${opts.host}: listening beyond loopback needs a token (--token for retrain and the cache, --read-token for predictions), so that nobody else on the network can retrain or move an alias`,
        );
      const session = await createSession(opts.db);
      const log = new BufferedLog(1);
      process.once('exit', () => log.flush());
      let app: ServeApp;
      try {
        app = await createServeApp({
          session,
          uri,
          cacheSize,
          batchWindowMs,
          maxBatch,
          tokens,
          allowedHosts: boundNames(opts.host, allowedHostsFrom(opts)),
          logger: opts.quiet ? false : { level: 'info', stream: log },
        });
      } catch (e) {
        await session.close();
        // whatever the cause (no such alias, a corrupt file), the command cannot do what was asked: bad input
        const why = e instanceof Error ? e.message : String(e);
        throw new LockstepError('E_INPUT', isLockstepError(e) ? why : `cannot load ${uri}: ${why}`, { cause: e });
      }
      let address: string;
      try {
        address = await listenOrExplain(app, opts.host, port);
      } catch (e) {
        await session.close();
        throw e;
      }
      const { served } = app.serving;
      process.stderr.write(
        `lockstep: serving ${uri} (model ${served.name}, version ${served.version}) at ${address}\n` +
          `          POST ${address}/predict · docs ${address}/docs · OpenAPI ${address}/openapi.json\n`,
      );
      const stop = async () => {
        await app.close();
        log.flush();
        await app.serving.jobs.idle();
        await session.close();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
