import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { backends } from '../helpers.ts';
import { irisSession, SETOSA } from './fixture.ts';

// the sources, not bin/lockstep.js: the bin prefers a built dist/ that may be older than the checkout
const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const NODE = [process.execPath, '--import', 'tsx', MAIN] as const;

for (const backend of backends()) {
  describe(`lockstep serve, models, gc from the command line (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('serves a model over HTTP; a model that cannot load exits 2; models alias moves the alias', async (t) => {
      const fx = await irisSession(backend);
      if (!fx) return t.skip('PostgreSQL unavailable');
      const db = fx.session.url;
      await fx.session.close();
      const env = { ...process.env, LOCKSTEP_BLOBS: join(fx.dir, 'blobs'), LOCKSTEP_CACHE: join(fx.dir, 'cache') };
      const cli = (...args: string[]) =>
        spawnSync(NODE[0], [...NODE.slice(1), ...args, '--db', db], { env, encoding: 'utf8' });

      const bad = cli('serve', 'models:/iris@prod');
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /cannot load models:\/iris@prod: .*no alias "prod"/);

      const listed = cli('models', '--json');
      assert.equal(listed.status, 0, listed.stderr);
      assert.equal(JSON.parse(listed.stdout)[0].aliases, 'champion→1');
      const alias = cli('models', 'alias', 'iris', 'candidate', '1');
      assert.equal(alias.status, 0, alias.stderr);
      assert.match(alias.stdout, /models:\/iris@candidate → version 1/);
      const ds = cli('datasets', '--json');
      assert.equal(ds.status, 0, ds.stderr);
      const [iris] = JSON.parse(ds.stdout);
      assert.equal(`${iris.name}@${iris.version}`, 'iris@1');
      assert.equal(iris.schema[''].rows, 150);
      const gc = cli('gc', '--dry-run', '--grace', '0');
      assert.equal(gc.status, 0, gc.stderr);
      assert.match(gc.stdout, /2 scanned, 2 referenced.*would remove 0/);

      const child = spawn(NODE[0], [...NODE.slice(1), 'serve', 'models:/iris@candidate', '--port', '0', '--db', db], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        const address = await new Promise<string>((resolve, reject) => {
          let err = '';
          child.stderr.on('data', (c) => {
            err += String(c);
            const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
            if (m) resolve(m[1] as string);
          });
          child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
          setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 20_000);
        });
        const res = await fetch(`${address}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(SETOSA),
        });
        assert.equal(res.status, 200);
        const body = (await res.json()) as { prediction: { label: string }; version: number };
        assert.equal(body.prediction.label, 'setosa');
        assert.equal(body.version, 1);
        let out = '';
        child.stdout.on('data', (c) => {
          out += String(c);
        });
        await fetch(`${address}/health`);
        await new Promise((r) => setTimeout(r, 200));
        const line = out.split('\n').find((l) => l.includes('"url":"/health"'));
        assert.ok(line, `a log line for /health in: ${out}`);
        assert.equal(JSON.parse(line as string).status, 200);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    });
  });
}
