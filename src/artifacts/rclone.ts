import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { LockstepError } from '../errors.ts';
import { type BlobInfo, type BlobStore, blobKey, userFile } from './blobstore.ts';
import { isDigest } from './digest.ts';

const run = promisify(execFile);

/**
 * Blobs on any rclone remote (`s3:bucket/lockstep`, `gdrive:ml`, `:local:/srv/blobs`),
 * through the `rclone` binary: teams share one store without lockstep
 * knowing each cloud's API.
 */
export class RcloneBlobStore implements BlobStore {
  private readonly base: string;

  constructor(readonly remote: string) {
    this.base = remote.endsWith('/') || remote.endsWith(':') ? remote : `${remote}/`;
  }

  get location(): string {
    return this.remote;
  }

  private async rclone(args: string[]): Promise<string> {
    try {
      const { stdout } = await run('rclone', args, { maxBuffer: 1 << 28 });
      return stdout;
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === 'ENOENT') {
        throw new LockstepError(
          'E_UNAVAILABLE',
          'rclone is not installed; install it (apt-get install rclone) or use a local blob directory',
          { cause: e },
        );
      }
      throw new LockstepError(
        'E_STORE',
        `rclone ${args[0]} failed on ${this.remote}: ${(err.stderr ?? err.message).trim()}`,
        { cause: e },
      );
    }
  }

  async has(digest: string): Promise<boolean> {
    const out = await this.rclone(['lsjson', `${this.base}${blobKey(digest).slice(0, 2)}`, '--files-only']).catch(
      () => '[]',
    );
    return (JSON.parse(out) as { Name: string }[]).some((f) => f.Name === digest);
  }

  async putFile(digest: string, path: string): Promise<void> {
    // copyto checks size and modification time itself; --ignore-existing keeps an existing blob untouched
    await this.rclone(['copyto', '--ignore-existing', path, `${this.base}${blobKey(digest)}`]);
  }

  async getFile(digest: string, dest: string): Promise<void> {
    await mkdir(dirname(dest), { recursive: true });
    await this.rclone(['copyto', `${this.base}${blobKey(digest)}`, dest]);
  }

  async list(): Promise<BlobInfo[]> {
    const out = await this.rclone(['lsjson', '-R', '--files-only', this.base]).catch((e) => {
      if (e instanceof LockstepError && /directory not found/i.test(e.message)) return '[]';
      throw e;
    });
    return (JSON.parse(out) as { Name: string; Size: number; ModTime: string }[])
      .filter((f) => isDigest(f.Name))
      .map((f) => ({ digest: f.Name, size: f.Size, modifiedAt: new Date(f.ModTime) }));
  }

  async users(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const list = await this.rclone(['lsjson', '--files-only', `${this.base}databases`]).catch(() => '[]');
    for (const f of JSON.parse(list) as { Name: string }[]) {
      const m = /^([0-9a-f]{16,64})\.json$/.exec(f.Name);
      if (m) out.set(m[1] as string, await this.rclone(['cat', `${this.base}databases/${f.Name}`]).catch(() => ''));
    }
    return out;
  }

  async addUser(id: string, record: string): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'lockstep-user-'));
    try {
      await writeFile(join(dir, 'r.json'), record);
      await this.rclone(['copyto', '--ignore-existing', join(dir, 'r.json'), `${this.base}databases/${userFile(id)}`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async removeUser(id: string): Promise<void> {
    await this.rclone(['deletefile', `${this.base}databases/${userFile(id)}`]).catch(() => undefined);
  }

  async delete(digest: string): Promise<void> {
    await this.rclone(['deletefile', `${this.base}${blobKey(digest)}`]).catch((e) => {
      if (!(e instanceof LockstepError && /not found/i.test(e.message))) throw e;
    });
  }
}
