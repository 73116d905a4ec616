import type { Command } from 'commander';
import { LockstepError } from '../../errors.ts';
import { repoRoot } from '../../lock/git.ts';
import { pullTag } from '../../lock/pull.ts';
import { pushTag } from '../../lock/push.ts';
import { deleteTag, describeTags, readTag, TAG_PREFIX, tagRuns } from '../../lock/tag.ts';
import { createSession } from '../../session.ts';
import { outputMode, printRows } from '../format.ts';

interface TagOpts {
  message?: string;
  delete?: boolean;
  repo?: string;
  force?: boolean;
  db?: string;
  json?: boolean;
  csv?: boolean;
}

const DB_HELP = 'database URL, to find runs by lock id (default: $LOCKSTEP_DB or ./lockstep.db)';

/** `tag`, `push`, `pull`: pin runs with their lineage, and move them (code and data) between machines. */
export function registerTag(program: Command): void {
  program
    .command('tag [name] [runs...]')
    .description(
      'pin runs (run.lock paths, directories or lock ids) and their lineage under refs/lockstep/tags/NAME; ' +
        '`tag` alone lists the tags, `tag NAME` shows one, `tag -d NAME` deletes it',
    )
    .option('-m, --message <text>', 'what the tag is for (shown by `lockstep tag`)')
    .option('-d, --delete', 'delete the tag NAME (its ref; gc may then collect what only it kept)')
    .option('--repo <dir>', 'the git repository holding the tag (default: the first run’s, or the current one)')
    .option('--force', 'replace an existing tag')
    .option('--db <url>', DB_HELP)
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, runs: string[], opts: TagOpts) => {
      const repo = () => repoRoot(opts.repo ?? '.');
      if (name === undefined || (name === 'list' && runs.length === 0)) {
        if (opts.delete) throw new LockstepError('E_INPUT', 'tag --delete: name the tag to delete');
        const tags = await describeTags(await repo());
        const rows = tags.map((t) => ({ ...t, commit: t.commit.slice(0, 12) }));
        printRows(rows, ['name', 'created', 'locks', 'message', 'commit'], outputMode(opts));
        return;
      }
      if (opts.delete) {
        if (runs.length) throw new LockstepError('E_INPUT', `tag --delete ${name}: give only the tag name`);
        const commit = await deleteTag(await repo(), name);
        process.stdout.write(`deleted tag ${name} (was ${commit.slice(0, 12)})\n`);
        return;
      }
      if (runs.length === 0) {
        const tag = await readTag(await repo(), name);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ name, ...tag }, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `${TAG_PREFIX}${name} ${tag.commit.slice(0, 12)}${tag.message ? `: ${tag.message}` : ''}\n`,
        );
        for (const l of tag.locks) process.stdout.write(`  ${l.id.slice(0, 8)} ${l.name ?? ''} ${l.dir}\n`);
        return;
      }
      const session = await createSession(opts.db);
      try {
        const tag = await tagRuns(name, runs, {
          session,
          ...(opts.repo ? { repo: opts.repo } : {}),
          ...(opts.force ? { force: true } : {}),
          ...(opts.message ? { message: opts.message } : {}),
        });
        process.stdout.write(
          `${tag.ref} ${tag.commit.slice(0, 12)}: ${tag.locks.length} run lock(s), ${tag.code.length} code commit(s)\n`,
        );
        for (const l of tag.locks) process.stdout.write(`  ${l.id.slice(0, 8)} ${l.name ?? ''} ${l.dir}\n`);
      } finally {
        await session.close();
      }
    });

  program
    .command('push <name>')
    .description(
      "push a tag: its code commits to a git remote, its locked data and its runs' outputs to an rclone remote (content-addressed)",
    )
    .option('--git <remote>', 'git remote name or URL')
    .option('--data <remote>', 'rclone destination, e.g. s3remote:bucket/lockstep or /mnt/share/lockstep')
    .option('--repo <dir>', 'the git repository holding the tag (default: the current one)')
    .action(async (name: string, opts: { git?: string; data?: string; repo?: string }) => {
      const r = await pushTag(name, opts);
      process.stdout.write(
        `pushed ${name}${r.git ? ` to ${r.git}` : ''}${r.data ? `; data: ${r.files} file(s), ${r.bytes} bytes to ${r.data}` : ''}\n`,
      );
    });

  program
    .command('pull <name>')
    .description(
      'restore a tag into a directory: code from the git remote, data and outputs from the rclone remote, then verify every hash (exit 1 on drift)',
    )
    .requiredOption('--git <remote>', 'git remote URL (or path)')
    .requiredOption('--into <dir>', 'the directory to restore into')
    .option('--data <remote>', 'rclone source the data was pushed to')
    .action(async (name: string, opts: { git: string; data?: string; into: string }) => {
      const r = await pullTag(name, opts);
      process.stdout.write(
        `restored ${name} into ${r.into} at ${r.commit.slice(0, 12)} (${r.files} file(s) of data and outputs)\n`,
      );
      if (!opts.data) process.stdout.write("  no --data: the data and the runs' outputs were not restored\n");
      for (const d of r.restored) process.stdout.write(`  ${d.item}: ${d.actual} (expected ${d.expected})\n`);
      for (const v of r.verified) {
        const bad = v.drift.filter((d) => d.section !== 'env');
        process.stdout.write(
          `  ${v.lock.id.slice(0, 8)} ${v.lock.name ?? v.lock.dir}: ${bad.length ? bad.map((d) => `${d.section} ${d.item} drifted`).join(', ') : 'verified'}\n`,
        );
      }
      if (!r.ok) throw new LockstepError('E_RUN', `pull ${name}: restored files do not match their locks`);
    });
}
