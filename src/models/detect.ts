import { parse as parseYaml } from 'yaml';
import type { StoredFile } from '../artifacts/context.ts';
import { LockstepError } from '../errors.ts';
import { checkModelFile, type ModelFile } from './format.ts';

/**
 * What a version's files are, recorded with the version (`model_versions.format`):
 * - `lockstep`: a lockstep model file (docs/model-file-format.md), which `serve` serves;
 * - `mlflow`: an MLflow model directory (an `MLmodel` file and its flavors' files);
 * - `files`: files lockstep does not recognise;
 * - `external`: no files in lockstep: the version points at a location outside it (`source`).
 * `serve` serves the formats in {@link SERVABLE}; every version is listed and its files downloadable.
 */
export type ModelFormat = 'lockstep' | 'mlflow' | 'files' | 'external';

export const SERVABLE: ReadonlySet<string> = new Set<ModelFormat>(['lockstep']);

/** The format of a version and what the registry records from its files. */
export interface Detected {
  format: ModelFormat;
  /** The ml.js algorithm, or an MLflow model's flavors (`python_function, sklearn`). */
  algorithm: string;
  inputSchema: { features: { name: string; type: 'number' }[] };
  labels: string[];
  /** The lockstep model file, when that is what the files are. */
  file?: ModelFile;
}

const NOTHING = { algorithm: '', inputSchema: { features: [] }, labels: [] };
/** Larger files are never read to find out what they are. */
const MAX_SNIFF = 64 * 1024 * 1024;

/** Reads as much of the files as it takes to know their format. */
export async function detectFormat(
  files: readonly StoredFile[],
  read: (file: StoredFile) => Promise<Buffer>,
): Promise<Detected> {
  if (files.length === 0) return { format: 'external', ...NOTHING };
  const mlmodel = files.find((f) => f.path === 'MLmodel');
  if (mlmodel && mlmodel.size <= MAX_SNIFF) {
    const meta = parseMlmodel((await read(mlmodel)).toString('utf8'));
    if (meta) return { format: 'mlflow', algorithm: meta.flavors.join(', '), inputSchema: meta.inputs, labels: [] };
  }
  const json = files.length === 1 ? files[0] : files.find((f) => f.path === 'model.json');
  if (json && json.size <= MAX_SNIFF && (json.path === '' || json.path.endsWith('.json'))) {
    try {
      const file = checkModelFile(JSON.parse((await read(json)).toString('utf8')), 'model');
      return {
        format: 'lockstep',
        algorithm: file.algorithm,
        inputSchema: { features: file.features.map((name) => ({ name, type: 'number' as const })) },
        labels: file.labels,
        file,
      };
    } catch (e) {
      if (!(e instanceof SyntaxError || e instanceof LockstepError)) throw e;
    }
  }
  return { format: 'files', ...NOTHING };
}

const NUMERIC = new Set(['double', 'float', 'long', 'integer']);

/** An MLmodel file's flavors, and its signature's inputs when they are all numbers. */
function parseMlmodel(text: string): { flavors: string[]; inputs: Detected['inputSchema'] } | null {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return null;
  }
  const flavors = (doc as { flavors?: unknown })?.flavors;
  if (!flavors || typeof flavors !== 'object') return null;
  const inputs: Detected['inputSchema'] = { features: [] };
  try {
    const raw = (doc as { signature?: { inputs?: string } }).signature?.inputs;
    const cols = typeof raw === 'string' ? (JSON.parse(raw) as { name?: string; type?: string }[]) : [];
    if (cols.length && cols.every((c) => typeof c.name === 'string' && NUMERIC.has(c.type ?? '')))
      inputs.features = cols.map((c) => ({ name: c.name as string, type: 'number' }));
  } catch {
    // a signature lockstep cannot read is left out
  }
  return { flavors: Object.keys(flavors), inputs };
}

/** Why `serve` cannot serve a version, and what can be done with its files instead. */
export function unservable(v: {
  model: string;
  version: number;
  format: string;
  algorithm: string;
  source: string | null;
}): LockstepError {
  const where = `models:/${v.model}/${v.version}`;
  const what =
    v.format === 'mlflow'
      ? `an MLflow model (flavors: ${v.algorithm || 'none'})`
      : v.format === 'external'
        ? `a reference to ${v.source ?? 'files outside lockstep'}`
        : 'files in a format lockstep does not know';
  return new LockstepError(
    'E_INPUT',
    `${where} is ${what}; lockstep serve cannot serve it (it serves lockstep model files, see docs/model-file-format.md). ` +
      `Its files stay listed and downloadable: lockstep models download ${where} DIR, or MLflow's download_artifacts.`,
    { details: { name: v.model, version: v.version, format: v.format } },
  );
}
