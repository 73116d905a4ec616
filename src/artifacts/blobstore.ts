import { LockstepError } from '../errors.ts';
import { checkDigest } from '../untrusted.ts';

/** A stored blob: its digest and size in bytes. */
export interface BlobInfo {
  digest: string;
  size: number;
  /** When the blob was written, when the store knows. */
  modifiedAt?: Date;
}

/**
 * Where blob contents live, addressed by their SHA-256 digest. Each content is
 * stored once, however many artifacts, datasets and models name it. Two
 * implementations: a local directory and any rclone remote.
 */
export interface BlobStore {
  /** A human-readable location for messages. */
  readonly location: string;
  has(digest: string): Promise<boolean>;
  /** Stores a file under its digest (already computed by the caller); a no-op when the blob exists. */
  putFile(digest: string, path: string): Promise<void>;
  /** Copies the blob to a local file (created with its parent directories). */
  getFile(digest: string, dest: string): Promise<void>;
  /** Every blob in the store. */
  list(): Promise<BlobInfo[]>;
  delete(digest: string): Promise<void>;
  /** A local path to read the blob from directly, when the store is local (no copy needed). */
  localPath?(digest: string): string;
  /**
   * The databases that reference blobs here (`<store>/databases/<id>.json`,
   * beside the blobs), so that gc on any of them sees every reference.
   */
  users(): Promise<Map<string, string>>;
  addUser(id: string, record: string): Promise<void>;
  removeUser(id: string): Promise<void>;
}

/** The file name of a database's record in a store's `databases/` folder. */
export function userFile(id: string): string {
  if (!/^[0-9a-f]{16,64}$/.test(id)) throw new LockstepError('E_CODEC', `"${id}" is not a database record id`);
  return `${id}.json`;
}

/**
 * `ab/abcdef…`: two hex characters of fan-out keep directories small. Every
 * blob path goes through here, so a digest from a tampered row never names a
 * path outside the store.
 */
export function blobKey(digest: string): string {
  checkDigest(digest, 'sha256', 'blob', 'E_CODEC');
  return `${digest.slice(0, 2)}/${digest}`;
}
