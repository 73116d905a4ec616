import type { Command } from 'commander';
import { LockstepError } from '../../errors.ts';
import { pullTag } from '../../lock/pull.ts';
import { pushTag } from '../../lock/push.ts';
import { listTags, tagRuns } from '../../lock/tag.ts';
import { createSession } from '../../session.ts';

const DB_HELP = 'database URL, to find runs by lock id (default: $LOCKSTEP_DB or ./lockstep.db)';

/** `tag`, `push`, `pull`: pin runs with their lineage, and move them (code and data) between machines. */
export function registerTag(program: Command): void {
  program
    .command('tag <name> [runs...]')
    .description(
      'pin runs (run.lock paths, directories or lock ids) and their lineage under refs/lockstep/tags/NAME; without runs, list tags',
    )
    .option('--repo <dir>', 'the git repository holding the tag (default: the first run’s)')
    .option('--force', 'replace an existing tag')
    .option('--db <url>', DB_HELP)
    .action(async (name: string, runs: string[], opts: { repo?: string; force?: boolean; db?: string }) => {
      if (runs.length === 0 && name === 'list') {
        for (const t of await listTags(opts.repo ?? '.')) process.stdout.write(`${t}\n`);
        return;
      }
      if (runs.length === 0)
        throw new LockstepError('E_INPUT', `tag ${name}: name the runs to pin (or \`lockstep tag list\`)`);
      const session = await createSession(opts.db);
      try {
        const tag = await tagRuns(name, runs, {
          session,
          ...(opts.repo ? { repo: opts.repo } : {}),
          ...(opts.force ? { force: true } : {}),
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
      'push a tag: its code commits to a git remote, its locked data to an rclone remote (content-addressed)',
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
      'restore a tag into a directory: code from the git remote, data from the rclone remote, then verify every hash',
    )
    .requiredOption('--git <remote>', 'git remote URL (or path)')
    .requiredOption('--into <dir>', 'the directory to restore into')
    .option('--data <remote>', 'rclone source the data was pushed to')
    .action(async (name: string, opts: { git: string; data?: string; into: string }) => {
      const r = await pullTag(name, opts);
      process.stdout.write(`restored ${name} into ${r.into} at ${r.commit.slice(0, 12)} (${r.files} data file(s))\n`);
      for (const v of r.verified) {
        const bad = v.drift.filter((d) => d.section !== 'env');
        process.stdout.write(
          `  ${v.lock.id.slice(0, 8)} ${v.lock.name ?? v.lock.dir}: ${bad.length ? bad.map((d) => `${d.section} ${d.item} drifted`).join(', ') : 'verified'}\n`,
        );
      }
      if (!r.ok) throw new LockstepError('E_RUN', `pull ${name}: restored files do not match their locks`);
    });
}
