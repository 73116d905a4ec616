import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LockstepError } from '../errors.ts';
import { type BlobInfo, type BlobStore, blobKey, userFile } from './blobstore.ts';
import { isDigest } from './digest.ts';

/**
 * Blobs in a local directory, `<root>/ab/abcdef…`. Writes go to a temporary
 * name first and are renamed into place, so a crash never leaves a truncated
 * blob under a valid digest.
 */
export class LocalBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  localPath(digest: string): string {
    return join(this.root, ...blobKey(digest).split('/'));
  }

  async has(digest: string): Promise<boolean> {
    return stat(this.localPath(digest)).then(
      () => true,
      () => false,
    );
  }

  async putFile(digest: string, path: string): Promise<void> {
    if (await this.has(digest)) {
      // a blob used again is young again: gc's grace period then covers the row about to reference it
      const now = new Date();
      await utimes(this.localPath(digest), now, now).catch(() => undefined);
      return;
    }
    const dest = this.localPath(digest);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.${randomUUID()}.tmp`;
    try {
      await copyFile(path, tmp);
      await rename(tmp, dest);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw new LockstepError('E_STORE', `cannot store blob ${digest} in ${this.root}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  async getFile(digest: string, dest: string): Promise<void> {
    await mkdir(dirname(dest), { recursive: true });
    try {
      await copyFile(this.localPath(digest), dest);
    } catch (e) {
      throw new LockstepError('E_NOT_FOUND', `blob ${digest} is missing from ${this.root}`, { cause: e });
    }
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    const fans = await readdir(this.root).catch(() => [] as string[]);
    for (const fan of fans) {
      if (!/^[0-9a-f]{2}$/.test(fan)) continue;
      for (const name of await readdir(join(this.root, fan)).catch(() => [] as string[])) {
        if (!isDigest(name)) continue;
        const info = await stat(join(this.root, fan, name));
        out.push({ digest: name, size: info.size, modifiedAt: info.mtime });
      }
    }
    return out;
  }

  async users(): Promise<Map<string, string>> {
    const dir = join(this.root, 'databases');
    const out = new Map<string, string>();
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const m = /^([0-9a-f]{16,64})\.json$/.exec(name);
      if (m) out.set(m[1] as string, await readFile(join(dir, name), 'utf8').catch(() => ''));
    }
    return out;
  }

  async addUser(id: string, record: string): Promise<void> {
    const file = join(this.root, 'databases', userFile(id));
    if (
      await stat(file).then(
        () => true,
        () => false,
      )
    )
      return;
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, record);
    await rename(tmp, file);
  }

  async removeUser(id: string): Promise<void> {
    await unlink(join(this.root, 'databases', userFile(id))).catch(() => undefined);
  }

  async delete(digest: string): Promise<void> {
    await unlink(this.localPath(digest)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}
