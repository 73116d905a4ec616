import { existsSync, readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { product } from '../core/grid.ts';
import { LockstepError } from '../errors.ts';
import type { CliArgs } from './args.ts';
import { coerce } from './coerce.ts';
import { flattenConfig } from './file.ts';
import { type AnySchema, schemaAt } from './schema.ts';

/** One task of a sweep before it is merged into the config: dotted keys to typed values. */
export type TaskParams = Record<string, unknown>;

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

/** The items of `--tasks FILE`: a YAML list (of values or mappings), or one value per line (# comments skipped). */
function readTaskFile(path: string): unknown[] {
  if (!existsSync(path) || !statSync(path).isFile())
    throw new LockstepError('E_INPUT', `--tasks: no such file ${path}`);
  const text = readFileSync(path, 'utf8');
  let yaml: unknown;
  try {
    yaml = parseYaml(text, { maxAliasCount: 100 });
  } catch {
    yaml = undefined; // not YAML: one value per line
  }
  const items = Array.isArray(yaml)
    ? yaml
    : text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'));
  if (items.length === 0) throw new LockstepError('E_INPUT', `--tasks: ${path} lists no tasks`);
  return items;
}

/**
 * One list of items as tasks: a value goes to `--task-to KEY`; a mapping is
 * merged at the root (or under `--task-to KEY`). Strings are typed by the
 * schema at their key, and an unknown key is refused by name.
 */
function toTasks(
  schema: AnySchema,
  items: readonly unknown[],
  target: string | undefined,
  where: string,
): TaskParams[] {
  return items.map((item, i) => {
    const at = `${where}, item ${i + 1}`;
    let flat: Record<string, unknown>;
    if (isMapping(item)) flat = flattenConfig(item, target ?? '');
    else if (target === undefined)
      throw new LockstepError(
        'E_INPUT',
        `${at} is ${JSON.stringify(item)}, a single value: give --task-to KEY (the config key each value sets), or make each item a mapping such as {lr: 0.1, depth: 2}`,
      );
    else flat = { [target]: item };
    const out: TaskParams = {};
    for (const [key, value] of Object.entries(flat)) {
      const s = schemaAt(schema, key, at);
      out[key] = typeof value === 'string' ? coerce(s, key, value, at) : value;
    }
    return out;
  });
}

/**
 * The tasks of a command line: every list source (`--tasks FILE`,
 * `--sweep-key KEY`, `--sweep V1,V2`, `--sweep a=1,a=2`) crossed with the grid
 * of `--sweep key=v1,v2` flags; null when nothing is swept.
 */
export function sweepTasks(schema: AnySchema, args: CliArgs, keyItems: unknown[] | undefined): TaskParams[] | null {
  const lists: TaskParams[][] = [];
  if (args.tasks) lists.push(toTasks(schema, readTaskFile(args.tasks), args.taskTo, `--tasks ${args.tasks}`));
  if (keyItems) lists.push(toTasks(schema, keyItems, args.taskTo, `--sweep-key ${args.sweepKey}`));
  for (const list of args.sweepLists) {
    const isDicts = isMapping(list[0]);
    lists.push(toTasks(schema, list, isDicts ? undefined : args.taskTo, `--sweep ${list.length} task(s)`));
  }
  const grid: Record<string, unknown[]> = {};
  for (const [key, values] of args.sweeps) {
    const s = schemaAt(schema, key, `--sweep ${key}`);
    grid[key] = values.map((v) => coerce(s, key, v, '--sweep'));
  }
  if (lists.length === 0 && Object.keys(grid).length === 0) return null;
  let tasks: TaskParams[] = [{}];
  for (const list of lists) tasks = tasks.flatMap((t) => list.map((l) => ({ ...t, ...l })));
  if (Object.keys(grid).length) tasks = tasks.flatMap((t) => product(grid).map((g) => ({ ...t, ...g })));
  return tasks;
}

/** The list a `--sweep-key` names, checked: a YAML list of values or mappings. */
export function sweepKeyItems(value: unknown, key: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new LockstepError(
      'E_INPUT',
      `--sweep-key ${key}: the config key "${key}" must hold a non-empty list of tasks, got ${JSON.stringify(value) ?? 'nothing'}`,
    );
  return value;
}
