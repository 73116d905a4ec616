import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ArtifactInfo } from '../core/services.ts';
import { LockstepError } from '../errors.ts';
import { checkRelativeName } from '../untrusted.ts';
import type { ArtifactContext, StoredFile, StoredTree } from './context.ts';
import { under } from './paths.ts';

interface ArtifactRow {
  id: string;
  name: string;
  kind: 'file' | 'dir';
  digest: string;
  size: unknown;
  file_count: unknown;
  created_at: unknown;
}

/**
 * Per-run artifacts: files and directories stored once per content in the
 * blob store, listed per run with size and digest, downloaded by name.
 *
 * @example
 * ```ts
 * const list = await session.artifacts.list(run.id);
 * await session.artifacts.download(run.id, 'model.json', './out/model.json');
 * ```
 */
export class ArtifactStore {
  /** @internal use `session.artifacts` */
  constructor(private readonly ctx: ArtifactContext) {}

  /** Stores a file, a directory or bytes as the artifact `name` of a run (replacing one of that name). */
  async log(experimentId: string, runId: string, name: string, source: string | Uint8Array): Promise<ArtifactInfo> {
    const clean = checkRelativeName(name, 'artifact name');
    await this.ctx.init();
    return this.record(experimentId, runId, clean, await this.ctx.storeTree(source, `artifact "${clean}"`));
  }

  /**
   * Stores a stream (an upload) as the file artifact `name` of a run without
   * holding it in memory; over the size limit nothing is stored.
   */
  async logStream(experimentId: string, runId: string, name: string, source: Readable): Promise<ArtifactInfo> {
    const clean = checkRelativeName(name, 'artifact name');
    await this.ctx.init();
    const file = await this.ctx.storeStream(source, `artifact "${clean}"`);
    return this.record(experimentId, runId, clean, {
      kind: 'file',
      digest: file.digest,
      size: file.size,
      files: [file],
    });
  }

