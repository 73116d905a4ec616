// MLflow's own Python client (3.6) against a real `lockstep ui`, on SQLite and
// PostgreSQL: one full workflow and the documented errors per backend, then what
// lockstep itself sees of it (its CLI, plain SQL, the registry, `serve`, the web UI).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSession, type Session } from '../../src/index.ts';
import { tableToXY, trainModel } from '../../src/models/train.ts';
import { createServeApp } from '../../src/serve/app.ts';
import { FEATURES, irisRows } from '../artifacts/iris.ts';
import { backends, postgresAvailable, runCli, tempDir } from '../helpers.ts';
import { waitText } from '../ui/browser.ts';
import { browserMissing, ensureUiBuilt, launch } from '../ui/harness.ts';
import { pythonClient, runPython, startUi, type UiProcess } from './mlflow-client/harness.ts';

const BIG_MIB = Number(process.env.LOCKSTEP_TEST_BIG_MIB ?? 100);
const SETOSA = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };

function irisModelFile() {
  const rows = irisRows();
  const table = { columns: [...FEATURES, 'species'], rows, format: 'csv' as const };
  return trainModel('knn', { k: 5 }, tableToXY(table, FEATURES, 'species'), FEATURES, 'species', 3).file;
}

const client = await pythonClient();

for (const backend of backends()) {
  describe(`MLflow's Python client against lockstep ui on ${backend.name}`, { skip: !client }, () => {
    let url = '';
    let dir = '';
    let session: Session;
    let ui: UiProcess;
    // biome-ignore lint/suspicious/noExplicitAny: the JSON the Python scripts print
    let out: Record<string, any> = {};
    // biome-ignore lint/suspicious/noExplicitAny: the JSON the Python scripts print
    let errors: Record<string, any> = {};
    let available = true;
    let baseline = 0;

    before(async () => {
      if (backend.name === 'postgres' && !(await postgresAvailable())) {
        available = false;
        return;
      }
      dir = tempDir('lockstep-mlflow-');
      url = await backend.fresh();
      const blobs = join(dir, 'blobs');
      session = await createSession(url, { artifacts: { blobs, cache: join(dir, 'cache') } });
      // a model registered through lockstep's own API, before any MLflow client came
      const file = irisModelFile();
      await session.models.register('native-iris', file, { aliases: ['champion'] });
      writeFileSync(join(dir, 'model.json'), JSON.stringify(file));
      if (backend.name === 'sqlite' && !browserMissing()) await ensureUiBuilt();
      ui = await startUi(['--db', url, '--artifacts-destination', blobs], { cwd: dir });
      baseline = ui.memory().rss;
    });
    after(async () => {
      await ui?.stop();
      await session?.close();
      await backend.cleanup();
    });

    it('runs the full workflow with the real client', { timeout: 600_000 }, async () => {
      if (!available || !client) return;
      ({ out } = await runPython(client, 'workflow.py', ui.url, [dir, join(dir, 'model.json'), String(BIG_MIB)]));
      ({ out: errors } = await runPython(client, 'errors.py', ui.url, []));
    });

    it('keeps experiments, any MLflow name included', () => {
      if (!available) return;
      assert.match(out.experiment.name, /^mlflow compat \/ x{60} ünïcødé$/);
      assert.equal(out.experiment.artifact_location, `mlflow-artifacts:/${out.experiment.id}`);
      assert.equal(out.experiment_by_name, out.experiment.id);
      assert.equal(out.missing_experiment, null);
      // a relative location is made absolute, as MLflow does
      assert.match(out.other.artifact_location, /^\/.*\/relative\/dir$/);
      assert.deepEqual(out.other.tags, { team: 'vision' });
      assert.deepEqual(out.other_tags_after_delete, { team: 'vision' });
      assert.deepEqual(out.deleted_experiments, ['compat-renamed']);
      assert.deepEqual(out.search_experiments, ['compat-renamed']);
    });

    it('logs runs, nested runs, params, metrics, tags, batches and datasets', () => {
      if (!available) return;
      const p = out.parent;
      assert.equal(p.status, 'FINISHED');
      assert.deepEqual(p.params, { model: 'knn', k: '5', weights: 'uniform', batch_p: 'x' });
      assert.equal(p.metrics.acc, 0.9);
      assert.equal(p.metrics.loss, 1 / 30);
      assert.equal(p.metrics.batch, 499);
      assert.equal(p.tags.stage, 'dev');
      assert.equal(p.tags.owner, 'alice');
      assert.equal(p.tags.batch_t, 'y');
      assert.equal(p.tags['mlflow.runName'], 'parent');
      assert.deepEqual(p.inputs, [{ name: 'iris', digest: 'd1g35t', tags: { 'mlflow.data.context': 'training' } }]);
      assert.deepEqual(
        out.history,
        Array.from({ length: 30 }, (_, i) => [i, 1 / (i + 1)]),
      );
      assert.equal(out.batch_history, 500);
    });

    it('searches with MLflow filters, several order keys and pages', () => {
      if (!available) return;
      const s = out.search;
      assert.deepEqual(s.acc_knn, ['parent', 'child-2']);
      assert.deepEqual(s.two_keys.slice(0, 4), ['child-1', 'parent', 'child-2', 'child-0']);
      assert.deepEqual(s.parameter_prefix, ['child-1']);
      assert.deepEqual(s.bare_attribute, ['child-0']);
      assert.equal(s.created, 6);
      assert.deepEqual(s.failed, ['failing']);
      assert.deepEqual(s.killed, ['killed']);
      assert.deepEqual(s.by_status, ['FAILED', 'FINISHED', 'FINISHED', 'FINISHED', 'FINISHED', 'KILLED']);
      assert.deepEqual(s.dataset, ['parent']);
      assert.deepEqual(s.dataset_digest_in, ['parent']);
      assert.deepEqual(s.children, ['child-0', 'child-1', 'child-2']);
      assert.deepEqual(s.or, ['child-1', 'failing']);
      assert.equal(s.param_number.code, 'INVALID_PARAMETER_VALUE');
      assert.match(s.param_number.message, /Expected a quoted string value for param/);
      assert.deepEqual(out.pages, [
        ['parent', 'child-0'],
        ['child-1', 'child-2'],
        ['failing', 'killed'],
      ]);
    });

    it('deletes and restores runs, and refuses writes to deleted ones', () => {
      if (!available) return;
      assert.equal(out.active_after_delete, 5);
      assert.deepEqual(out.deleted_only, ['child-0']);
      assert.equal(out.write_to_deleted.code, 'INVALID_PARAMETER_VALUE');
      assert.match(out.write_to_deleted.message, /must be in the 'active' state\. Current state is deleted\./);
      assert.equal(out.active_after_restore, 6);
    });

    it('stores artifacts up and down, a large one streamed', (t) => {
      if (!available) return;
      assert.deepEqual(out.empty_listing, []);
      assert.deepEqual(out.listing, [
        ['cfg', true, null],
        ['data', true, null],
        ['notes.txt', false, 6],
        ['texts', true, null],
      ]);
      assert.deepEqual(out.listing_data, [
        ['data/a.csv', false, 8],
        ['data/sub', true, null],
      ]);
      assert.deepEqual(out.downloaded, ['a.csv', 'sub/b.txt']);
      assert.equal(out.downloaded_text, 'hello');
      assert.deepEqual(out.downloaded_dict, { lr: 0.1 });
      assert.equal(out.big.bytes, BIG_MIB * 1024 * 1024);
      assert.equal(out.big.same, true);
      // the server never held the file: its peak resident memory over the whole workflow grew by less than
      // the file's size (about 40 MiB here; holding the file would add 100 MiB at least)
      const { peak } = ui.memory();
      t.diagnostic(
        `${BIG_MIB} MiB: up ${out.big.upload_s} s, down ${out.big.download_s} s; server RSS ${baseline.toFixed(0)} MiB at start, peak ${peak.toFixed(0)} MiB`,
      );
      assert.ok(peak - baseline < Math.max(64, BIG_MIB * 0.9), `peak RSS ${peak} MiB, ${baseline} MiB at start`);
    });

    it('keeps one model registry for MLflow, lockstep and serve', async () => {
      if (!available) return;
      const r = out.registry;
      assert.equal(r.mv1.version, '1');
      assert.equal(r.mv1.status, 'READY');
      assert.match(r.mv1.source, /^mlflow-artifacts:\/.+\/artifacts\/model$/);
      assert.deepEqual(r.mv1.tags, { origin: 'mlflow' });
      assert.deepEqual(r.by_alias.aliases, ['champion']);
      assert.equal(r.by_alias.version, r.iris_version);
      assert.equal(r.sklearn.description, 'sklearn through MLflow');
      assert.deepEqual(r.sklearn.aliases, { candidate: '1' });
      assert.deepEqual(r.search_models, ['compat-iris', 'compat-sklearn']);
      assert.equal(r.mv1.run_id, out.registry.trainer);
      assert.deepEqual(r.search_versions, [['compat-sklearn', '1']]);
      assert.deepEqual(r.latest, ['1']);
      assert.deepEqual(r.production, [[r.iris_version, 'Production']]);
      assert.deepEqual(r.iris_tags, { team: 'ml' });
      assert.deepEqual(r.iris_aliases, { champion: r.iris_version });
      // versions are downloaded from their own files in lockstep's registry
      assert.match(r.download_uri, /^mlflow-artifacts:\/model-versions\/[0-9a-f-]{36}$/);
      assert.deepEqual(r.native, { versions: ['1'], aliases: { champion: '1' } });
      assert.equal(r.missing.code, 'RESOURCE_DOES_NOT_EXIST');
      assert.equal(r.bad_alias.code, 'INVALID_PARAMETER_VALUE');
      // the client writes registered_model_meta next to an MLflow model it downloaded by version
      assert.deepEqual(r.download_sklearn, ['MLmodel', 'model.pkl', 'registered_model_meta']);
      assert.equal(r.download_sklearn_same, true);
      assert.deepEqual(r.download_iris, ['model.json']);
      assert.deepEqual(r.download_native, ['model.json']);
      assert.deepEqual(r.after_delete, ['compat-iris', 'compat-logged', 'compat-sklearn', 'native-iris']);
      const lm = out.logged;
      assert.match(lm.id, /^m-[0-9a-f]{32}$/);
      assert.equal(lm.status, 'READY');
      assert.deepEqual(lm.params, { alpha: '0.1', beta: '2' });
      assert.deepEqual(lm.tags, { k2: 'v2' });
      assert.equal(lm.artifact_location, `mlflow-artifacts:/${out.experiment.id}/models/${lm.id}/artifacts`);
      assert.deepEqual(lm.files, ['MLmodel', 'model.pkl']);
      assert.deepEqual(lm.search, [lm.id]);
      assert.deepEqual(lm.outputs, [[lm.id, 3]]);
      assert.deepEqual(lm.model_inputs, [lm.id]);
      assert.equal(lm.deleted.code, 'RESOURCE_DOES_NOT_EXIST');
      assert.deepEqual(lm.registered, { version: '1', source: `models:/${lm.id}` });
      assert.deepEqual(lm.download, ['MLmodel', 'model.pkl', 'registered_model_meta']);

      // lockstep's registry holds the same models and versions
      const sk = await session.models.versions('compat-sklearn');
      assert.deepEqual(
        sk.map((v) => [v.version, v.format, v.algorithm]),
        [[1, 'mlflow', 'python_function, sklearn']],
      );
      const listed = await runCli(['models', '--db', url, '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(
        (JSON.parse(listed.stdout) as { name: string }[]).map((m) => m.name),
        ['compat-iris', 'compat-logged', 'compat-sklearn', 'errors-model', 'native-iris'],
      );
      assert.equal((await session.models.resolve('models:/compat-logged/1')).format, 'mlflow');
      // a lockstep model file registered through MLflow is served; an MLflow model is refused, clearly
      const served = await createServeApp({ session, uri: 'models:/compat-iris@champion' });
      const res = await served.inject({ method: 'POST', url: '/predict', payload: SETOSA });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().prediction.label, 'setosa');
      await served.close();
      await assert.rejects(
        createServeApp({ session, uri: 'models:/compat-sklearn@candidate' }),
        /models:\/compat-sklearn\/1 is an MLflow model \(flavors: python_function, sklearn\).*cannot serve/,
      );
      const cli = await runCli(['serve', 'models:/compat-sklearn/1', '--db', url]);
      assert.equal(cli.code, 2, cli.stderr);
      assert.match(cli.stderr, /is an MLflow model/);
    });

    it('answers the documented errors in MLflow’s words', () => {
      if (!available) return;
      for (const [name, e] of Object.entries(errors)) assert.ok(e, `${name}: no answer`);
      assert.equal(errors.missing_run.code, 'RESOURCE_DOES_NOT_EXIST');
      assert.equal(errors.duplicate_experiment.code, 'RESOURCE_ALREADY_EXISTS');
      assert.match(errors.changed_param.message, /Changing param values is not allowed/);
      assert.equal(errors.bad_filter.code, 'INVALID_PARAMETER_VALUE');
      assert.deepEqual(errors.unknown_endpoint, [404, 'ENDPOINT_NOT_FOUND']);
      assert.deepEqual(errors.unknown_artifact, [404, 'RESOURCE_DOES_NOT_EXIST']);
      assert.equal(errors.name_number.status, 400);
      assert.match(errors.name_number.message, /^Invalid value 123 for parameter 'name' supplied/);
      assert.match(errors.name_missing.message, /^Missing value for required parameter 'name'\./);
      assert.deepEqual(errors.list_traversal, [400, 'INVALID_PARAMETER_VALUE', 'Invalid path']);
      assert.deepEqual(errors.proxy_traversal, [400, 'INVALID_PARAMETER_VALUE', 'Invalid path']);
      assert.deepEqual(errors.put_traversal[0], 400);
      assert.equal(errors.version[0], 200);
      assert.doesNotMatch(errors.version[1], /</);
      assert.equal(errors.missing_model.code, 'RESOURCE_DOES_NOT_EXIST');
      assert.equal(errors.missing_version.code, 'RESOURCE_DOES_NOT_EXIST');
      assert.equal(errors.reserved_alias.code, 'INVALID_PARAMETER_VALUE');
    });

    it('shows MLflow runs to lockstep like any other run: CLI, SQL and the web UI', async () => {
      if (!available) return;
      const name = out.experiment.name as string;
      const runs = await runCli(['runs', name, '--db', url, '--json']);
      assert.equal(runs.code, 0, runs.stderr);
      const rows = JSON.parse(runs.stdout) as Record<string, unknown>[];
      const parent = rows.find((r) => r.run_id === out.parent.id);
      assert.ok(parent, runs.stdout);
      assert.equal(parent.status, 'done');
      assert.equal(parent.model, 'knn');
      const [exp] = await session.query(
        `SELECT table_name FROM experiments WHERE name = ${backend.name === 'postgres' ? '$1' : '?'}`,
        [name],
      );
      const table = exp?.table_name as string;
      assert.match(table, /^experiment_mlflow_compat___x{27}_[0-9a-f]{8}$/);
      const ph = backend.name === 'postgres' ? '$1' : '?';
      const [row] = await session.query(`SELECT status, model, k FROM "${table}" WHERE run_id = ${ph}`, [
        out.parent.id,
      ]);
      assert.deepEqual({ ...row }, { status: 'done', model: 'knn', k: '5' });
      const [n] = await session.query(`SELECT COUNT(*) AS n FROM metrics WHERE run_id = ${ph} AND key = 'loss'`, [
        out.parent.id,
      ]);
      assert.equal(Number(n?.n), 30);
      // the web UI, in Chromium (once: it reads the same API on both databases)
      if (backend.name !== 'sqlite' || browserMissing()) return;
      const browser = await launch();
      try {
        const { page } = browser;
        await page.goto(`${ui.url}/experiments/${encodeURIComponent(name)}/runs/${out.parent.id}`);
        await waitText(page.getByTestId('run-params'), /model\s*knn/);
        await waitText(page.getByTestId('run-artifacts'), /notes\.txt/);
        await page.goto(`${ui.url}/models/compat-sklearn`);
        await waitText(page.getByTestId('model-versions'), /v1.*mlflow.*python_function, sklearn/s);
      } finally {
        await browser.close();
      }
    });
  });
}
