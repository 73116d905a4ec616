// The web UI on the databases a new user meets besides the iris demo: an empty
// one, one written only by MLflow clients (params and metrics, no fields), a
// large sweep with its lineage, and a token-protected server opened in a
// browser. Screenshots go to a temporary directory, or to LOCKSTEP_SCREENSHOTS.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSession, lock } from '../../src/index.ts';
import { startServer } from '../../src/server/index.ts';
import { tempDir } from '../helpers.ts';
import { trackErrors, waitText } from './browser.ts';
import { type Browser, browserMissing, launch, type Served, serve, UI_ROOT } from './harness.ts';

const shots = process.env.LOCKSTEP_SCREENSHOTS ?? tempDir('lockstep-shots-');
const temps = process.env.LOCKSTEP_SCREENSHOTS ? [] : [shots];
mkdirSync(shots, { recursive: true });
const TOKEN = 'cases-token-0123456789';

/** An experiment logged the way an MLflow client logs: params, metrics, tags, no fields. */
async function mlflowExperiment(url: string, name: string, withParams: boolean): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}/api/2.0/mlflow/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { experiment_id: string; run: { info: { run_id: string } } };
  };
  const { experiment_id } = await post('experiments/create', { name });
  for (let i = 0; i < 12; i++) {
    const { run } = await post('runs/create', { experiment_id, run_name: `run-${i}`, start_time: Date.now() });
    const params = withParams
      ? [
          { key: 'lr', value: String(0.1 / (i + 1)) },
          { key: 'optimizer', value: i % 2 ? 'adam' : 'sgd' },
          { key: 'layers', value: String(2 + (i % 4)) },
        ]
      : [];
    const loss = Array.from({ length: 30 }, (_, step) => ({
      key: 'loss',
      value: 1 / (step + 1) + i * 0.01,
      timestamp: Date.now(),
      step,
    }));
    await post('runs/log-batch', {
      run_id: run.info.run_id,
      params,
      metrics: [...loss, { key: 'accuracy', value: 0.8 + i * 0.01, timestamp: Date.now(), step: 0 }],
    });
    await post('runs/update', { run_id: run.info.run_id, status: 'FINISHED', end_time: Date.now() });
  }
}

