import type { StoredFile } from '../../artifacts/context.ts';
import type { ExperimentRecord } from '../../store/store.ts';
import type { ServerContext } from '../context.ts';
import { invalid, mlflowState, notFound, type RunLocator } from './ids.ts';

/**
 * MLflow's check of an artifact path (mlflow/utils/uri.py validate_path_is_safe):
 * percent-decoded, no `#`, no backslash, no `..` segment, not absolute; else
 * 400 "Invalid path". Returns the path without leading or trailing slashes.
 */
export function safePath(raw: string): string {
  let path = raw;
  for (let i = 0; i < 3 && /%[0-9a-fA-F]{2}/.test(path); i++) {
    try {
      path = decodeURIComponent(path);
    } catch {
      throw invalid('Invalid path');
    }
  }
  if (
    path.includes('#') ||
    path.includes('\\') ||
    path.includes('\u0000') ||
    path.startsWith('/') ||
    /^[a-zA-Z]:/.test(path) ||
    path.split('/').some((s) => s === '..')
  )
    throw invalid('Invalid path');
  return path
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

/** Where an `mlflow-artifacts:` location points inside the proxy: `mlflow-artifacts://host/a/b` → `a/b`. */
export function proxyRoot(location: string): string | null {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(location);
  return m ? (m[1] as string).replace(/\/+$/, '') : null;
}

/** The files behind a path of the artifact proxy, and whether it may be written to. */
export type ArtifactTarget =
  | { kind: 'run'; exp: ExperimentRecord; runId: string; path: string }
  | { kind: 'owner'; owner: string; path: string; writable: boolean; experimentId?: string };

/** Model versions' files are read through the proxy at `model-versions/<id>/…` (the registry's download URI). */
export const VERSION_ROOT = 'model-versions';

/**
 * Resolves a proxy path: `<experiment root>/<run id>/artifacts/<path>` (a
 * run's artifacts), `<experiment root>/models/<model id>/artifacts/<path>`
 * (an MLflow 3 logged model) or `model-versions/<version id>/<path>` (a
 * registered version, read-only). Anything else is refused: lockstep keeps
 * artifacts per run, not as free paths.
 */
export async function resolveTarget(
  ctx: ServerContext,
  runs: RunLocator,
  path: string,
  loggedModel: (id: string) => Promise<{ experimentId: string; root: string } | undefined>,
): Promise<ArtifactTarget> {
  const parts = path.split('/');
  if (parts[0] === VERSION_ROOT && parts.length >= 2) {
    const [row] = await ctx.store.driver.all('SELECT id FROM model_versions WHERE id = ?', [parts[1]]);
    if (!row) throw notFound(`No model version with id ${parts[1]}`);
    return { kind: 'owner', owner: parts[1] as string, path: parts.slice(2).join('/'), writable: false };
  }
  const at = parts.indexOf('artifacts');
  if (at >= 1) {
    const id = parts[at - 1] as string;
    const prefix = parts.slice(0, at - 1).join('/');
    const rest = parts.slice(at + 1).join('/');
    if (parts[at - 2] === 'models' && id.startsWith('m-')) {
      const model = await loggedModel(id);
      if (model && proxyRoot(model.root) === parts.slice(0, at + 1).join('/'))
        return { kind: 'owner', owner: id, path: rest, writable: true, experimentId: model.experimentId };
    } else {
      const exp = await runs.locate(id).catch(() => undefined);
      if (exp && proxyRoot(mlflowState(exp).artifactLocation) === prefix)
        return { kind: 'run', exp, runId: id, path: rest };
    }
  }
  throw notFound(`No artifacts at '${path}': lockstep keeps artifacts per run (<experiment>/<run id>/artifacts/…)`);
}

export interface ListedFile {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/**
 * The entries directly under `dir` among flat file paths, as MLflow lists a
 * directory: files with their size, directories without. A path that names
 * a file lists nothing.
 */
export function listLevel(files: readonly StoredFile[], dir: string): ListedFile[] {
  const out = new Map<string, ListedFile>();
  for (const f of files) {
    if (dir && !f.path.startsWith(`${dir}/`)) continue;
    const rest = dir ? f.path.slice(dir.length + 1) : f.path;
    const [first, ...more] = rest.split('/');
    const path = dir ? `${dir}/${first}` : (first as string);
    out.set(path, more.length ? { path, is_dir: true } : { path, is_dir: false, file_size: f.size });
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}
