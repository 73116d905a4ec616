import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LockstepError } from '../errors.ts';
import { LOCK_FILE } from '../lock/format.ts';

/** What interpolations asked to go into the run lock. */
export interface Tracked {
  /** `${track:path}`: paths to hash into the lock. */
  data: string[];
  /** `${stage:dir}`: previous stages' directories whose run.lock this run consumes. */
  prevs: string[];
  /** Keys whose value came from an interpolation (typed by the schema afterwards). */
  keys: string[];
}

/** The interpolations lockstep resolves; any other `${name:…}` is an input error naming it. */
export const INTERPOLATIONS = ['env', 'now', 'track', 'stage', 'latest', 'vinc'] as const;
/** The innermost `${name:arg}`: nested ones (`${vinc:out/${now:YYYY}/run}`) resolve from the inside out. */
const PATTERN = /\$\{([A-Za-z_][\w.-]*):([^${}]*)\}/g;

/**
 * Resolves `${env:X}` (`${env:X,default}`), `${now:FORMAT}`, `${track:path}`,
 * `${stage:dir}` and `${latest:glob}` in every string of a config, and
 * collects what must go into the lock. Each resolver checks its input:
 * a missing variable, stage or match is an input error naming the key.
 */
export function interpolate(value: unknown, tracked: Tracked, now: Date, key = ''): unknown {
  if (typeof value === 'string') return interpolateString(value, tracked, now, key);
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, tracked, now, `${key}[${i}]`));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, tracked, now, key ? `${key}.${k}` : k);
    return out;
  }
  return value;
}

function interpolateString(s: string, tracked: Tracked, now: Date, key: string): string {
  if (!s.includes('${')) return s;
  tracked.keys.push(key);
  let out = s;
  // a bounded number of rounds: each resolves the innermost interpolations
  for (let round = 0; round < 8; round++) {
    const next = out.replace(PATTERN, (_m, kind: string, arg: string) => resolveOne(kind, arg, tracked, now, key));
    if (next === out) break;
    out = next;
  }
  return out;
}

function resolveOne(kind: string, arg: string, tracked: Tracked, now: Date, key: string): string {
  const where = `config key "${key}" (\${${kind}:${arg}})`;
  switch (kind) {
    case 'env': {
      const [name, ...rest] = arg.split(',');
      const v = process.env[(name ?? '').trim()];
      if (v !== undefined) return v;
      if (rest.length) return rest.join(',');
      throw new LockstepError(
        'E_INPUT',
        `${where}: environment variable ${name} is not set (give a default: \${env:${name},value})`,
      );
    }
    case 'now':
      return formatDate(now, arg || 'YYYY-MM-DD_HH-mm-ss');
    case 'vinc':
      return nextVersion(arg, where);
    case 'track': {
      if (!existsSync(arg)) throw new LockstepError('E_INPUT', `${where}: ${arg} does not exist`);
      tracked.data.push(arg);
      return arg;
    }
    case 'stage': {
      const file = existsSync(arg) && statSync(arg).isDirectory() ? join(arg, LOCK_FILE) : arg;
      if (!existsSync(file))
        throw new LockstepError('E_INPUT', `${where}: no run.lock in ${arg} (has that stage run?)`);
      tracked.prevs.push(arg);
      return arg;
    }
    case 'latest': {
      const hit = latest(arg);
      if (!hit) throw new LockstepError('E_INPUT', `${where}: nothing matches ${arg}`);
      return hit;
    }
    default:
      throw new LockstepError(
        'E_INPUT',
        `${where}: unknown interpolation "${kind}" (lockstep knows ${INTERPOLATIONS.map((k) => `\${${k}:…}`).join(', ')})`,
        { details: { key, interpolation: kind } },
      );
  }
}

/**
 * `${vinc:results/run}`: the next free versioned path, `results/run_0001`
 * when none exists, else one more than the highest `run_NNNN` there (FlexLock's
 * version increment). Nothing is created: a dry run stays a dry run.
 */
export function nextVersion(base: string, where: string): string {
  if (base.trim() === '') throw new LockstepError('E_INPUT', `${where}: give a path, such as \${vinc:results/run}`);
  const dir = dirname(base);
  const name = basename(base);
  let highest = 0;
  if (existsSync(dir)) {
    const re = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_(\\d+)$`);
    for (const entry of readdirSync(dir)) {
      const m = re.exec(entry);
      if (m) highest = Math.max(highest, Number(m[1]));
    }
  }
  return `${base}_${String(highest + 1).padStart(4, '0')}`;
}

/** `YYYY MM DD HH mm ss SSS` tokens (or strftime's `%Y %m %d %H %M %S %y`, FlexLock's) in local time; anything else is kept. */
export function formatDate(d: Date, format: string): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  if (format.includes('%')) {
    const f: Record<string, string> = {
      Y: String(d.getFullYear()),
      y: pad(d.getFullYear() % 100),
      m: pad(d.getMonth() + 1),
      d: pad(d.getDate()),
      H: pad(d.getHours()),
      M: pad(d.getMinutes()),
      S: pad(d.getSeconds()),
      '%': '%',
    };
    return format.replace(/%([YymdHMS%])/g, (_m, c: string) => f[c] as string);
  }
  const tokens: Record<string, string> = {
    YYYY: String(d.getFullYear()),
    MM: pad(d.getMonth() + 1),
    DD: pad(d.getDate()),
    HH: pad(d.getHours()),
    mm: pad(d.getMinutes()),
    ss: pad(d.getSeconds()),
    SSS: pad(d.getMilliseconds(), 3),
  };
  return format.replace(/YYYY|SSS|MM|DD|HH|mm|ss/g, (t) => tokens[t] as string);
}

/** A glob (`*`, `?`, `**`) as a regular expression over `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The most recently modified path matching a glob (files or directories), or undefined. */
export function latest(glob: string): string | undefined {
  const parts = glob.split('/');
  const fixed: string[] = [];
  for (const p of parts) {
    if (/[*?]/.test(p)) break;
    fixed.push(p);
  }
  const base = fixed.join('/') || '.';
  const depth = glob.includes('**') ? Number.POSITIVE_INFINITY : parts.length - fixed.length;
  const re = globToRegExp(glob);
  let best: { path: string; mtime: number } | undefined;
  const walk = (dir: string, level: number) => {
    if (level > depth || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = dir === '.' && !glob.startsWith('./') ? e.name : `${dir}/${e.name}`;
      if (re.test(p)) {
        const m = statSync(resolve(p)).mtimeMs;
        if (!best || m > best.mtime || (m === best.mtime && p > best.path)) best = { path: p, mtime: m };
      }
      if (e.isDirectory()) walk(p, level + 1);
    }
  };
  if (fixed.length === parts.length) return existsSync(glob) ? glob : undefined;
  walk(base, 1);
  return best?.path;
}