  /** Every file of a run's artifacts, directories opened up: `model/MLmodel` for a file inside the artifact `model`. */
  async allFiles(runId: string): Promise<StoredFile[]> {
    await this.ctx.init();
    const rows = await this.ctx.driver.all<{ name: string; path: string; digest: string; size: unknown }>(
      'SELECT a.name, f.path, f.digest, f.size FROM artifacts a JOIN stored_files f ON f.owner = a.id WHERE a.run_id = ?',
      [runId],
    );
    return rows
      .map((r) => ({ path: r.path ? `${r.name}/${r.path}` : r.name, digest: r.digest, size: Number(r.size) }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Deletes the run's artifacts named `path` or under it (every artifact when `path` is ""); gc frees the blobs. */
  async remove(runId: string, path: string): Promise<number> {
    const clean = path === '' ? '' : checkRelativeName(path, 'artifact name');
    await this.ctx.init();
    return this.ctx.driver.transaction(async (tx) => {
      const rows = await tx.all<{ id: string; name: string }>('SELECT id, name FROM artifacts WHERE run_id = ?', [
        runId,
      ]);
      const gone = rows.filter((r) => clean === '' || r.name === clean || r.name.startsWith(`${clean}/`));
      for (const r of gone) {
        await tx.run('DELETE FROM stored_files WHERE owner = ?', [r.id]);
        await tx.run('DELETE FROM artifacts WHERE id = ?', [r.id]);
      }
      return gone.length;
    });
  }

  private async record(experimentId: string, runId: string, clean: string, tree: StoredTree): Promise<ArtifactInfo> {
    const id = randomUUID();
    const createdAt = new Date();
    const d = this.ctx.driver.dialect;
    await this.ctx.driver.transaction(async (tx) => {
      const old = await tx.all<{ id: string }>('SELECT id FROM artifacts WHERE run_id = ? AND name = ?', [
        runId,
        clean,
      ]);
      for (const o of old) {
        await tx.run('DELETE FROM stored_files WHERE owner = ?', [o.id]);
        await tx.run('DELETE FROM artifacts WHERE id = ?', [o.id]);
      }
      await tx.run(
        'INSERT INTO artifacts (id, experiment_id, run_id, name, kind, digest, size, file_count, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          id,
          experimentId,
          runId,
          clean,
          tree.kind,
          tree.digest,
          tree.size,
          tree.files.length,
          d.toParam('date', createdAt),
        ],
      );
      await this.ctx.writeFiles(tx, id, tree.files);
    });
    return {
      name: clean,
      kind: tree.kind,
      digest: tree.digest,
      size: tree.size,
      fileCount: tree.files.length,
      createdAt,
    };
  }

  /** The full id of the run whose id starts with `prefix` and that has artifacts. */
  async resolveRun(prefix: string): Promise<string> {
    await this.ctx.init();
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(prefix))
      throw new LockstepError('E_INPUT', `"${prefix}" is not a run id or prefix`);
    const rows = await this.ctx.driver.all<{ run_id: string }>(
      'SELECT DISTINCT run_id FROM artifacts WHERE run_id LIKE ? ORDER BY run_id LIMIT 2',
      [`${prefix}%`],
    );
    if (rows.length === 0)
      throw new LockstepError('E_NOT_FOUND', `no run with artifacts has an id starting with "${prefix}"`);
    if (rows.length > 1) throw new LockstepError('E_INPUT', `"${prefix}" matches several runs; give more of the id`);
    return (rows[0] as { run_id: string }).run_id;
  }

  /** The artifacts of a run, by name. */
  async list(runId: string): Promise<ArtifactInfo[]> {
    await this.ctx.init();
    const rows = await this.ctx.driver.all<ArtifactRow>('SELECT * FROM artifacts WHERE run_id = ? ORDER BY name', [
      runId,
    ]);
    return rows.map((r) => this.info(r));
  }

  private info(r: ArtifactRow): ArtifactInfo {
    return {
      name: r.name,
      kind: r.kind,
      digest: r.digest,
      size: Number(r.size),
      fileCount: Number(r.file_count),
      createdAt: this.ctx.driver.dialect.fromColumn('date', r.created_at) as Date,
    };
  }

  private async row(runId: string, name: string): Promise<ArtifactRow> {
    const clean = checkRelativeName(name, 'artifact name');
    await this.ctx.init();
    const [row] = await this.ctx.driver.all<ArtifactRow>('SELECT * FROM artifacts WHERE run_id = ? AND name = ?', [
      runId,
      clean,
    ]);
    if (!row) {
      const names = (await this.list(runId)).map((a) => a.name);
      throw new LockstepError(
        'E_NOT_FOUND',
        `run ${runId} has no artifact "${clean}"${names.length ? ` (artifacts: ${names.join(', ')})` : ' (it has no artifacts)'}`,
        { details: { runId, name: clean } },
      );
    }
    return row;
  }

  /** The files of an artifact: one with path "" for a file, one per file for a directory. */
  async files(runId: string, name: string): Promise<StoredFile[]> {
    return this.ctx.readFiles((await this.row(runId, name)).id);
  }

  /**
   * Writes an artifact to `dest` (a file path for a file artifact, a
   * directory for a directory artifact) and returns `dest`.
   */
  async download(runId: string, name: string, dest: string): Promise<string> {
    const row = await this.row(runId, name);
    await this.ctx.materialise({ kind: row.kind, files: await this.ctx.readFiles(row.id) }, dest);
    return dest;
  }

  /** The bytes of a file artifact, or of one file (`path`) inside a directory artifact. */
  async read(runId: string, name: string, path = ''): Promise<Buffer> {
    const row = await this.row(runId, name);
    const inner = path === '' ? '' : checkRelativeName(path, 'artifact file');
    const file = (await this.ctx.readFiles(row.id)).find((f) => f.path === inner);
    if (!file) throw new LockstepError('E_NOT_FOUND', `artifact "${row.name}" has no file "${path}"`);
    const local = this.ctx.blobs.localPath?.(file.digest);
    if (local) return readFile(local);
    const tmp = under(this.ctx.cacheDir, `tmp/${randomUUID()}`);
    await this.ctx.blobs.getFile(file.digest, tmp);
    try {
      return await readFile(tmp);
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
