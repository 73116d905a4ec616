import { join } from 'node:path';
import { LockstepError } from '../errors.ts';
import type { CliArgs } from './args.ts';
import { coerce } from './coerce.ts';
import { getPath, merge, readMapping, selectSection, setPath, unflatten, withoutPath } from './file.ts';
import { interpolate, type Tracked } from './interpolate.ts';
import { type AnySchema, checkKeys, fieldsOf, schemaAt, typeOf } from './schema.ts';
import { sweepKeyItems, sweepTasks } from './sweeps.ts';

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

/** The config as the files give it: `--config`, `--merge` files, the `--select`ed section, `--merge-after-select` files. */
function rawConfig(
  schema: AnySchema,
  args: CliArgs,
): { raw: Record<string, unknown>; keyItems: unknown[] | undefined } {
  let root: Record<string, unknown> = {};
  const files: string[] = [];
  if (args.config) {
    root = readMapping(args.config, '--config');
    files.push(args.config);
  }
  for (const m of args.merge) {
    root = merge(root, readMapping(m, '--merge'));
    files.push(m);
  }
  const docs = files.join(' + ') || 'the config';
  let keyItems: unknown[] | undefined;
  // `--sweep-key KEY`: the list of tasks lives in the file (the root, else the selected section) and is not config
  const takeKey = (doc: Record<string, unknown>) => {
    if (!args.sweepKey || keyItems) return doc;
    const got = getPath(doc, args.sweepKey);
    if (!got.found) return doc;
    keyItems = sweepKeyItems(got.value, args.sweepKey);
    return knows(schema, args.sweepKey) ? doc : withoutPath(doc, args.sweepKey);
  };
  root = takeKey(root);
  let raw = args.select ? takeKey(selectSection(root, args.select, docs)) : root;
  for (const m of args.mergeSelected) raw = merge(raw, readMapping(m, '--merge-after-select'));
  const where = `${[args.config && `--config ${args.config}`, ...args.merge.map((m) => `--merge ${m}`)].filter(Boolean).join(' ')}${args.select ? ` --select ${args.select}` : ''}`;
  if (Object.keys(raw).length) checkKeys(schema, raw, where || '--merge-after-select');
  return { raw: structuredClone(raw), keyItems };
}

/** Whether the schema has a key (without throwing for an unknown one). */
function knows(schema: AnySchema, key: string): boolean {
  try {
    schemaAt(schema, key, '');
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves the command line into configs: files (merged, a section
 * selected), typed overrides, interpolations, schema defaults and
 * validation, then one config per task of the sweep. Any bad input throws
 * E_INPUT here, before a run starts.
 */
export function plan(schema: AnySchema, args: CliArgs, options: { outKey?: string; now?: Date } = {}): Plan {
  const now = options.now ?? new Date();
  let { raw, keyItems } = rawConfig(schema, args);
  for (const [given, text] of args.overrides) {
    // FlexLock's `-o train.lr=0.1 --select train`: the key as seen from the root
    const key =
      args.select && given.startsWith(`${args.select}.`) && !knows(schema, given)
        ? given.slice(args.select.length + 1)
        : given;
    const s = schemaAt(schema, key, `-o ${given}`);
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
  if (args.sweepKey && !keyItems) {
    const got = getPath(config, args.sweepKey);
    if (!got.found)
      throw new LockstepError(
        'E_INPUT',
        `--sweep-key ${args.sweepKey}: no such key in the config files or the schema's defaults`,
      );
    keyItems = sweepKeyItems(got.value, args.sweepKey);
  }
  const swept = sweepTasks(schema, args, keyItems);
  if (swept === null) return { config, raw, outKey, outDir, tasks: null, tracked };
  const tasks = swept.map((params) => taskConfig(schema, config, params, outKey));
  return { config, raw, outKey, outDir, tasks, tracked };
}
