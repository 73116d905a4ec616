import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Blobs are addressed by SHA-256: content addressing needs a hash nobody can
 * collide on purpose, since two different files with one digest would share
 * one blob. (The run lock's fast XXH3 answers a different question: "did this
 * file change?")
 */
export function digestBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Streams a file through SHA-256, so that a large file never sits in memory. */
export async function digestFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function isDigest(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}
