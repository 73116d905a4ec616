import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { HttpClient, Outbox, syncOutbox } from '../../src/remote/index.ts';
import { startServer } from '../../src/server/index.ts';
import { backends, freshSession, sqlReader, tempDir } from '../helpers.ts';

const TOKEN = 'remote-token-0123456789';

for (const backend of backends()) {
  describe(`remote and offline sessions on ${backend.name}`, async () => {
    after(() => backend.cleanup());
    const local = await freshSession(backend);
    if (!local) return;
    after(() => local.close());
    const outbox = join(tempDir(), 'outbox.db');

    it('gives the library API over HTTP, values keeping their types', async () => {
      const server = await startServer({
        session: local,
        port: 0,
        tokens: { write: [TOKEN] },
        uiRoot: false,
        sql: await sqlReader(local),
      });
      try {
        const denied = await createSession(server.url, { remote: { outbox: false, retries: 0 } });
        await assert.rejects(denied.listExperiments(), /refused/);
        const remote = await createSession(server.url, { token: TOKEN, remote: { outbox } });
        assert.equal(remote.dialect, local.dialect);
        const exp = await remote.createExperiment('net', { description: 'over http' });
        await assert.rejects(remote.createExperiment('net'), (e: Error & { code?: string }) => e.code === 'E_CONFLICT');
        exp.addRuns({ k: [1, 2, 3] });
        const summary = await exp.execute(
          (run) => {
            const k = run.params.k as number;
            run.fields.when = new Date(Date.UTC(2024, 1, k));
            run.fields.big = 2n ** 62n + BigInt(k);
            run.fields.lookup = new Map([['k', k]]);
            run.fields.vec = new Float64Array([k, Number.NaN]);
            run.fields.acc = k / 10;
            for (let s = 0; s < 5; s++) run.log('loss', 1 / (s + k), s);
            if (k === 3) throw new Error('three');
          },
          { batchSize: 2 },
        );
        assert.equal(summary.done, 2);
        assert.equal(summary.failed, 1);
        const back = await remote.loadExperiment('net');
        assert.equal(back.runs.length, 3);
        const one = [...back.runs].find((r) => r.params.k === 1);
        assert.ok(one);
        assert.deepEqual(one.fields.when, new Date(Date.UTC(2024, 1, 1)));
        assert.equal(one.fields.big, 2n ** 62n + 1n);
        assert.deepEqual(one.fields.lookup, new Map([['k', 1]]));
        assert.ok(one.fields.vec instanceof Float64Array);
        assert.equal(one.status, 'done');
        const failed = [...back.runs].find((r) => r.params.k === 3);
        assert.equal(failed?.status, 'failed');
        assert.equal(failed?.error?.message, 'three');
        const points = await back.metrics(one.id, 'loss');
        assert.deepEqual(
          points.map((p) => p.value),
          [1, 0.5, 1 / 3, 0.25, 0.2],
        );
        // the server's own database has it all, as an ordinary experiment
        const stored = await local.loadExperiment('net');
        assert.equal(stored.runs.length, 3);
        assert.equal((await stored.metrics(one.id)).length, 5);
        const rows = await remote.query('SELECT COUNT(*) AS n FROM experiment_net');
        assert.equal(Number(rows[0]?.n), 3);
        await assert.rejects(remote.query('DELETE FROM experiment_net'), /read/);
        assert.deepEqual(
          (await remote.listExperiments()).map((e) => [e.name, e.runs]),
          [['net', 3]],
        );
        // a retried request with the same idempotency key is applied once
        const http = new HttpClient(server.url, { token: TOKEN });
        const body = { runs: [{ id: 'dup', status: 'done', metrics: [{ key: 'm', value: 1, step: 0 }] }] };
        await http.request('POST', '/api/v1/experiments/net/runs', body, 'same-key');
        const again = await http.request<{ duplicate?: boolean }>(
          'POST',
          '/api/v1/experiments/net/runs',
          body,
          'same-key',
        );
        assert.equal(again.duplicate, true);
        assert.equal((await stored.metrics('dup')).length, 1);
        await remote.deleteExperiment('net');
        assert.equal(await local.store.getExperiment('net'), undefined);
        await remote.close();
        await denied.close();
      } finally {
        await server.close();
      }
    });

    it('buffers writes while the server is down and syncs them exactly once', async () => {
      // find a free port, then leave it closed: the server is "down"
      const probe = await startServer({ session: local, port: 0, uiRoot: false });
      const url = probe.url;
      await probe.close();
      const offline = await createSession(url, { token: TOKEN, remote: { outbox, retries: 1, backoffMs: 5 } });
      const exp = await offline.createExperiment('field-trip');
      for (const lr of [0.1, 0.2]) {
        await exp.run({ lr }, (run) => {
          run.fields.score = lr * 10;
          run.fields.at = new Date(Date.UTC(2025, 0, 1));
          for (let s = 0; s < 100; s++) run.log('loss', lr / (s + 1), s);
        });
      }
      const box = new Outbox(outbox);
      const queued = box.count(url);
      box.close();
      assert.equal(queued, 3, 'create + two run writes');
      await offline.close();
      assert.equal(await local.store.getExperiment('field-trip'), undefined);

      // still down: sync keeps everything
      const early = await syncOutbox({ outbox, server: url, retries: 0 });
      assert.deepEqual(early.servers, [{ server: url, sent: 0, remaining: 3 }]);

      const port = Number(new URL(url).port);
      const server = await startServer({
        session: local,
        port,
        tokens: { write: [TOKEN] },
        uiRoot: false,
        sql: await sqlReader(local),
      });
      try {
        const done = await syncOutbox({ outbox, token: TOKEN });
        assert.deepEqual(done.servers, [{ server: url, sent: 3, remaining: 0 }]);
        const stored = await local.loadExperiment('field-trip');
        assert.equal(stored.runs.length, 2);
        const [n] = await local.query(
          `SELECT COUNT(*) AS n, COUNT(DISTINCT run_id || ':' || step) AS d FROM metrics WHERE experiment_id = ${local.dialect === 'postgres' ? '$1' : '?'}`,
          [stored.id],
        );
        assert.equal(Number(n?.n), 200);
        assert.equal(Number(n?.d), 200, 'no point stored twice');
        const run = [...stored.runs].find((r) => r.params.lr === 0.2);
        assert.deepEqual(run?.fields, { score: 2, at: new Date(Date.UTC(2025, 0, 1)) });
        const again = await syncOutbox({ outbox, token: TOKEN });
        assert.deepEqual(again.servers, []);
        const [m] = await local.query('SELECT COUNT(*) AS n FROM metrics');
        assert.equal(Number(m?.n), 200);
        // back online: a new session writes straight through
        const online = await createSession(url, { token: TOKEN, remote: { outbox } });
        const e2 = await online.loadExperiment('field-trip');
        await e2.run({ lr: 0.3 }, (r) => {
          r.fields.score = 3;
        });
        assert.equal((await local.loadExperiment('field-trip')).runs.length, 3);
        await online.close();
      } finally {
        await server.close();
      }
    });

    it('streams a running run through the server, and into the outbox while the server is down', async () => {
      const liveBox = join(tempDir(), 'outbox.db');
      const options = { session: local, tokens: { write: [TOKEN] }, uiRoot: false as const };
      let server = await startServer({ ...options, port: 0 });
      const port = Number(new URL(server.url).port);
      const remote = await createSession(server.url, { token: TOKEN, remote: { outbox: liveBox, retries: 0 } });
      const exp = await remote.createExperiment('live-remote');
      const run = exp.addRun({ lr: 0.1 });
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const executing = exp.execute(
        async (r) => {
          for (let i = 0; i < 80; i++) {
            r.log('loss', 1 / (i + 1), i);
            await sleep(25);
          }
        },
        { liveMs: 200, leaseMs: 5000, quiet: true },
      );
      const points = async () =>
        (
          await local.query(
            `SELECT step FROM metrics WHERE run_id = ${local.dialect === 'postgres' ? '$1' : '?'} ORDER BY step`,
            [run.id],
          )
        ).map((p) => Number(p.step));
      // the server's database shows the run running, and its points, while it runs
      const deadline = Date.now() + 15_000;
      for (;;) {
        const [row] = await local.query('SELECT status FROM experiment_live_remote').catch(() => []);
        if (row?.status === 'running' && (await points()).length >= 5) break;
        if (Date.now() > deadline) assert.fail('the running run never reached the server');
        await sleep(20);
      }
      // the server goes away for a while: the run goes on, its writes wait in the outbox
      await server.close();
      await sleep(500);
      const summary = await executing;
      assert.equal(summary.done, 1);
      const waiting = new Outbox(liveBox);
      assert.ok(waiting.count(server.url) > 0, 'writes waited in the outbox');
      waiting.close();
      server = await startServer({ ...options, port });
      try {
        const sent = await syncOutbox({ outbox: liveBox, token: TOKEN });
        assert.ok((sent.servers[0]?.sent ?? 0) > 0);
        const steps = await points();
        assert.deepEqual(
          steps,
          Array.from({ length: 80 }, (_, i) => i),
          'every point once, none lost',
        );
        const [row] = await local.query('SELECT status, run_attempt FROM experiment_live_remote');
        assert.equal(row?.status, 'done');
        assert.equal(Number(row?.run_attempt), 1);
      } finally {
        await remote.close();
        await server.close();
      }
    });
  });
}
