// The web UI end to end: the iris demo's database behind a real server on
// 127.0.0.1, driven in Debian's Chromium. Screenshots go to a temporary
// directory, or to LOCKSTEP_SCREENSHOTS (docs/screenshots for the README).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSession, lock } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { columnTexts, trackErrors, waitCount, waitQuery, waitText } from './browser.ts';
import { type Browser, browserMissing, irisDatabase, launch, type Served, serve } from './harness.ts';

const shots = process.env.LOCKSTEP_SCREENSHOTS ?? tempDir('lockstep-shots-');
/** Temporary directories this file made, removed at the end. */
const temps = process.env.LOCKSTEP_SCREENSHOTS ? [] : [shots];
mkdirSync(shots, { recursive: true });

describe('web UI on the iris demo', { skip: browserMissing(), timeout: 240_000 }, () => {
  let server: Served;
  let browser: Browser;
  let errors: string[];
  let failedRun: string;
  let longRun: string;

  before(async () => {
    const dbDir = tempDir();
    temps.push(dbDir);
    const db = await irisDatabase(dbDir);
    // a second experiment with a failing run, for the error view
    const s = await createSession(db);
    const broken = await s.createExperiment('broken', { description: 'a step that throws' });
    broken.addRuns({ x: [1, 2] });
    await broken.execute((run) => {
      if (run.params.x === 2) throw new Error('x must not be 2');
      run.fields.y = (run.params.x as number) * 10;
    });
    failedRun = broken.runs.filter((r) => r.status === 'failed')[0]!.id;
    // a long metric series: the chart gets a downsampled view and zooms into full detail
    const long = await s.createExperiment('long', { description: 'one run, 50,000 logged points' });
    long.addRun({ lr: 0.1 });
    await long.execute((run) => {
      for (let i = 0; i < 50_000; i++) run.log('loss', 1 / (1 + i / 1000) + Math.sin(i / 50) * 0.01, i);
    });
    longRun = long.runs.toArray()[0]!.id;
    // a three-stage pipeline of run locks, train locked twice (the first is superseded)
    const work = tempDir('lockstep-lineage-');
    temps.push(work);
    writeFileSync(join(work, 'iris.csv'), 'sepal_length,species\n5.1,setosa\n');
    const common = { store: s, repos: [], cache: false as const };
    await lock({ ...common, path: join(work, 'prep'), name: 'prepare', data: [join(work, 'iris.csv')] });
    await lock({ ...common, path: join(work, 'train'), name: 'train', prevs: [join(work, 'prep')], config: { k: 3 } });
    await lock({ ...common, path: join(work, 'train'), name: 'train', prevs: [join(work, 'prep')], config: { k: 5 } });
    await lock({ ...common, path: join(work, 'eval'), name: 'evaluate', prevs: [join(work, 'train')] });
    await s.close();
    server = await serve(db);
    browser = await launch();
    errors = trackErrors(browser.page);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  });

  const page = () => browser.page;
  const shot = (name: string, fullPage = false) => page().screenshot({ path: join(shots, `${name}.png`), fullPage });

  it('lists experiments and searches them', async () => {
    await page().goto(server.url);
    await waitText(page().getByTestId('experiments'), /iris[\s\S]*15/);
    await shot('experiments');
    await page().getByLabel('Search experiments').fill('brok');
    await waitQuery(page(), { search: 'brok' });
    // the list answers the search: one row, broken
    await waitCount(page().getByTestId('experiments').locator('tbody tr'), 1);
    await waitText(page().getByTestId('experiments').locator('tbody tr'), /^broken/);
  });

  it('opens the iris runs table', async () => {
    await page().goto(`${server.url}/experiments/iris`);
    await waitText(page().getByTestId('runs-count'), /^15 runs/);
    const models = await columnTexts(page(), 'model');
    assert.equal(models.length, 15);
    assert.ok(models.includes('naive_bayes'));
    await shot('runs');
  });

  it('filters with the search grammar and keeps the filter in the URL', async () => {
    const expected = await server.session.query(
      "SELECT COUNT(*) AS n FROM experiment_iris WHERE model = 'knn' AND accuracy >= 0.955",
    );
    const n = Number(expected[0]!.n);
    await page().getByLabel('Filter runs').fill("params.model = 'knn' and fields.accuracy >= 0.955");
    await page().getByRole('button', { name: 'Apply' }).click();
    await waitQuery(page(), { filter: "params.model = 'knn' and fields.accuracy >= 0.955" });
    await waitText(page().getByTestId('runs-count'), new RegExp(`^${n} runs? match`));
    assert.deepEqual([...new Set(await columnTexts(page(), 'model'))], ['knn']);
  });

  it('shows a malformed filter inline with its position', async () => {
    await page().getByLabel('Filter runs').fill('k > and');
    await page().getByRole('button', { name: 'Apply' }).click();
    const text = await waitText(page().getByTestId('filter-error'), /position 4/);
    assert.match(text, /k > and\s+\^/);
    assert.equal(await page().getByLabel('Filter runs').getAttribute('aria-invalid'), 'true');
    await shot('filter-error');
    await page().getByRole('button', { name: 'Clear' }).click();
    await waitText(page().getByTestId('runs-count'), /^15 runs/);
  });

  it('sorts by a column, descending then ascending', async () => {
    await page()
      .locator('.th-cell', { hasText: /^accuracy$/ })
      .getByRole('button')
      .click();
    await waitQuery(page(), { sort: 'accuracy', order: 'desc' });
    await waitText(page().locator('[data-testid="runs-table"] .tr[data-index="0"]'), /0\.966667/);
    const desc = (await columnTexts(page(), 'accuracy')).map(Number);
    assert.deepEqual(
      desc,
      [...desc].sort((a, b) => b - a),
    );
    await page()
      .locator('.th-cell', { hasText: /^accuracy( [▲▼])?$/ })
      .getByRole('button')
      .click();
    await waitQuery(page(), { sort: 'accuracy', order: 'asc' });
    await waitText(page().locator('[data-testid="runs-table"] .tr[data-index="0"]'), /naive_bayes/);
  });

  it('chooses columns and restores the whole view from the URL', async () => {
    await page()
      .getByRole('button', { name: /^Columns/ })
      .click();
    await page().getByRole('dialog', { name: 'Choose columns' }).getByLabel('cv_ms').uncheck();
    const q = await waitQuery(page(), { sort: 'accuracy' });
    assert.ok(q.get('columns') && !q.get('columns')!.split(',').includes('cv_ms'));
    await page().getByRole('button', { name: 'Close' }).click();
    assert.equal(
      await page()
        .locator('.th-cell', { hasText: /^cv_ms$/ })
        .count(),
      0,
    );
    // a shared link shows the same view
    await page().reload();
    await waitText(page().locator('[data-testid="runs-table"] .tr[data-index="0"]'), /naive_bayes/);
    assert.equal(
      await page()
        .locator('.th-cell', { hasText: /^cv_ms$/ })
        .count(),
      0,
    );
    assert.equal(await page().locator('.th-cell[data-sort="asc"]').textContent(), 'accuracy ▲');
  });

  it('opens a run: params, the confusion matrix as a heatmap, metric charts', async () => {
    await page().goto(`${server.url}/experiments/iris?sort=accuracy&order=desc`);
    const first = page().locator('[data-testid="runs-table"] .tr[data-index="0"] a');
    await first.waitFor();
    await first.click();
    await page().getByTestId('run-params').waitFor();
    assert.match(page().url(), /\/experiments\/iris\/runs\/[0-9a-f-]{36}$/);
    await waitText(page().getByTestId('run-params'), /model\s*knn/);
    await waitText(page().getByTestId('run-fields'), /confusion/);
    await page().getByRole('img', { name: 'confusion heatmap' }).locator('canvas').first().waitFor();
    await page().getByTestId('metric-fold_accuracy').locator('canvas').first().waitFor();
    assert.match((await page().getByTestId('run-fields').textContent()) ?? '', /setosa/);
    await page().waitForTimeout(300);
    await shot('run', true);
  });

  it('shows the error and stack of a failed run', async () => {
    await page().goto(`${server.url}/experiments/broken`);
    await waitText(page().getByTestId('runs-count'), /^2 runs/);
    await page().getByRole('button', { name: 'failed', exact: true }).click();
    await waitQuery(page(), { filter: "attributes.status = 'failed'" });
    await waitText(page().getByTestId('runs-count'), /^1 run match/);
    await page().locator('[data-testid="runs-table"] .tr[data-index="0"] a').click();
    const text = await waitText(page().getByTestId('run-error'), /x must not be 2/);
    assert.ok(page().url().endsWith(`/runs/${failedRun}`), 'the filtered row is the failed run');
    assert.match(text, /at /, 'the stack is shown');
  });

  it('downsamples a long series and zooms into full detail', async () => {
    const zooms: string[] = [];
    const onRequest = (r: { url(): string }) => {
      if (r.url().includes('minStep=')) zooms.push(r.url());
    };
    page().on('request', onRequest);
    await page().goto(`${server.url}/experiments/long/runs/${longRun}`);
    const chart = page().getByTestId('metric-loss');
    await waitText(chart.locator('figcaption'), /50,000 points, downsampled/);
    const over = chart.locator('.u-over');
    await over.waitFor();
    const box = (await over.boundingBox())!;
    await page().mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page().mouse.down();
    await page().mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 5 });
    await page().mouse.up();
    await waitText(chart.locator('figcaption'), /steps \d+–\d+/);
    page().off('request', onRequest);
    assert.equal(zooms.length, 1, 'one request for the zoomed range');
    const range = new URL(zooms[0]!).searchParams;
    const [min, max] = [Number(range.get('minStep')), Number(range.get('maxStep'))];
    assert.ok(min > 15_000 && max < 25_000 && max - min < 5000, `zoomed to ${min}–${max}`);
    await chart.getByRole('button', { name: 'reset zoom' }).click();
    await waitText(chart.locator('figcaption'), /^loss \(50,000 points, downsampled/);
  });

  it('opens a run page from its address without the page-loading fallback, and without ECharts when no value needs it', async () => {
    // A page that suspends shows the fallback and React 19 then holds it back for at least 300 ms: the run's
    // request, and its charts, waited that long. The run page's module now loads before the first render.
    const fresh = await browser.context.newPage();
    try {
      await fresh.addInitScript(`new MutationObserver(() => {
        if (document.querySelector('.loading')?.textContent?.includes('Loading page')) window.__pageFallback = true;
      }).observe(document, { childList: true, subtree: true });`);
      const scripts: string[] = [];
      fresh.on('response', (r) => {
        if (r.url().endsWith('.js')) scripts.push(r.url());
      });
      await fresh.goto(`${server.url}/experiments/long/runs/${longRun}`);
      await fresh.getByTestId('metric-loss').locator('canvas').first().waitFor();
      assert.equal(await fresh.evaluate('window.__pageFallback === true'), false, 'the page fallback was shown');
      // the run has no matrix: the heatmap's chunk (and ECharts with it) is not fetched
      assert.ok(scripts.length > 0);
      assert.deepEqual(
        scripts.filter((u) => /\/(Heatmap|html)-[^/]*\.js$/.test(u)),
        [],
      );
    } finally {
      await fresh.close();
    }
  });

  it('compares two runs with differences highlighted and series overlaid', async () => {
    await page().goto(`${server.url}/experiments/iris?sort=accuracy&order=desc`);
    await page().locator('[data-testid="runs-table"] .tr[data-index="0"] input[type=checkbox]').check();
    await page().locator('[data-testid="runs-table"] .tr[data-index="14"] input[type=checkbox]').check();
    const q = await waitQuery(page(), {});
    assert.equal(q.get('sel')?.split(',').length, 2);
    await page().getByRole('button', { name: 'Compare (2)' }).click();
    await page().getByTestId('compare-table').waitFor();
    assert.match(page().url(), /\/compare\?runs=/);
    const differs = page().locator('[data-testid="compare-table"] > tbody > tr[data-differs]');
    assert.ok((await differs.count()) >= 3, 'model, accuracy and macro_f1 differ');
    await waitText(differs.first(), /model/);
    const chart = page().getByTestId('metric-fold_accuracy');
    await chart.locator('canvas').first().waitFor();
    // uPlot's legend lists the x axis plus one entry per overlaid run
    assert.equal(await chart.locator('.u-legend .u-series').count(), 3);
    await shot('compare');
    await page().getByLabel('only differences').check();
    await waitQuery(page(), { diff: '1' });
    await waitCount(page().locator('[data-testid="compare-table"] > tbody > tr:not([data-differs])'), 0);
  });

  it('draws the experiment charts: series, scatter, parallel coordinates', async () => {
    await page().goto(`${server.url}/experiments/iris/charts?x=k&y=accuracy`);
    await page().getByRole('img', { name: 'scatter' }).locator('canvas').waitFor();
    await page().getByRole('img', { name: 'parallel coordinates' }).locator('canvas').waitFor();
    await page().getByTestId('metric-fold_accuracy').locator('canvas').first().waitFor();
    await page().waitForTimeout(300);
    await shot('charts', true);
  });

  it('runs a SQL query and downloads the result as CSV', async () => {
    await page().goto(`${server.url}/sql`);
    const sql =
      'SELECT model, ROUND(AVG(accuracy), 4) AS acc, COUNT(*) AS runs FROM experiment_iris GROUP BY model ORDER BY acc DESC';
    await page().getByLabel('SQL query').fill(sql);
    await page().getByRole('button', { name: 'Run query' }).click();
    await waitText(page().getByTestId('sql-summary'), /^5 rows/);
    await waitQuery(page(), { q: sql });
    const cells = await page().getByTestId('sql-result').locator('tbody tr:first-child td').allTextContents();
    assert.equal(cells[0], 'knn');
    await shot('sql');
    const [download] = await Promise.all([
      page().waitForEvent('download'),
      page().getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.match(csv, /^model,acc,runs\r\nknn,/);
    // a write is refused by the read-only endpoint and shown, not swallowed
    await page().getByLabel('SQL query').fill('DELETE FROM experiment_iris');
    await page().getByRole('button', { name: 'Run query' }).click();
    await page().getByRole('alert').waitFor();
  });

  it('draws the lineage graph of run locks', async () => {
    await page().goto(`${server.url}/lineage`);
    // an error (the page shows it) fails here with its text rather than as a timeout
    await waitText(page().locator('main'), /evaluate|E_|HTTP/, 60_000);
    const locks = page().getByTestId('locks');
    await waitText(locks, /prepare[\s\S]*train[\s\S]*superseded[\s\S]*evaluate/);
    await page().getByRole('img', { name: 'lineage graph' }).locator('canvas').first().waitFor();
    await locks.getByRole('button', { name: 'evaluate' }).click();
    await waitText(page().getByTestId('lock-detail'), /evaluate[\s\S]*Previous stages/);
    await locks.getByRole('button', { name: 'prepare' }).click();
    await waitText(page().getByTestId('lock-detail'), /iris\.csv/);
    await page().waitForTimeout(300);
    await shot('lineage', true);
  });

  it('shows the model registry: iris@champion, its version and the run that made it', async () => {
    await page().goto(`${server.url}/models`);
    await waitText(page().getByTestId('models'), /iris[\s\S]*v1[\s\S]*@champion/);
    await page().getByTestId('models').getByRole('link', { name: 'iris' }).click();
    const versions = page().getByTestId('model-versions');
    await waitText(versions, /v1[\s\S]*@champion[\s\S]*iris-champion\//);
    await shot('model');
    await versions.getByRole('link', { name: /iris-champion\// }).click();
    await page().getByTestId('run-params').waitFor();
    await waitText(page().getByTestId('run-artifacts'), /model\.json/);
  });

  it('had no uncaught errors in the page', () => {
    assert.deepEqual(errors, []);
  });
});
