import { type AnySchema, fieldsOf, typeOf, unwrap } from './schema.ts';

const OPTIONS: [string, string][] = [
  ['--config FILE', 'a YAML file of config values (partial: the rest keeps its defaults)'],
  ['--select KEY', 'use the section KEY of a multi-stage --config file'],
  ['-o KEY=VALUE', 'set one config value, typed by the schema (repeatable; nested keys with dots)'],
  ['--sweep KEY=V1,V2', 'run once per value; several --sweep flags make a grid'],
  ['--tasks FILE', 'run once per value listed in FILE (one per line, or a YAML list)'],
  ['--task-to KEY', 'the config key each --tasks value sets'],
  ['--jobs N', 'run N tasks in parallel'],
  ['--slurm FILE', 'submit the tasks as a Slurm job array (settings in a YAML file)'],
  ['--name NAME', 'the experiment name (default: the script name)'],
  ['--db URL', 'where runs and locks are stored (default: $LOCKSTEP_DB or ./lockstep.db)'],
  ['--print-config', 'print the resolved config (every task for a sweep) and stop'],
  ['--dry-run', 'check everything and print what would run, without running or writing'],
  ['--resume', 'skip the tasks of a sweep that are already done'],
  ['--no-lock', 'do not write run.lock'],
  ['--debug', 'on failure, show the local variables of the failing frame (a REPL on a terminal); or LOCKSTEP_DEBUG=1'],
  ['-h, --help', 'show this help'],
];

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
  const optWidth = Math.max(...OPTIONS.map(([o]) => o.length));
  return [
    `Usage: ${script} [options]`,
    ...(description ? ['', description] : []),
    '',
    'Options:',
    ...OPTIONS.map(([o, d]) => `  ${o.padEnd(optWidth)}  ${d}`),
    '',
    `Config keys (set with -o KEY=VALUE or in --config FILE; ${typeOf(schema) === 'object' ? 'nested keys with dots' : 'no keys'}):`,
    ...(keys.length ? keys : ['  (none)']),
    '',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the interpolation syntax, shown literally
    'Interpolations in YAML values: ${env:X}, ${env:X,default}, ${now:YYYY-MM-DD}, ${track:path}, ${stage:dir}, ${latest:glob}',
    '',
  ].join('\n');
}
