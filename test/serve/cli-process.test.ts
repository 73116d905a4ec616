// `lockstep serve` as a process: a busy port, and stopping it through npx.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { tempDir } from '../helpers.ts';
import { irisSession } from './fixture.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');

/** Resolves with the address the server prints, rejects when it exits first. */
function addressOf(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c) => {
      err += String(c);
      const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 30_000).unref();
  });
}

async function answers(address: string): Promise<boolean> {
  try {
    await fetch(`${address}/health`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

describe('lockstep serve as a process', () => {
  let db = '';
  let env: NodeJS.ProcessEnv = {};
  before(async () => {
    const fx = await irisSession({
      name: 'sqlite',
      fresh: async () => join(tempDir(), 'test.db'),
      cleanup: async () => undefined,
    });
    if (!fx) throw new Error('no fixture');
    db = fx.session.url;
    await fx.session.close();
    env = { ...process.env, LOCKSTEP_BLOBS: join(fx.dir, 'blobs'), LOCKSTEP_CACHE: join(fx.dir, 'cache') };
  });

  test('a busy port is one sentence and exit 2, not a stack', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', MAIN, 'serve', 'models:/iris@champion', '--port', String(port), '--db', db, '--quiet'],
        { env, encoding: 'utf8' },
      );
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr, `lockstep: port ${port} on 127.0.0.1 is already in use; choose another with --port\n`);
    } finally {
      blocker.close();
    }
  });

  test('SIGTERM to npx, or Ctrl-C (SIGINT to its process group), stops the server it started', async () => {
    // a project that has lockstep installed: npx finds node_modules/.bin/lockstep and runs it through `sh -c`,
    // and that shell does not pass on the SIGTERM npm forwards to it
    const project = tempDir();
    mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(join(ROOT, 'bin', 'lockstep.js'), join(project, 'node_modules', '.bin', 'lockstep'));
    writeFileSync(join(project, 'package.json'), '{"name":"p","version":"1.0.0","private":true}\n');
    for (const how of ['SIGTERM to npx', 'SIGINT to the group'] as const) {
      const npx = spawn(
        'npx',
        ['--no-install', 'lockstep', 'serve', 'models:/iris@champion', '--port', '0', '--db', db],
        {
          cwd: project,
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
          detached: true, // its own process group, as a terminal gives a command
        },
      );
      const exited = new Promise((r) => npx.once('exit', r));
      const address = await addressOf(npx);
      assert.equal(await answers(address), true);
      if (how === 'SIGTERM to npx') npx.kill('SIGTERM');
      else process.kill(-(npx.pid as number), 'SIGINT');
      const deadline = Date.now() + 10_000;
      while ((await answers(address)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.equal(await answers(address), false, `the server at ${address} still answers after ${how}`);
      await exited;
    }
  });
});
