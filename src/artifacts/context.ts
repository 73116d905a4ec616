import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LockstepError } from '../errors.ts';
import type { Driver } from '../store/driver.ts';
import { checkDigest, insideRoot } from '../untrusted.ts';
import type { BlobStore } from './blobstore.ts';
import { digestBytes, digestFile } from './digest.ts';
import { type ArtifactLocations, openBlobStore } from './open.ts';
import { walkTree } from './paths.ts';
import { createArtifactTables } from './tables.ts';
import { recordUse } from './users.ts';

/** One file of a stored tree, as `stored_files` records it. */
export interface StoredFile {
  path: string;
  digest: string;
  size: number;
}

/** A file or directory stored as blobs: its kind, tree digest, total size and files. */
export interface StoredTree {
  kind: 'file' | 'dir';
  digest: string;
  size: number;
  files: StoredFile[];
}

export interface ArtifactOptions extends Partial<ArtifactLocations> {
  /** Refuse a single artifact or dataset larger than this (bytes). Default: `LOCKSTEP_MAX_ARTIFACT_BYTES` or 2 GiB. */
  maxBytes?: number;
}

/**
 * What artifacts, datasets and models share: the database, the blob store,
 * the local cache and the size limit.
 */
export class ArtifactContext {
  readonly maxBytes: number;
  private ready: Promise<void> | null = null;
  private store: BlobStore | null = null;
  private cache: string | null = null;
  private recorded: Promise<void> | null = null;

  /** `locate` runs once, in {@link init}: the blob store's location may be recorded in the database. */
  constructor(
    readonly driver: Driver,
    private readonly locate: () => Promise<ArtifactLocations>,
    /** The database's URL: recorded in the blob store, so that gc of another database sharing it sees our references. */
    readonly dbUrl: string,
    maxBytes?: number,
    /** Why this session cannot hold artifacts, when it cannot (a remote session). */
    private readonly unavailable?: string,
  ) {
    this.maxBytes = maxBytes ?? (Number(process.env.LOCKSTEP_MAX_ARTIFACT_BYTES) || 2 * 1024 ** 3);
  }

  /** Creates the tables and opens the blob store, once per context. */
  init(): Promise<void> {
    this.ready ??= (async () => {
      if (this.unavailable) throw new LockstepError('E_UNAVAILABLE', this.unavailable);
      await createArtifactTables(this.driver);
      const where = await this.locate();
      this.store = openBlobStore(where.blobs);
      this.cache = where.cache;
    })().catch((e) => {
      this.ready = null;
      throw e;
    });
    return this.ready;
  }

  /**
   * Every blob this database stores goes through here: the first one records
   * the database in the store, so that gc of another database sharing the
   * store sees its references (a session that stores nothing records nothing).
   */
  private async put(digest: string, path: string): Promise<void> {
    this.recorded ??= recordUse(this.blobs, this.dbUrl).catch((e) => {
      this.recorded = null;
      throw e;
    });
    await this.recorded;
    await this.blobs.putFile(digest, path);
  }

  /**
   * Makes a blob of another database's store present in this one (a copy of
   * an experiment between databases): nothing moves when it is there already,
   * as it is when both share one store.
   */
  async copyBlobFrom(other: ArtifactContext, digest: string): Promise<boolean> {
    await Promise.all([this.init(), other.init()]);
    if (await this.blobs.has(digest)) return false;
    const tmp = join(this.cacheDir, 'tmp', randomUUID());
    try {
      await other.blobs.getFile(digest, tmp);
      await this.put(digest, tmp);
    } finally {
      await rm(tmp, { force: true });
    }
    return true;
  }

  get blobs(): BlobStore {
    if (!this.store) throw new LockstepError('E_STORE', 'the artifact store is used before init()');
    return this.store;
  }

  get cacheDir(): string {
    if (this.cache === null) throw new LockstepError('E_STORE', 'the artifact store is used before init()');
    return this.cache;
  }

  /**
   * Hashes a file, a directory or bytes and puts every content in the blob
   * store. A directory's digest is the digest of its sorted manifest
   * (path, digest), so equal trees get equal digests wherever they live.
   */
  async storeTree(source: string | Uint8Array, what: string): Promise<StoredTree> {
    if (typeof source !== 'string') {
      if (!(source instanceof Uint8Array)) throw new LockstepError('E_INPUT', `${what}: expected a path or bytes`);
      this.checkSize(source.byteLength, what);
      const digest = digestBytes(source);
      if (!(await this.blobs.has(digest))) {
        const tmp = join(this.cacheDir, 'tmp', randomUUID());
        await mkdir(join(this.cacheDir, 'tmp'), { recursive: true });
        await writeFile(tmp, source);
        await this.put(digest, tmp).finally(() => rm(tmp, { force: true }));
      }
      return { kind: 'file', digest, size: source.byteLength, files: [{ path: '', digest, size: source.byteLength }] };
    }
    const tree = await walkTree(source);
    const size = tree.files.reduce((s, f) => s + f.size, 0);
    this.checkSize(size, what);
    const files: StoredFile[] = [];
    for (const f of tree.files) {
      const digest = await digestFile(f.abs);
      await this.put(digest, f.abs);
      files.push({ path: f.path, digest, size: f.size });
    }
    if (tree.kind === 'file') return { kind: 'file', digest: files[0]!.digest, size, files };
    return { kind: 'dir', digest: this.treeDigest(files), size, files };
  }

