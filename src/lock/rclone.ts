import { spawn } from 'node:child_process';
import { LockstepError } from '../errors.ts';
import { checkDigest } from '../untrusted.ts';

/** Runs rclone; a missing binary or a failed copy is an error with rclone's own message. */
export function rclone(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('rclone', args as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new LockstepError('E_UNAVAILABLE', 'rclone is not installed (Debian: apt-get install rclone)')
          : e,
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else {
        const msg = err
          .split('\n')
          .filter((l) => l.trim() && !l.includes('Config file') && !l.includes('NOTICE'))
          .slice(-3)
          .join(' | ');
        reject(new LockstepError('E_RUN', `rclone ${args[0]} failed (exit ${code}): ${msg || err.trim()}`));
      }
    });
  });
}

/** A remote location joined with a path (`remote:base` + `blobs` → `remote:base/blobs`). */
export function remoteJoin(base: string, ...parts: string[]): string {
  const b = base.replace(/\/+$/, '');
  const sep = b.endsWith(':') ? '' : '/';
  return `${b}${sep}${parts.join('/')}`;
}

/** One file of a tag's data, content-addressed: `blobs/<hash>` on the remote. */
export interface ManifestFile {
  path: string;
  hash: string;
  size: number;
}

export function blobName(hash: string): string {
  const hex = checkDigest(hash, 'xxh3', 'lock data hash').slice('xxh3:'.length);
  return `${hex.slice(0, 2)}/${hex}`;
}
