import { ALIASES } from './args.ts';
import { type AnySchema, fieldsOf, typeOf, unwrap } from './schema.ts';

/** The options every `cli(schema, main)` script takes (`lockstep run script.ts …`); docs/commands.md lists them too. */
export const SCRIPT_OPTIONS: [string, string][] = [
  ['--config FILE', 'a YAML file of config values (partial: the rest keeps its defaults)'],
  ['--merge FILE', 'merge another YAML file over --config, before --select (repeatable)'],
  ['--select KEY', 'use the section KEY of a multi-stage --config file'],
  ['--merge-after-select FILE', 'merge a YAML file into the selected section (repeatable)'],
  ['-o KEY=VALUE', 'set config values, typed by the schema (repeatable; -o a=1 b=2; nested keys with dots)'],
  ['--sweep KEY=V1,V2', 'run once per value; several --sweep flags make a grid (--sweep a=1,a=2: one task each)'],
  ['--tasks FILE', 'run once per item of FILE: one value per line, or a YAML list of values or of mappings'],
  ['--sweep-key KEY', 'run once per item of the list at KEY in the config file'],
  ['--task-to KEY', 'the config key each task value (or mapping) is set at'],
  ['--jobs N', 'run N tasks in parallel'],
  ['--slurm FILE', 'submit the tasks as a Slurm job array (settings in a YAML file)'],
  ['--queue', 'queue the tasks in the database for `lockstep worker` processes, and wait for them'],
  ['--name NAME', 'the experiment name (default: the script name)'],
  ['--db URL', 'where runs and locks are stored (default: $LOCKSTEP_DB or ./lockstep.db)'],
  ['--print-config', 'print the resolved config (every task for a sweep) and stop'],
  ['--dry-run', 'check everything and print what would run, without running or writing'],
  ['--resume', 'skip tasks whose lock still matches: same config, tracked data, code and previous stages'],
  ['--require-clean', 'refuse to run on uncommitted changes or a branch behind its upstream'],
  ['--no-lock', 'do not write run.lock'],
  ['--debug', 'on failure, show the local variables of the failing frame (a REPL on a terminal); or LOCKSTEP_DEBUG=1'],
  ['-h, --help', 'show this help'],
];

/** FlexLock's spellings, grouped under the lockstep flag they stand for. */
export function aliasLine(): string {
  const by = new Map<string, string[]>();
  for (const [alias, name] of Object.entries(ALIASES)) by.set(name, [...(by.get(name) ?? []), alias]);
  return [...by].map(([name, aliases]) => `${aliases.join('/')} = ${name}`).join(', ');
}

function describeType(s: AnySchema): string {
  const u = unwrap(s) as unknown as { def: { type: string; entries?: Record<string, unknown>; element?: AnySchema } };
  if (u.def.type === 'enum')
    return Object.values(u.def.entries ?? {})
      .map((v) => JSON.stringify(v))
      .join('|');
  if (u.def.type === 'array' && u.def.element) return `${describeType(u.def.element)}[]`;
  return u.def.type;
}

function defaultOf(s: AnySchema): unknown {
  let cur = s as unknown as { def: { type: string; innerType?: unknown; defaultValue?: unknown } };
  for (let i = 0; i < 10; i++) {
    if (cur.def.type === 'default') {
      const d = cur.def.defaultValue;
      return typeof d === 'function' ? (d as () => unknown)() : d;
    }
    if (!cur.def.innerType) return undefined;
    cur = cur.def.innerType as typeof cur;
  }
  return undefined;
}

function keyLines(s: AnySchema, prefix: string, out: string[][]): void {
  for (const [k, v] of Object.entries(fieldsOf(s) ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    const nested = fieldsOf(v);
    const d = nested ? undefined : defaultOf(v);
    const required = !nested && d === undefined && !v.safeParse(undefined).success;
    out.push([
      key,
      nested ? 'object' : describeType(v),
      required ? '(required)' : d === undefined ? '' : `= ${JSON.stringify(d)}`,
      v.description ?? '',
    ]);
    if (nested) keyLines(v, key, out);
  }
}

/** The `--help` text: usage, the options, and every config key with its type, default and description. */
export function helpText(script: string, schema: AnySchema, description?: string): string {
  const rows: string[][] = [];
  keyLines(schema, '', rows);
  const w = rows.map((r) => [0, 1, 2].map((i) => (r[i] as string).length));
  const width = [0, 1, 2].map((i) => Math.max(0, ...w.map((x) => x[i] as number)));
  const keys = rows.map((r) =>
    `  ${r
      .slice(0, 3)
      .map((c, i) => c.padEnd(width[i] as number))
      .join('  ')}  ${r[3]}`.trimEnd(),
  );
  const optWidth = Math.max(...SCRIPT_OPTIONS.map(([o]) => o.length));
  return [
    `Usage: ${script} [options]`,
    ...(description ? ['', description] : []),
    '',
    'Options:',
    ...SCRIPT_OPTIONS.map(([o, d]) => `  ${o.padEnd(optWidth)}  ${d}`),
    '',
    `FlexLock's spellings work too: ${aliasLine()}`,
    '',
    `Config keys (set with -o KEY=VALUE or in --config FILE; ${typeOf(schema) === 'object' ? 'nested keys with dots' : 'no keys'}):`,
    ...(keys.length ? keys : ['  (none)']),
    '',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the interpolation syntax, shown literally
    'Interpolations in YAML values: ${env:X}, ${env:X,default}, ${now:YYYY-MM-DD}, ${track:path}, ${stage:dir}, ${latest:glob}, ${vinc:path}',
    '',
  ].join('\n');
}
