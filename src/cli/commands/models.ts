import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { isLockstepError, LockstepError } from '../../errors.ts';
import { parseModelFile } from '../../models/format.ts';
import { readSchemaFile } from '../../models/onnx/schema-file.ts';
import { outputMode, printRows } from '../format.ts';
import { collect } from '../tokens.ts';
import { withSession } from './read.ts';

const DB_HELP = 'database URL (default: $LOCKSTEP_DB or ./lockstep.db)';

interface Opts {
  db?: string;
  json?: boolean;
  csv?: boolean;
}

function versionNumber(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw new LockstepError('E_INPUT', `version: expected a positive integer, got "${v}"`);
  return Number(v);
}

function aliasList(aliases: Record<string, number>): string {
  return Object.entries(aliases)
    .map(([a, v]) => `${a}→${v}`)
    .join(' ');
}

/** `models`: the model registry from the command line. */
export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('the model registry: list, register, versions, alias, tag, show, download');

  models
    .command('list', { isDefault: true })
    .description('list registered models with their latest version and aliases')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (opts: Opts) => {
      await withSession(opts, async (session) => {
        const rows = (await session.models.list()).map((m) => ({
          ...m,
          latest: m.latestVersion,
          aliases: aliasList(m.aliases),
          updated: m.updatedAt,
        }));
        printRows(rows, ['name', 'latest', 'versions', 'aliases', 'updated'], outputMode(opts));
      });
    });

  models
    .command('versions <name>')
    .description('list the versions of a model with their run, metrics and aliases')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (name: string, opts: Opts) => {
      await withSession(opts, async (session) => {
        const rows = (await session.models.versions(name)).map((v) => ({
          ...v,
          aliases: v.aliases.join(' '),
          metrics: opts.json
            ? v.metrics
            : Object.entries(v.metrics)
                .map(([k, x]) => `${k}=${Number(x.toFixed(4))}`)
                .join(' '),
          run: v.runId,
          created: v.createdAt,
        }));
        printRows(rows, ['version', 'format', 'algorithm', 'aliases', 'metrics', 'run', 'created'], outputMode(opts));
      });
    });

  models
    .command('alias <name> <alias> [version]')
    .description('point an alias (champion, candidate, …) at a version, moving it from where it was')
    .option('--db <url>', DB_HELP)
    .option('--delete', 'remove the alias instead (no version)')
    .action(async (name: string, alias: string, version: string | undefined, opts: Opts & { delete?: boolean }) => {
      if (opts.delete && version !== undefined)
        throw new LockstepError(
          'E_INPUT',
          'models alias --delete removes the alias wherever it points: give no version',
        );
      if (!opts.delete && version === undefined)
        throw new LockstepError('E_INPUT', `give the version to point ${name}@${alias} at, or --delete to remove it`);
      await withSession(opts, async (session) => {
        if (opts.delete) {
          const was = (await session.models.resolve({ name, alias })).version;
          await session.models.deleteAlias(name, alias);
          process.stdout.write(`removed alias ${name}@${alias} (it pointed at version ${was})\n`);
          return;
        }
        const v = await session.models.setAlias(name, alias, versionNumber(version as string));
        process.stdout.write(`models:/${name}@${alias} → version ${v.version}\n`);
      });
    });

  models
    .command('tag <name> <version> <pairs...>')
    .description('set tags (key=value) on a version; version "-" tags the model itself')
    .option('--db <url>', DB_HELP)
    .action(async (name: string, version: string, pairs: string[], opts: Opts) => {
      const tags = pairs.map((pair) => {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new LockstepError('E_INPUT', `tag "${pair}": expected key=value`);
        return [pair.slice(0, eq), pair.slice(eq + 1)] as const;
      });
      const target = version === '-' ? null : versionNumber(version);
      await withSession(opts, async (session) => {
        for (const [key, value] of tags) await session.models.setTag(name, target, key, value);
      });
      const what = target === null ? `model ${name}` : `models:/${name}/${target}`;
      process.stdout.write(`tagged ${what}: ${pairs.join(' ')}\n`);
    });

  models
    .command('delete <name> <version>')
    .description('delete a version (and the aliases pointing at it); gc frees its file')
    .option('--db <url>', DB_HELP)
    .action(async (name: string, version: string, opts: Opts) => {
      await withSession(opts, async (session) => {
        await session.models.deleteVersion(name, versionNumber(version));
        process.stdout.write(`deleted models:/${name}/${version}\n`);
      });
    });

  models
    .command('register <name> <path>')
    .description(
      'register a model file as a new version: an ONNX file (.onnx), an MLflow model directory with an onnx flavor, or a lockstep model file (.json)',
    )
    .option('--db <url>', DB_HELP)
    .option(
      '--schema <file>',
      'ONNX: JSON or YAML naming what the file does not: {features: [...], labels: [...], target: column}',
    )
    .option('--alias <alias>', 'point an alias at the new version (repeatable)', collect)
    .option('--tag <key=value>', 'tag the new version (repeatable)', collect)
    .option('--description <text>', 'a description of the version')
    .action(
      async (
        name: string,
        path: string,
        opts: Opts & { schema?: string; alias?: string[]; tag?: string[]; description?: string },
      ) => {
        await withSession(opts, async (session) => {
          const tags = Object.fromEntries(
            (opts.tag ?? []).map((pair) => {
              const eq = pair.indexOf('=');
              if (eq <= 0) throw new LockstepError('E_INPUT', `--tag "${pair}": expected key=value`);
              return [pair.slice(0, eq), pair.slice(eq + 1)];
            }),
          );
          const options = { aliases: opts.alias ?? [], tags, description: opts.description ?? null };
          if (!existsSync(path)) throw new LockstepError('E_INPUT', `${path}: no such file or directory`);
          const v = await (path.endsWith('.json')
            ? session.models.register(name, parseModelFile(await readFile(path, 'utf8'), path), options)
            : session.models.registerOnnx(name, path, {
                ...options,
                ...(opts.schema ? { schema: await readSchemaFile(opts.schema) } : {}),
              })
          ).catch((e) => {
            // a file that is not a model is the command's bad input (exit 2), whatever the library calls it
            throw isLockstepError(e, 'E_CODEC') ? new LockstepError('E_INPUT', e.message, { cause: e }) : e;
          });
          const io = v.inputSchema.onnx;
          const what = io
            ? `inputs ${io.inputs.map((i) => `${i.name} ${i.type}[${i.shape.map((d) => d ?? '?').join(',')}]`).join(', ')}; ${io.classifier ? `classifier of ${v.labels.length || '?'} classes` : `outputs ${io.outputs.map((o) => o.name).join(', ')}`}`
            : `features ${v.inputSchema.features.map((f) => f.name).join(', ')}`;
          process.stdout.write(
            `registered models:/${name}/${v.version} (${v.format}: ${what})${v.aliases.length ? `; aliases ${v.aliases.join(', ')}` : ''}\n`,
          );
        });
      },
    );

  models
    .command('show <uri>')
    .description('show a version by URI: models:/iris@champion, models:/iris/3, models:/iris')
    .option('--db <url>', DB_HELP)
    .action(async (uri: string, opts: Opts) => {
      await withSession(opts, async (session) => {
        process.stdout.write(`${JSON.stringify(await session.models.resolve(uri), null, 2)}\n`);
      });
    });

  models
    .command('download <uri> <dir>')
    .description("write a version's files into a directory, whatever their format (lockstep, MLflow, …)")
    .option('--db <url>', DB_HELP)
    .action(async (uri: string, dir: string, opts: Opts) => {
      await withSession(opts, async (session) => {
        const version = await session.models.resolve(uri);
        await session.models.download(version, dir);
        const files = await session.models.files(version);
        process.stdout.write(
          `models:/${version.model}/${version.version} (${version.format}): ${files.length} file(s) in ${dir}\n`,
        );
      });
    });
}
