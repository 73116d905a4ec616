import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { LockstepError } from '../../errors.ts';
import type { OnnxSchema } from './model.ts';

const KEYS = ['features', 'labels', 'target'] as const;

/**
 * Reads a schema file given at registration (JSON or YAML):
 * `{ features: [names of the input's columns], labels: [class names], target: column }`,
 * each optional. An unknown key or a value of the wrong kind names itself.
 */
export async function readSchemaFile(path: string): Promise<Partial<OnnxSchema>> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(path, 'utf8'));
  } catch (e) {
    throw new LockstepError('E_INPUT', `--schema ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new LockstepError('E_INPUT', `--schema ${path}: expected an object with ${KEYS.join(', ')}`);
  const out: Partial<OnnxSchema> = {};
  for (const [key, value] of Object.entries(doc)) {
    const names = Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '');
    if (key === 'features' || key === 'labels') {
      if (!names) throw new LockstepError('E_INPUT', `--schema ${path}: "${key}" must be a list of names`);
      out[key] = value as string[];
    } else if (key === 'target') {
      if (typeof value !== 'string')
        throw new LockstepError('E_INPUT', `--schema ${path}: "target" must be a column name`);
      out.target = value;
    } else throw new LockstepError('E_INPUT', `--schema ${path}: unknown key "${key}" (expected ${KEYS.join(', ')})`);
  }
  return out;
}
