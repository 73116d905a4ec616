import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { product } from '../core/grid.ts';
import { LockstepError } from '../errors.ts';
import type { CliArgs } from './args.ts';
import { coerce } from './coerce.ts';
import { loadConfigFile, merge, setPath, unflatten } from './file.ts';
import { interpolate, type Tracked } from './interpolate.ts';
import { type AnySchema, checkKeys, fieldsOf, schemaAt, typeOf } from './schema.ts';

/** Config keys taken as the run's output directory, where run.lock goes. */
export const OUT_KEYS = ['save_dir', 'saveDir', 'out_dir', 'outDir', 'output_dir', 'outputDir'];

/** One task of a sweep: the swept values and the full config they give. */
export interface TaskPlan {
  params: Record<string, unknown>;
  config: Record<string, unknown>;
  outDir: string | null;
}

/** Everything a `cli` invocation will do, decided (and checked) before anything runs. */
export interface Plan {
  /** The resolved config without sweep values (the sweep's own config). */
  config: Record<string, unknown>;
  /** The config as given, before validation and defaults (what tasks are merged into). */
  raw: Record<string, unknown>;
  outKey: string | null;
  outDir: string | null;
  /** Null for a single run. */
  tasks: TaskPlan[] | null;
  tracked: Tracked;
}

/** Validates a config against the schema; the first problem becomes one message naming key, value and expectation. */
export function validate(schema: AnySchema, raw: Record<string, unknown>, where: string): Record<string, unknown> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data as Record<string, unknown>;
  const issue = r.error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  let got: unknown = raw;
  for (const p of issue?.path ?? [])
    got = got && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[p as PropertyKey] : undefined;
  const shown = got === undefined ? 'nothing (the key is missing)' : JSON.stringify(got);
  throw new LockstepError('E_INPUT', `${where}: config key "${path}" got ${shown}: ${issue?.message ?? 'invalid'}`, {
    details: { key: path, value: got },
  });
}

function coerceKeys(schema: AnySchema, raw: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of keys) {
    if (key === '' || key.includes('[')) continue;
    const s = schemaAt(schema, key, 'interpolation');
    const t = typeOf(s);
    if (t === 'string') continue;
    let v: unknown = raw;
    for (const p of key.split('.')) v = (v as Record<string, unknown>)?.[p];
    if (typeof v === 'string') setPath(raw, key, coerce(s, key, v, `interpolated config key "${key}"`));
  }
}

/** The values of `--tasks FILE`: a YAML list, or one value per line (blank lines and # comments skipped). */
function readTasks(path: string, key: string, schema: AnySchema): unknown[] {
  const s = schemaAt(schema, key, '--task-to');
  if (!existsSync(path) || !statSync(path).isFile())
    throw new LockstepError('E_INPUT', `--tasks: no such file ${path}`);
  const text = readFileSync(path, 'utf8');
  let yaml: unknown;
  try {
    yaml = parseYaml(text);
  } catch {
    yaml = undefined; // not YAML: one value per line
  }
  const values = Array.isArray(yaml)
    ? yaml.map((v) => (typeof v === 'string' ? coerce(s, key, v, `--tasks ${path}`) : v))
    : text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => coerce(s, key, l, `--tasks ${path}`));
  if (values.length === 0) throw new LockstepError('E_INPUT', `--tasks: ${path} lists no tasks`);
  return values;
}

function slug(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(',')
    .replace(/[^A-Za-z0-9._=,+-]/g, '_')
    .slice(0, 200);
}

/**
 * The config of one task: the sweep's config with the task's values merged
 * in. Tasks that would share the sweep's output directory get a subdirectory
 * each (named by their values), so that each has its own run.lock.
 */
export function taskConfig(
  schema: AnySchema,
  base: Record<string, unknown>,
  params: Record<string, unknown>,
  outKey: string | null,
): TaskPlan {
  let cfg = validate(schema, merge(base, unflatten(params)), `task ${slug(params)}`);
  let dir = outKey && typeof cfg[outKey] === 'string' ? (cfg[outKey] as string) : null;
  if (dir !== null && outKey && dir === base[outKey] && !Object.hasOwn(params, outKey)) {
    dir = join(dir, slug(params));
    cfg = { ...cfg, [outKey]: dir };
  }
  return { params, config: cfg, outDir: dir };
}

/**
 * Resolves the command line into configs: file (and section), typed
 * overrides, interpolations, schema defaults and validation, then one config
 * per task of the sweep. Any bad input throws E_INPUT here, before a run starts.
 */
export function plan(schema: AnySchema, args: CliArgs, options: { outKey?: string; now?: Date } = {}): Plan {
  const now = options.now ?? new Date();
  let raw: Record<string, unknown> = {};
  if (args.config) {
    raw = loadConfigFile(args.config, args.select);
    checkKeys(schema, raw, `--config ${args.config}${args.select ? ` --select ${args.select}` : ''}`);
  }
  raw = structuredClone(raw);
  for (const [key, text] of args.overrides) {
    const s = schemaAt(schema, key, `-o ${key}`);
    setPath(raw, key, coerce(s, key, text, '-o'));
  }
  const tracked: Tracked = { data: [], prevs: [], keys: [] };
  raw = interpolate(raw, tracked, now) as Record<string, unknown>;
  coerceKeys(schema, raw, tracked.keys);
  // Defaults may hold interpolations too (`${now:…}` in an output directory): resolve them after validation.
  const firstKeys = tracked.keys.length;
  let config = interpolate(validate(schema, raw, 'config'), tracked, now) as Record<string, unknown>;
  if (tracked.keys.length > firstKeys) {
    coerceKeys(schema, config, tracked.keys.slice(firstKeys));
    config = validate(schema, config, 'config');
  }
  const fields = fieldsOf(schema) ?? {};
  const outKey = options.outKey ?? OUT_KEYS.find((k) => Object.hasOwn(fields, k)) ?? null;
  const outDir = outKey && typeof config[outKey] === 'string' ? (config[outKey] as string) : null;

  const grid: Record<string, unknown[]> = {};
  if (args.tasks && args.taskTo) grid[args.taskTo] = readTasks(args.tasks, args.taskTo, schema);
  for (const [key, values] of args.sweeps) {
    const s = schemaAt(schema, key, `--sweep ${key}`);
    grid[key] = values.map((v) => coerce(s, key, v, '--sweep'));
  }
  if (Object.keys(grid).length === 0) return { config, raw, outKey, outDir, tasks: null, tracked };
  const tasks = product(grid).map((params) => taskConfig(schema, config, params, outKey));
  return { config, raw, outKey, outDir, tasks, tracked };
}
