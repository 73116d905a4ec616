import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { backends } from '../helpers.ts';
import { serverSuite } from './suite.ts';

// Request bodies below are shaped as MLflow's Python client (mlflow/store/tracking/rest_store.py)
// sends them: message_to_json of the request protos, run_uuid next to run_id, GETs as query strings.
for (const backend of backends()) {
  describe(`MLflow tracking API on ${backend.name}`, async () => {
    const suite = await serverSuite(backend);
    if (!suite) return;
    const { session, app } = suite;

    const call = async (method: 'GET' | 'POST', path: string, body?: object | string, prefix = '/api/2.0/mlflow') => {
      const res =
        method === 'GET'
          ? await app.inject({ method, url: `${prefix}/${path}`, query: body as Record<string, string> })
          : await app.inject({
              method,
              url: `${prefix}/${path}`,
              payload: typeof body === 'string' ? body : JSON.stringify(body ?? {}),
              headers: { 'content-type': 'application/json' },
            });
      return { status: res.statusCode, body: res.json() };
    };
    const ok = async (method: 'GET' | 'POST', path: string, body?: object | string) => {
      const res = await call(method, path, body);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      return res.body;
    };

    let expId = '';
    let runId = '';
    const t0 = 1_700_000_000_000;

    it('creates, gets and finds experiments', async () => {
      expId = (await ok('POST', 'experiments/create', { name: 'mlf', tags: [{ key: 'team', value: 'vision' }] }))
        .experiment_id;
      assert.ok(expId);
      const dup = await call('POST', 'experiments/create', { name: 'mlf' });
      assert.equal(dup.status, 400);
      assert.equal(dup.body.error_code, 'RESOURCE_ALREADY_EXISTS');
      const got = (await ok('GET', 'experiments/get', { experiment_id: expId })).experiment;
      assert.equal(got.name, 'mlf');
      assert.equal(got.lifecycle_stage, 'active');
      assert.deepEqual(got.tags, [{ key: 'team', value: 'vision' }]);
      assert.equal(typeof got.creation_time, 'number');
      const byName = (await ok('GET', 'experiments/get-by-name', { experiment_name: 'mlf' })).experiment;
      assert.equal(byName.experiment_id, expId);
      const missing = await call('GET', 'experiments/get-by-name', { experiment_name: 'nope' });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error_code, 'RESOURCE_DOES_NOT_EXIST');
      const dflt = (await ok('GET', 'experiments/get', { experiment_id: '0' })).experiment;
      assert.equal(dflt.name, 'Default');
      assert.equal(dflt.experiment_id, '0');
    });

    it('creates a run and logs params, metrics and tags one by one', async () => {
      const created = await ok('POST', 'runs/create', {
        experiment_id: expId,
        user_id: 'alice',
        start_time: t0,
        tags: [
          { key: 'mlflow.user', value: 'alice' },
          { key: 'mlflow.source.name', value: 'train.py' },
          { key: 'mlflow.runName', value: 'brave-owl-1' },
        ],
        run_name: 'brave-owl-1',
      });
      runId = created.run.info.run_id;
      assert.equal(created.run.info.run_uuid, runId);
      assert.equal(created.run.info.status, 'RUNNING');
      assert.equal(created.run.info.run_name, 'brave-owl-1');
      assert.equal(created.run.info.start_time, t0);
      assert.equal(created.run.info.experiment_id, expId);
      await ok('POST', 'runs/log-parameter', { run_uuid: runId, run_id: runId, key: 'model', value: 'knn' });
      await ok('POST', 'runs/log-parameter', { run_uuid: runId, run_id: runId, key: 'model', value: 'knn' });
      const changed = await call('POST', 'runs/log-parameter', {
        run_uuid: runId,
        run_id: runId,
        key: 'model',
        value: 'svm',
      });
      assert.equal(changed.status, 400);
      assert.equal(changed.body.error_code, 'INVALID_PARAMETER_VALUE');
      await ok('POST', 'runs/log-metric', {
        run_uuid: runId,
        run_id: runId,
        key: 'acc',
        value: 0.5,
        timestamp: t0 + 1,
        step: 0,
      });
      // protobuf's own JSON printer sends int64 as strings
      await ok('POST', 'runs/log-metric', {
        run_id: runId,
        key: 'acc',
        value: 0.9,
        timestamp: String(t0 + 2),
        step: '1',
      });
      await ok('POST', 'runs/set-tag', { run_uuid: runId, run_id: runId, key: 'x-y', value: 'abc' });
      await ok('POST', 'runs/set-tag', { run_uuid: runId, run_id: runId, key: 'gone', value: '1' });
      await ok('POST', 'runs/delete-tag', { run_id: runId, key: 'gone' });
      const noTag = await call('POST', 'runs/delete-tag', { run_id: runId, key: 'gone' });
      assert.equal(noTag.status, 404);
    });

    it('logs batches, with NaN written as Python writes it, and enforces the limits', async () => {
      const body = `{"run_id": "${runId}", "metrics": [{"key": "loss", "value": NaN, "timestamp": ${t0}, "step": 0}, {"key": "loss", "value": 0.25, "timestamp": ${t0 + 5}, "step": 1}], "params": [{"key": "lr", "value": "0.01"}], "tags": [{"key": "stage", "value": "dev"}]}`;
      await ok('POST', 'runs/log-batch', body);
      const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: t0, step: i }));
      const tooMany = await call('POST', 'runs/log-batch', { run_id: runId, metrics });
      assert.equal(tooMany.status, 400);
      assert.equal(tooMany.body.error_code, 'INVALID_PARAMETER_VALUE');
      assert.match(tooMany.body.message, /metrics/);
      const params = Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
      assert.equal((await call('POST', 'runs/log-batch', { run_id: runId, params })).status, 400);
      const mixed = await call('POST', 'runs/log-batch', {
        run_id: runId,
        metrics: metrics.slice(0, 950),
        params: params.slice(0, 60),
      });
      assert.equal(mixed.status, 400);
      assert.match(mixed.body.message, /1000/);
      const count = await session.query(
        'SELECT COUNT(*) AS n FROM metrics WHERE key = ?'.replace('?', session.dialect === 'postgres' ? '$1' : '?'),
        ['m'],
      );
      assert.equal(Number(count[0]?.n), 0, 'a refused batch writes nothing');
      const full = await call('POST', 'runs/log-batch', { run_id: runId, metrics: metrics.slice(0, 1000) });
      assert.equal(full.status, 200);
    });

    it('returns the run as MLflow clients read it', async () => {
      const { run } = await ok('GET', 'runs/get', { run_uuid: runId, run_id: runId });
      assert.deepEqual(
        run.data.params.sort((a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key)),
        [
          { key: 'lr', value: '0.01' },
          { key: 'model', value: 'knn' },
        ],
      );
      const acc = run.data.metrics.find((m: { key: string }) => m.key === 'acc');
      assert.deepEqual(acc, { key: 'acc', value: 0.9, timestamp: t0 + 2, step: 1 });
      const tags = Object.fromEntries(run.data.tags.map((t: { key: string; value: string }) => [t.key, t.value]));
      assert.equal(tags['x-y'], 'abc');
      assert.equal(tags.stage, 'dev');
      assert.equal(tags['mlflow.source.name'], 'train.py');
      assert.equal(tags.gone, undefined);
      assert.equal(run.info.user_id, 'alice');
      const history = await ok('GET', 'metrics/get-history', { run_id: runId, run_uuid: runId, metric_key: 'loss' });
      assert.deepEqual(history.metrics, [
        { key: 'loss', value: 'NaN', timestamp: t0, step: 0 },
        { key: 'loss', value: 0.25, timestamp: t0 + 5, step: 1 },
      ]);
      const paged = await ok('GET', 'metrics/get-history', { run_id: runId, metric_key: 'm', max_results: '400' });
      assert.equal(paged.metrics.length, 400);
      const rest = await ok('GET', 'metrics/get-history', {
        run_id: runId,
        metric_key: 'm',
        max_results: '700',
        page_token: paged.next_page_token,
      });
      assert.equal(rest.metrics.length, 600);
      assert.equal(rest.metrics[0].step, 400);
      assert.equal(rest.next_page_token, undefined);
      const artifacts = await ok('GET', 'artifacts/list', { run_id: runId });
      assert.match(artifacts.root_uri, new RegExp(`${runId}/artifacts$`));
      assert.deepEqual(artifacts.files, []);
      const missing = await call('GET', 'runs/get', { run_id: 'nope' });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error_code, 'RESOURCE_DOES_NOT_EXIST');
    });

    it('is an ordinary lockstep run, queryable with SQL', async () => {
      const rows = await session.query('SELECT run_id, status, model, lr FROM experiment_mlf');
      assert.deepEqual(rows, [{ run_id: runId, status: 'running', model: 'knn', lr: '0.01' }]);
      const exp = await session.loadExperiment('mlf');
      assert.equal((await exp.metrics(runId, 'acc')).length, 2);
    });

    it('updates runs, searches with filters (OR too), order_by and pages', async () => {
      const more: string[] = [];
      for (const [model, acc] of [
        ['svm', 0.7],
        ['tree', 0.95],
        ['knn', 0.3],
      ] as const) {
        const r: string = (
          await ok('POST', 'runs/create', { experiment_id: expId, start_time: t0 + more.length + 10, tags: [] })
        ).run.info.run_id;
        await ok('POST', 'runs/log-batch', {
          run_id: r,
          metrics: [{ key: 'acc', value: acc, timestamp: t0, step: 0 }],
          params: [{ key: 'model', value: model }],
        });
        more.push(r);
      }
      const upd = await ok('POST', 'runs/update', {
        run_uuid: runId,
        run_id: runId,
        status: 'FINISHED',
        end_time: t0 + 99,
        run_name: 'renamed',
      });
      assert.equal(upd.run_info.status, 'FINISHED');
      assert.equal(upd.run_info.end_time, t0 + 99);
      assert.equal(upd.run_info.run_name, 'renamed');
      await ok('POST', 'runs/update', { run_id: more[2], status: 'KILLED', end_time: t0 + 100 });
      const search = async (body: object) =>
        (await ok('POST', 'runs/search', { experiment_ids: [expId], ...body })).runs;
      const names = (runs: { data: { params: { key: string; value: string }[] } }[]) =>
        runs.map((r) => r.data.params.find((p) => p.key === 'model')?.value);
      assert.deepEqual(names(await search({ filter: 'metrics.acc > 0.5', order_by: ['metrics.acc DESC'] })), [
        'tree',
        'knn',
        'svm',
      ]);
      assert.deepEqual(
        names(await search({ filter: "params.model = 'svm' OR metrics.acc < 0.5", order_by: ['metrics.acc ASC'] })),
        ['knn', 'svm'],
      );
      assert.deepEqual(names(await search({ filter: "attributes.status = 'KILLED'" })), ['knn']);
      assert.deepEqual(names(await search({ filter: "tags.`x-y` LIKE 'a%'" })), ['knn']);
      assert.deepEqual(names(await search({ filter: "attributes.run_name = 'renamed'" })), ['knn']);
      const bad = await call('POST', 'runs/search', { experiment_ids: [expId], filter: 'metrics.acc >' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error_code, 'INVALID_PARAMETER_VALUE');
      assert.match(bad.body.message, /position/);
      const page1 = await ok('POST', 'runs/search', {
        experiment_ids: [expId],
        max_results: 3,
        order_by: ['attributes.start_time ASC'],
      });
      assert.equal(page1.runs.length, 3);
      const page2 = await ok('POST', 'runs/search', {
        experiment_ids: [expId],
        max_results: 3,
        order_by: ['attributes.start_time ASC'],
        page_token: page1.next_page_token,
      });
      assert.equal(page2.runs.length, 1);
      assert.equal(page2.next_page_token, undefined);
      const seen = new Set([...page1.runs, ...page2.runs].map((r: { info: { run_id: string } }) => r.info.run_id));
      assert.equal(seen.size, 4);
      await ok('POST', 'runs/delete', { run_id: more[0] });
      assert.equal((await search({ run_view_type: 'ACTIVE_ONLY' })).length, 3);
      const deleted = await search({ run_view_type: 'DELETED_ONLY' });
      assert.deepEqual(
        deleted.map((r: { info: { run_id: string; lifecycle_stage: string } }) => [
          r.info.run_id,
          r.info.lifecycle_stage,
        ]),
        [[more[0], 'deleted']],
      );
      await ok('POST', 'runs/restore', { run_id: more[0] });
      assert.equal((await search({ run_view_type: 'ALL' })).length, 4);
      assert.equal((await search({})).length, 4);
    });

    it('searches, renames, tags, deletes and restores experiments', async () => {
      await ok('POST', 'experiments/create', { name: 'other' });
      const all = await ok('POST', 'experiments/search', { max_results: 1000, view_type: 'ACTIVE_ONLY' });
      assert.deepEqual(all.experiments.map((e: { name: string }) => e.name).sort(), ['Default', 'mlf', 'other']);
      const filtered = await ok('POST', 'experiments/search', { filter: "name LIKE 'm%' OR tags.team = 'none'" });
      assert.deepEqual(
        filtered.experiments.map((e: { name: string }) => e.name),
        ['mlf'],
      );
      const paged = await ok('POST', 'experiments/search', { max_results: 2, order_by: ['name ASC'] });
      assert.deepEqual(
        paged.experiments.map((e: { name: string }) => e.name),
        ['Default', 'mlf'],
      );
      const next = await ok('GET', 'experiments/search', {
        max_results: '2',
        order_by: 'name ASC',
        page_token: paged.next_page_token,
      });
      assert.deepEqual(
        next.experiments.map((e: { name: string }) => e.name),
        ['other'],
      );
      await ok('POST', 'experiments/set-experiment-tag', { experiment_id: expId, key: 'note', value: 'hi' });
      await ok('POST', 'experiments/update', { experiment_id: expId, new_name: 'mlf2' });
      const renamed = (await ok('GET', 'experiments/get', { experiment_id: expId })).experiment;
      assert.equal(renamed.name, 'mlf2');
      assert.deepEqual(renamed.tags, [
        { key: 'note', value: 'hi' },
        { key: 'team', value: 'vision' },
      ]);
      const rows = await session.query('SELECT COUNT(*) AS n FROM experiment_mlf2');
      assert.equal(Number(rows[0]?.n), 4);
      assert.equal((await ok('GET', 'runs/get', { run_id: runId })).run.info.experiment_id, expId);
      await ok('POST', 'experiments/delete', { experiment_id: expId });
      const active = await ok('POST', 'experiments/search', { view_type: 'ACTIVE_ONLY' });
      assert.ok(!active.experiments.some((e: { name: string }) => e.name === 'mlf2'));
      const gone = await ok('POST', 'experiments/search', { view_type: 'DELETED_ONLY' });
      assert.deepEqual(
        gone.experiments.map((e: { name: string; lifecycle_stage: string }) => [e.name, e.lifecycle_stage]),
        [['mlf2', 'deleted']],
      );
      await ok('POST', 'experiments/restore', { experiment_id: expId });
      assert.equal((await ok('GET', 'experiments/get', { experiment_id: expId })).experiment.lifecycle_stage, 'active');
    });

    it('keeps MLflow’s lifecycle rules: deleted runs and experiments refuse writes', async () => {
      const id = (await ok('POST', 'runs/create', { experiment_id: expId, start_time: t0 })).run.info.run_id;
      await ok('POST', 'runs/delete', { run_id: id });
      const writes: [string, object][] = [
        ['runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: t0 }],
        ['runs/log-parameter', { run_id: id, key: 'p', value: 'x' }],
        ['runs/set-tag', { run_id: id, key: 't', value: 'x' }],
        ['runs/log-batch', { run_id: id, metrics: [{ key: 'm', value: 1, timestamp: t0 }] }],
        ['runs/update', { run_id: id, status: 'FINISHED' }],
        ['runs/log-inputs', { run_id: id, datasets: [] }],
      ];
      for (const [path, body] of writes) {
        const res = await call('POST', path, body);
        assert.equal(res.status, 400, path);
        assert.deepEqual(res.body, {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: `The run ${id} must be in the 'active' state. Current state is deleted.`,
        });
      }
      const ph = backend.name === 'postgres' ? '$1' : '?';
      assert.deepEqual(await session.query(`SELECT key FROM metrics WHERE run_id = ${ph}`, [id]), []);
      await ok('POST', 'runs/restore', { run_id: id });
      await ok('POST', 'runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: t0 });
      // MLflow 2's log-model appends the MLmodel to a tag
      await ok('POST', 'runs/log-model', { run_id: id, model_json: '{"flavors": {"sklearn": {}}}' });
      await ok('POST', 'runs/log-model', { run_id: id, model_json: '{"flavors": {"onnx": {}}}' });
      const tags = (await ok('GET', 'runs/get', { run_id: id })).run.data.tags;
      const history = tags.find((t: { key: string }) => t.key === 'mlflow.log-model.history');
      assert.deepEqual(JSON.parse(history.value), [{ flavors: { sklearn: {} } }, { flavors: { onnx: {} } }]);

      const doomed = (await ok('POST', 'experiments/create', { name: 'doomed' })).experiment_id;
      await ok('POST', 'experiments/set-experiment-tag', { experiment_id: doomed, key: 'k', value: 'v' });
      await ok('POST', 'experiments/delete-experiment-tag', { experiment_id: doomed, key: 'k' });
      const again = await call('POST', 'experiments/delete-experiment-tag', { experiment_id: doomed, key: 'k' });
      assert.deepEqual([again.status, again.body.error_code], [404, 'RESOURCE_DOES_NOT_EXIST']);
      await ok('POST', 'experiments/delete', { experiment_id: doomed });
      const refused = await call('POST', 'runs/create', { experiment_id: doomed });
      assert.equal(
        refused.body.message,
        `The experiment ${doomed} must be in the 'active' state. Current state is deleted.`,
      );
      // names up to MLflow's 500 characters; a relative artifact location becomes absolute; runs:/ is refused
      const long = await call('POST', 'experiments/create', { name: 'n'.repeat(501) });
      assert.equal(long.body.message, "'name' exceeds the maximum length of 500 characters");
      const located = await ok('POST', 'experiments/create', { name: 'n'.repeat(500), artifact_location: 'rel/dir' });
      const got = (await ok('GET', 'experiments/get', { experiment_id: located.experiment_id })).experiment;
      assert.equal(got.artifact_location, join(process.cwd(), 'rel', 'dir'));
      const runsUri = await call('POST', 'experiments/create', { name: 'r', artifact_location: 'runs:/x/y' });
      assert.match(runsUri.body.message, /cannot be a runs:\/ URI/);
    });

    it('answers under /ajax-api too, and names the bad field', async () => {
      const res = await call('GET', 'experiments/get', { experiment_id: '0' }, '/ajax-api/2.0/mlflow');
      assert.equal(res.status, 200);
      assert.equal(res.body.experiment.name, 'Default');
      const bad = await call('POST', 'runs/log-metric', { run_id: runId, key: 'acc', value: 'high', timestamp: t0 });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error_code, 'INVALID_PARAMETER_VALUE');
      // MLflow's wording (mlflow/server/handlers.py), which clients match on
      assert.match(
        bad.body.message,
        /^Invalid value "high" for parameter 'value' supplied: {2}Hint: Value was of type 'str'\./,
      );
      const missing = await call('POST', 'experiments/create', {});
      assert.equal(
        missing.body.message,
        "Missing value for required parameter 'name'. See the API docs for more information about request parameters.",
      );
      const long = await call('POST', 'runs/log-parameter', { run_id: runId, key: 'k'.repeat(251), value: 'v' });
      assert.match(
        long.body.message,
        /for parameter 'key' supplied: {2}Too big: expected string to have <=250 characters/,
      );
      const unknown = await call('GET', 'no/such/route');
      assert.deepEqual([unknown.status, unknown.body.error_code], [404, 'ENDPOINT_NOT_FOUND']);
      const v3 = await app.inject({ method: 'POST', url: '/api/3.0/mlflow/traces', payload: {} });
      assert.deepEqual([v3.statusCode, v3.json().error_code], [404, 'ENDPOINT_NOT_FOUND']);
      const malformed = await call('POST', 'runs/log-metric', '{"run_id": ');
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.error_code, 'INVALID_PARAMETER_VALUE');
      const doc = (await app.inject({ url: '/openapi.json' })).json();
      assert.ok(doc.paths['/api/2.0/mlflow/runs/log-batch']);
      assert.equal(doc.paths['/ajax-api/2.0/mlflow/runs/log-batch'], undefined);
    });
  });
}