  /**
   * Puts a stream's bytes in the blob store without holding them in memory:
   * they go to a temporary file, hashed on the way. Past the size limit the
   * rest of the stream is read and dropped (an HTTP client still gets its
   * answer) and nothing is stored.
   */
  async storeStream(source: Readable, what: string): Promise<StoredFile> {
    await mkdir(join(this.cacheDir, 'tmp'), { recursive: true });
    const tmp = join(this.cacheDir, 'tmp', randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const out = createWriteStream(tmp);
        let failed: unknown = null;
        let ended = false;
        const fail = (e: unknown) => {
          failed ??= e;
          out.destroy();
          source.resume();
        };
        out.on('error', fail);
        source.on('data', (chunk: Buffer) => {
          if (failed) return;
          size += chunk.length;
          if (size > this.maxBytes) return fail(this.tooLarge(size, what, 'at least '));
          hash.update(chunk);
          if (!out.write(chunk)) {
            source.pause();
            out.once('drain', () => source.resume());
          }
        });
        source.on('end', () => {
          ended = true;
          if (failed) reject(failed);
          else out.end(() => (failed ? reject(failed) : resolve()));
        });
        // a client that goes away mid-upload leaves no blob behind
        const aborted = (e?: unknown) => {
          if (ended) return;
          ended = true;
          fail(e ?? new LockstepError('E_INPUT', `${what}: the upload stopped after ${size} bytes`));
          reject(failed);
        };
        source.on('error', aborted);
        source.on('close', () => aborted());
      });
      const digest = hash.digest('hex');
      await this.put(digest, tmp);
      return { path: '', digest, size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** A blob's bytes as a stream (a local store reads the blob in place; a remote one through a temporary copy). */
  async openBlob(digest: string): Promise<Readable> {
    const local = this.blobs.localPath?.(digest);
    if (local) {
      await stat(local).catch((e) => {
        throw new LockstepError('E_NOT_FOUND', `blob ${digest} is missing from ${this.blobs.location}`, { cause: e });
      });
      return createReadStream(local);
    }
    const tmp = join(this.cacheDir, 'tmp', randomUUID());
    await this.blobs.getFile(digest, tmp);
    const stream = createReadStream(tmp);
    stream.once('close', () => void rm(tmp, { force: true }));
    return stream;
  }

  private tooLarge(size: number, what: string, prefix = ''): LockstepError {
    return new LockstepError(
      'E_INPUT',
      `${what} is ${prefix}${size} bytes, over the limit of ${this.maxBytes} (set LOCKSTEP_MAX_ARTIFACT_BYTES to raise it)`,
      { details: { size, limit: this.maxBytes } },
    );
  }

  private checkSize(size: number, what: string): void {
    if (size > this.maxBytes) throw this.tooLarge(size, what);
  }

  /** Writes a stored tree's files under `dest` (a directory for a tree, a file path for a single file). */
  async materialise(tree: Pick<StoredTree, 'kind' | 'files'>, dest: string): Promise<void> {
    for (const f of tree.files) {
      // paths come from the database: checked again so that a tampered row cannot write outside `dest`
      const target = tree.kind === 'file' ? dest : insideRoot(dest, f.path, 'stored file');
      await this.blobs.getFile(f.digest, target);
    }
    if (tree.kind === 'dir' && tree.files.length === 0) await mkdir(dest, { recursive: true });
  }

  /**
   * A local copy of a tree in the cache, fetched once: it is built in a
   * temporary directory and renamed into place, so a concurrent or
   * interrupted fetch never leaves half a dataset behind a valid path.
   */
  async cached(tree: StoredTree, fileName: string): Promise<string> {
    const trees = join(this.cacheDir, 'trees');
    // the digest names a directory that is replaced below: a tampered row must not name another one
    const digest = checkDigest(tree.digest, 'sha256', 'stored tree', 'E_CODEC');
    const dir = join(trees, digest);
    const tmp = join(this.cacheDir, 'tmp', randomUUID());
    if (tree.kind === 'file') {
      const path = insideRoot(dir, fileName, 'cached file name');
      if (await exists(path)) return path;
      await this.blobs.getFile(digest, tmp);
      await mkdir(dir, { recursive: true });
      await rename(tmp, path);
      return path;
    }
    const marker = join(trees, `${digest}.ok`);
    if (await exists(marker)) return dir;
    await this.materialise(tree, tmp);
    await rm(dir, { recursive: true, force: true });
    await mkdir(trees, { recursive: true });
    await rename(tmp, dir);
    await writeFile(marker, '');
    return dir;
  }

  /** Inserts the files of an owner (replacing any it had), inside the caller's transaction. */
  async writeFiles(tx: Driver, owner: string, files: readonly StoredFile[]): Promise<void> {
    await tx.run('DELETE FROM stored_files WHERE owner = ?', [owner]);
    await tx.insert({
      table: 'stored_files',
      columns: ['owner', 'path', 'digest', 'size'],
      rows: files.map((f) => [owner, f.path, f.digest, f.size]),
    });
  }

  /** The digest of a directory: SHA-256 of its sorted manifest, so equal trees get equal digests wherever they live. */
  treeDigest(files: readonly StoredFile[]): string {
    const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return digestBytes(Buffer.from(sorted.map((f) => `${f.digest}  ${f.path}\n`).join('')));
  }

  async readFiles(owner: string): Promise<StoredFile[]> {
    const rows = await this.driver.all<{ path: string; digest: string; size: unknown }>(
      'SELECT path, digest, size FROM stored_files WHERE owner = ? ORDER BY path',
      [owner],
    );
    return rows.map((r) => ({ path: r.path, digest: r.digest, size: Number(r.size) }));
  }
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
