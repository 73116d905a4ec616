import type { Run } from './run.ts';

/** An artifact as a run's artifact list shows it. */
export interface ArtifactInfo {
  name: string;
  kind: 'file' | 'dir';
  /** SHA-256 of the file, or of the sorted manifest of a directory. */
  digest: string;
  size: number;
  fileCount: number;
  createdAt: Date;
}

/**
 * What a run may ask of the session that executes it, without knowing about
 * databases: store an artifact, use a registered dataset. The experiment sets
 * it on the runs it executes in this process; a run without it (a worker, a
 * run built by hand) gets a clear error from `logArtifact` and `useDataset`.
 */
export interface RunServices {
  logArtifact(run: Run, name: string, source: string | Uint8Array): Promise<ArtifactInfo>;
  useDataset(run: Run, name: string, version?: string): Promise<string>;
}
