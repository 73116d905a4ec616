// Reads a V8 .cpuprofile (node --cpu-prof) and summarises where the time went:
// self time by package or source file, and the functions with the most self
// time. The benchmarks that profile write this next to the profile, whose
// flame graph opens in Chrome DevTools (Performance → Load profile) or speedscope.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function where(url: string): string {
  if (!url) return '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  return url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
}

const percent = (t: number, total: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;

/** A plain-text summary of one profile. */
export function summariseProfile(file: string, top = 25): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, t] of self) {
    const n = byId.get(id) as Node;
    const f = n.callFrame;
    total += t;
    const g = f.url ? where(f.url) : f.functionName;
    groups.set(g, (groups.get(g) ?? 0) + t);
    const name = `${f.functionName || '(anonymous)'} ${where(f.url)}`;
    fns.set(name, (fns.get(name) ?? 0) + t);
  }
  const lines = [`${file}: ${(total / 1000).toFixed(0)} ms sampled`, '', 'self time by package or file:'];
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [g, t] of sorted(groups)) lines.push(`${(t / 1000).toFixed(0).padStart(8)} ms ${percent(t, total)}  ${g}`);
  lines.push('', 'functions with the most self time:');
  for (const [f, t] of sorted(fns)) lines.push(`${(t / 1000).toFixed(0).padStart(8)} ms ${percent(t, total)}  ${f}`);
  return lines.join('\n');
}

/** Summarises the largest profile in a directory (the main thread's) into summary.txt there, and returns it. */
export function summariseDirectory(dir: string): string {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  if (!files[0]) return `no .cpuprofile in ${dir}`;
  const text = summariseProfile(files[0]);
  writeFileSync(join(dir, 'summary.txt'), `${text}\n`);
  return text;
}