describe('web UI cases: empty, MLflow-only, large sweep, token', { skip: browserMissing(), timeout: 300_000 }, () => {
  let empty: Served;
  let full: Served;
  let browser: Browser;
  let errors: string[];
  /** responses of 400 and above, which the browser logs as errors */
  const failed: string[] = [];
  let sweepRun: string;
  let otherRun: string;

  before(async () => {
    const dir = tempDir('lockstep-cases-');
    temps.push(dir);
    empty = await serve(join(dir, 'empty.db'));
    full = await serve(join(dir, 'full.db'));
    await mlflowExperiment(full.url, 'mlflow-exp', true);
    await mlflowExperiment(full.url, 'metrics-only', false);
    // a sweep of 60 runs with a long category value, a confusion matrix and its class names
    const s = full.session;
    const sweep = await s.createExperiment('sweep');
    sweep.addRuns({
      lr: [0.1, 0.03, 0.01, 0.003, 0.001],
      depth: [2, 4, 8, 16],
      model: ['mlp', 'gbm', 'random_forest_classifier'],
    });
    await sweep.execute((run) => {
      const lr = run.params.lr as number;
      run.fields.accuracy = 0.9 - Math.abs(Math.log10(lr) + 2) * 0.05 + (run.params.depth as number) / 200;
      run.fields.confusion = [
        [5, 1, 0],
        [0, 6, 1],
        [1, 0, 7],
      ];
      run.fields.labels = ['setosa', 'versicolor', 'virginica'];
      for (let step = 0; step < 10; step++) run.log('loss', 1 / (step + 1 + lr * 10), step);
    });
    [sweepRun, otherRun] = sweep.runs.toArray().map((r) => r.id) as [string, string];
    // its lineage: prepare → 20 train locks → evaluate
    const work = join(dir, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'data.csv'), 'a,b\n1,2\n');
    const common = { store: s, repos: [], cache: false as const };
    await lock({ ...common, path: join(work, 'prep'), name: 'prepare', data: [join(work, 'data.csv')] });
    const trains = Array.from({ length: 20 }, (_, i) => join(work, `train-${i}`));
    for (const [i, path] of trains.entries())
      await lock({ ...common, path, name: 'train', prevs: [join(work, 'prep')], config: { lr: 0.1 / (i + 1) } });
    await lock({ ...common, path: join(work, 'eval'), name: 'evaluate', prevs: trains });
    browser = await launch();
    errors = trackErrors(browser.page);
    browser.page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
  });

  after(async () => {
    await browser?.close();
    await empty?.close();
    await full?.close();
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  });

  const page = () => browser.page;
  const shot = (name: string, fullPage = false) => page().screenshot({ path: join(shots, `${name}.png`), fullPage });

  it('shows an empty database plainly: no experiments, no locks, no failed request', async () => {
    await page().goto(empty.url);
    const none = await waitText(page().getByTestId('no-experiments'), /No experiments yet/);
    assert.doesNotMatch(none, /`/, 'code is shown as code, not between backticks');
    await page().goto(`${empty.url}/lineage`);
    const text = await waitText(page().getByTestId('no-locks'), /No run locks recorded yet/);
    assert.doesNotMatch(text, /`/);
    assert.equal(await page().getByTestId('no-locks').locator('code').count(), 2);
    assert.deepEqual(failed, [], 'no request failed (the lineage used to log a 400 for the missing table)');
  });

  it('shows the metrics of an MLflow experiment as columns and charts them', async () => {
    await page().goto(`${full.url}/experiments/mlflow-exp`);
    await waitText(page().getByTestId('runs-count'), /^12 runs/);
    const heads = await page().locator('[data-testid="runs-table"] .thead .th-cell').allTextContents();
    assert.deepEqual(
      heads.slice(2).map((h) => h.replace(/[▲▼]/g, '').trim()),
      ['lr', 'optimizer', 'layers', 'accuracy', 'loss'],
    );
    await waitText(page().locator('[data-testid="runs-table"] .tr[data-index="0"]'), /0\.\d+/);
    await page().goto(`${full.url}/experiments/mlflow-exp/charts`);
    const title = await waitText(page().getByTestId('series-title'), /\d+ runs/);
    assert.equal(title, 'accuracy of the best 12 runs by accuracy (last)');
    await page().getByRole('img', { name: 'parallel coordinates' }).locator('canvas').waitFor();
    await page().getByRole('img', { name: 'scatter' }).locator('canvas').waitFor();
    assert.match((await page().getByTestId('parallel-title').textContent()) ?? '', /lr, optimizer, layers, accuracy/);
    await page().getByLabel('metric').selectOption('loss');
    await page().getByTestId('metric-loss').locator('canvas').first().waitFor();
    await page().waitForTimeout(300);
    await shot('charts-mlflow', true);
    // only metrics: the panel says what it needs instead of drawing nothing
    await page().goto(`${full.url}/experiments/metrics-only/charts`);
    await waitText(page().getByTestId('parallel-empty'), /Needs at least two axes/);
    assert.doesNotMatch((await page().getByTestId('series-title').textContent()) ?? '', / by$/);
  });

  it('draws a sweep of 20 locks as one lineage node, and long categories inside their axis', async () => {
    await page().goto(`${full.url}/lineage`);
    const locks = page().getByTestId('locks');
    await waitText(locks, /evaluate/);
    assert.equal(await locks.locator('tbody tr').count(), 22);
    await waitText(locks.locator('tbody tr').last(), /train × 20/);
    const chart = page().getByRole('img', { name: 'lineage graph' });
    await chart.locator('canvas').first().waitFor();
    await page().waitForTimeout(300);
    await shot('lineage-sweep', true);
    await page().goto(`${full.url}/experiments/sweep/charts`);
    await page().getByRole('img', { name: 'parallel coordinates' }).locator('canvas').waitFor();
  });

  it('gives a run page chart the card width, and names matrix rows alike on the run page and in compare', async () => {
    await page().goto(`${full.url}/experiments/sweep/runs/${sweepRun}`);
    const chart = page().getByTestId('metric-loss');
    await chart.locator('canvas').first().waitFor();
    const grid = (await page().locator('.metric-grid').boundingBox())!;
    const canvas = (await chart.locator('canvas').first().boundingBox())!;
    assert.ok(canvas.width > grid.width * 0.9, `chart ${canvas.width} px wide in a ${grid.width} px card`);
    const runHeads = await page()
      .getByTestId('run-fields')
      .locator('table.mini')
      .first()
      .locator('th')
      .allTextContents();
    await page().goto(`${full.url}/experiments/sweep/compare?runs=${sweepRun},${otherRun}`);
    const table = page().getByTestId('compare-table');
    await table.waitFor();
    const compareHeads = await table.locator('table.mini').first().locator('th').allTextContents();
    assert.deepEqual(compareHeads, runHeads);
    assert.ok(runHeads.includes('setosa') && runHeads.includes('virginica'), runHeads.join(','));
  });

  it('asks a browser for the token of a protected server, then shows the UI', async () => {
    const s = await createSession(join(tempDir('lockstep-cases-token-'), 'token.db'));
    const server = await startServer({
      session: s,
      host: '127.0.0.1',
      port: 0,
      uiRoot: UI_ROOT,
      tokens: { write: [TOKEN] },
    });
    try {
      const context = await browser.context.browser()?.newContext();
      const p = context ? await context.newPage() : page();
      await p.goto(`${server.url}/experiments`);
      await p.getByLabel('Token').waitFor();
      await p.screenshot({ path: join(shots, 'signin.png') });
      await p.getByLabel('Token').fill('wrong-token-000000');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await waitText(p.getByRole('alert'), /That token is not valid/);
      await p.getByLabel('Token').fill(TOKEN);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await waitText(p.getByTestId('no-experiments'), /No experiments yet/);
      assert.match(p.url(), /\/experiments$/);
      await context?.close();
    } finally {
      await server.close();
      await s.close();
    }
  });

  it('had no uncaught errors in the page', () => {
    assert.deepEqual(errors, []);
  });
});
