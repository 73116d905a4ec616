// Run-lock performance: XXH3 throughput on a 1 GiB file against Debian's
// `xxhsum -H3` (the same algorithm, the reference C implementation) on the
// same cached file, and `lock` of a directory of 10,000 unchanged files with
// a warm hash cache. Sizes can be lowered with BENCH_LOCK_MIB / BENCH_LOCK_FILES.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashFile } from '../src/lock/hash.ts';
import { lock } from '../src/lock/lock.ts';
import type { Suite } from './suites.ts';
import { median, ms, printTable } from './table.ts';

const MIB = Number(process.env.BENCH_LOCK_MIB ?? 1024);
const FILES = Number(process.env.BENCH_LOCK_FILES ?? 10_000);
const REPS = Number(process.env.BENCH_REPS ?? 5);

function timeMs(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function hasXxhsum(): boolean {
  try {
    execFileSync('xxhsum', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function throughput(dir: string): Promise<void> {
  const file = join(dir, 'big.bin');
  // Pseudo-random content, written in 16 MiB chunks (no need for /dev/urandom's cost).
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
  const fd = openSync(file, 'w');
  for (let written = 0; written < MIB * 1024 * 1024; written += chunk.length) writeSync(fd, chunk);
  const bytes = MIB * 1024 * 1024;
  readFileSync(file).length; // into the page cache, so both sides read from memory
  const ours: number[] = [];
  const theirs: number[] = [];
  let ourHash = '';
  let theirHash = '';
  const cli = hasXxhsum();
  for (let r = 0; r < REPS; r++) {
    if (cli)
      theirs.push(
        timeMs(
          () =>
            (theirHash = execFileSync('xxhsum', ['-q', '-H3', file], {
              encoding: 'utf8',
              stdio: ['ignore', 'pipe', 'ignore'],
            })),
        ),
      );
    ours.push(await timeAsync(async () => (ourHash = await hashFile(file))));
  }
  const gbps = (t: number) => (bytes / 1e9 / (t / 1000)).toFixed(2);
  const rows = [
    [
      'lockstep hashFile (@node-rs/xxhash, 4 reads of 1 MiB in flight)',
      ms(median(ours)),
      `${gbps(median(ours))} GB/s`,
      '',
    ],
  ];
  if (cli) {
    const same = theirHash.toLowerCase().includes(ourHash.replace('xxh3:', ''));
    rows.unshift(['xxhsum -H3 (Debian xxhash, baseline)', ms(median(theirs)), `${gbps(median(theirs))} GB/s`, '']);
    rows[1]![3] = `${((median(theirs) / median(ours)) * 100).toFixed(0)}% of xxhsum (target >= 80%); same hash: ${same}`;
  } else {
    rows[0]![3] = 'xxhsum not installed: no baseline (apt-get install xxhash)';
  }
  console.log(`XXH3-64 of a ${MIB} MiB file from the page cache, median of ${REPS}`);
  printTable(['hasher', 'time', 'throughput', 'ratio'], rows);
  rmSync(file);
}

async function warmLock(dir: string): Promise<void> {
  const data = join(dir, 'files');
  for (let i = 0; i < FILES; i++) {
    const sub = join(data, String(i % 100));
    if (i < 100) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.txt`), `file ${i}\n`.repeat(1 + (i % 50)));
  }
  const options = {
    path: join(dir, 'out'),
    data: [data],
    repos: [],
    cache: join(dir, 'hashes.db'),
    store: `sqlite:${join(dir, 'locks.db')}`,
  };
  // One untimed pass first: freshly written files are still being flushed, which would burden whichever case ran first.
  await lock({ ...options, cache: false, store: false });
  const cold = await timeAsync(() => lock(options));
  const warm: number[] = [];
  for (let r = 0; r < REPS; r++) warm.push(await timeAsync(() => lock(options)));
  const nocache: number[] = [];
  for (let r = 0; r < Math.min(REPS, 3); r++) nocache.push(await timeAsync(() => lock({ ...options, cache: false })));
  console.log(`\nlock() of a directory of ${FILES} unchanged files (no git; record stored in SQLite)`);
  printTable(
    ['case', 'time'],
    [
      ['no cache (hash every file; baseline)', ms(median(nocache))],
      ['cold cache (first lock, fills it)', ms(cold)],
      [`warm cache, median of ${REPS} (target < 1 s)`, ms(median(warm))],
    ],
  );
}

export const lockSuite: Suite = {
  name: 'lock',
  title: 'run locks: XXH3 throughput vs xxhsum, lock with a warm hash cache',
  run: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-bench-lock-'));
    try {
      await throughput(dir);
      await warmLock(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
