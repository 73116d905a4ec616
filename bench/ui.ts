// `npm run bench -- ui`: the paths a user of the web UI takes, each next to a
// floor measured in the same run: the runs table of 100,000 runs × 20 columns
// (the API's first page and the table ready in Chromium, right after the server
// started and warm; the page after a loaded one, and jumps deep into the table)
// against better-sqlite3 reading the same page; and a 1,000,000-point metric:
// the run page's downsampled series through the real API (first call and
// warm) against one aggregate pass of SQLite over the same points, and the
// run page's chart drawn in the browser.
import { rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { createSession } from '../src/index.ts';
import { tempDir } from '../test/helpers.ts';
import { syntheticExperiment } from '../test/ui/fixtures.ts';
import { launch, serve } from '../test/ui/harness.ts';
import type { Suite } from './suites.ts';
import { median, ms, printTable } from './table.ts';

const RUNS = Number(process.env.LOCKSTEP_BENCH_UI_RUNS ?? 100_000);
const POINTS = Number(process.env.LOCKSTEP_BENCH_UI_POINTS ?? 1_000_000);
const REPEAT = 5;
const PAGE = 200;

// page code is written as strings: this file is type-checked without the DOM library
const API_SINCE = (since: string, path = '/runs?') => `performance.getEntriesByType('resource')
  .filter((e) => e.name.includes('${path}') && e.startTime >= ${since})
  .reduce((sum, e) => sum + e.responseEnd - e.requestStart, 0)`;

interface Timing {
  /** ms from navigation start (or the scroll) until ready */
  total: number;
  /** ms the runs API took in that time (request start to response end) */
  api: number;
  /** on the run page: when the series was requested and how long it took, ms */
  series?: { at: number; took: number };
}

/** Navigates and times until the predicate holds in the page. */
async function timeTo(page: Page, url: string, ready: string): Promise<Timing> {
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'commit' });
  // performance.now() counts from the navigation's start (timeOrigin)
  await page.waitForFunction(ready, undefined, { timeout: 60_000, polling: 'raf' });
  return page.evaluate(`({ total: performance.now(), api: ${API_SINCE('0')},
    series: performance.getEntriesByType('resource').filter((e) => e.name.includes('/metrics/'))
      .map((e) => ({ at: e.requestStart, took: e.responseEnd - e.requestStart }))[0] })`);
}

/** Scrolls the runs table to a row and times until that row is loaded. */
async function scrollTo(page: Page, index: number): Promise<Timing> {
  await page.evaluate(`window.__jump = performance.now();
    document.querySelector('[data-testid="runs-table"]').scrollTop = ${index * 30}`);
  await page.waitForFunction(
    `[...document.querySelectorAll('[data-testid="runs-table"] .tr[data-index]')]
      .some((r) => Number(r.dataset.index) >= ${index} && r.querySelector('a') !== null)`,
    undefined,
    { timeout: 60_000, polling: 'raf' },
  );
  return page.evaluate(`({ total: performance.now() - window.__jump, api: ${API_SINCE('window.__jump')} })`);
}

async function times<T>(n: number, once: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await once(i));
  return out;
}

/** Wall time of one call, in ms. */
async function timed(f: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

const TABLE_READY = `(() => {
  const link = document.querySelector('[data-testid="runs-table"][data-ready="true"] .tr[data-index="0"] a');
  return link !== null && document.querySelectorAll('[data-testid="runs-table"] .thead .th-cell').length >= 22;
})()`;
const CHART_DRAWN = `document.querySelector('[data-testid="metric-loss"][data-drawn="true"]') !== null`;

const ratio = (x: number, floor: number) => `${(x / floor).toFixed(1)}×`;

async function run(): Promise<void> {
  const dir = tempDir('lockstep-bench-ui-');
  const db = join(dir, 'bench.db');
  const session = await createSession(db);
  let t = performance.now();
  await syntheticExperiment(session, 'big', RUNS, 20);
  console.log(`fixture: ${RUNS.toLocaleString()} runs × 20 columns written in ${ms(performance.now() - t)}`);
  t = performance.now();
  const long = await session.createExperiment('long', { description: `one run, ${POINTS} points` });
  long.addRun({ lr: 0.1 });
  await long.execute((r) => {
    let v = 1;
    for (let i = 0; i < POINTS; i++) {
      v = v * 0.99999 + Math.sin(i / 500) * 0.001 + (((i * 2654435761) % 1000) / 1000 - 0.5) * 0.01;
      r.log('loss', v, i);
    }
  });
  const runId = long.runs.toArray()[0]?.id as string;
  const longId = long.id;
  await session.close();
  console.log(`fixture: one run of ${POINTS.toLocaleString()} points written in ${ms(performance.now() - t)}`);

  const fields = Array.from({ length: 16 }, (_, i) => `f${String(i).padStart(2, '0')}`);
  const columns = ['model', 'lr', 'depth', 'seed', ...fields];
  const seriesPath = `/api/v1/experiments/long/runs/${runId}/metrics/loss?maxPoints=2000`;
  const runsPath = (q: string) =>
    `/api/v1/experiments/big/runs?columns=${columns.join(',')}&limit=${PAGE}${q ? `&${q}` : ''}`;

  // the floors: better-sqlite3 alone on the same file
  const raw = new Database(db, { readonly: true });
  const pass = raw.prepare(
    'SELECT COUNT(*), MIN(value), MAX(value) FROM metrics WHERE experiment_id = ? AND run_id = ? AND key = ?',
  );
  const seriesFloor = median(await times(REPEAT, () => timed(() => pass.raw().get(longId, runId, 'loss'))));
  raw.close();

  const rows: string[][] = [];
  const row = (label: string, xs: number[], floor: number | undefined, target: string) =>
    rows.push([
      label,
      ms(median(xs)),
      ms(Math.min(...xs)),
      floor === undefined ? '' : ms(floor),
      floor === undefined ? '' : ratio(median(xs), floor),
      target,
    ]);

  // the 1,000,000-point series through the API, on a server that just started
  let server = await serve(db);
  row(
    `GET …/metrics/loss?maxPoints=2000 of ${POINTS.toLocaleString()} points, first call after start`,
    [await timed(async () => (await fetch(server.url + seriesPath)).json())],
    seriesFloor,
    '≤ 1000 ms',
  );
  const warmSeries = await times(REPEAT, () => timed(async () => (await fetch(server.url + seriesPath)).json()));
  row(`same, warm, median of ${REPEAT}`, warmSeries, seriesFloor, '≤ 300 ms');
  await server.close();

  // the runs API on a server that just started, then warm; its floors are read once the API made the sort index
  server = await serve(db);
  await fetch(server.url + runsPath('count=false'));
  await server.close();
  const rawPages = new Database(db, { readonly: true });
  const firstPage = rawPages.prepare(
    `SELECT run_id, status, started_at, ended_at, error, ${columns.join(', ')} FROM experiment_big ORDER BY started_at, run_id LIMIT ${PAGE}`,
  );
  const deepPage = rawPages.prepare(
    `SELECT run_id, status, started_at, ended_at, error, ${columns.join(', ')} FROM experiment_big ORDER BY started_at, run_id LIMIT ${PAGE} OFFSET ?`,
  );
  const pageFloor = median(await times(REPEAT, () => timed(() => firstPage.all())));
  const deepFloor = median(await times(REPEAT, (i) => timed(() => deepPage.all(Math.floor(RUNS * (0.2 + 0.15 * i))))));
  rawPages.close();
  server = await serve(db);
  row(
    `GET runs (first page of ${RUNS.toLocaleString()} × 20 columns), first call after start`,
    [await timed(async () => (await fetch(server.url + runsPath(''))).json())],
    pageFloor,
    '',
  );
  row(
    `same, warm, median of ${REPEAT}`,
    await times(REPEAT, () => timed(async () => (await fetch(server.url + runsPath(''))).json())),
    pageFloor,
    '',
  );
  const first = (await (await fetch(server.url + runsPath('count=false'))).json()) as { next: string };
  row(
    `next page by cursor (after=), median of ${REPEAT}`,
    await times(REPEAT, () =>
      timed(async () => (await fetch(server.url + runsPath(`count=false&after=${first.next}`))).json()),
    ),
    pageFloor,
    '',
  );
  row(
    `a page deep in the table (offset 20–80%), median of ${REPEAT}`,
    await times(REPEAT, (i) =>
      timed(async () =>
        (await fetch(server.url + runsPath(`count=false&offset=${Math.floor(RUNS * (0.2 + 0.15 * i))}`))).json(),
      ),
    ),
    deepFloor,
    '',
  );
  await server.close();

  // the browser: table ready after a server start, warm, sorted, scrolled; the run page's chart drawn
  server = await serve(db);
  const browser = await launch(undefined, true);
  try {
    const page = browser.page;
    const tableUrl = `${server.url}/experiments/big?columns=${columns.join(',')}`;
    const table = (url: string) => () => timeTo(page, url, TABLE_READY);
    const browserRow = (label: string, xs: Timing[], target: string) =>
      rows.push([
        label,
        ms(median(xs.map((x) => x.total))),
        ms(Math.min(...xs.map((x) => x.total))),
        '',
        `runs API ${ms(median(xs.map((x) => x.api)))}`,
        target,
      ]);
    browserRow('browser: runs table ready, first load after server start', [await table(tableUrl)()], '≤ 1000 ms');
    browserRow(`browser: same, warm, median of ${REPEAT}`, await times(REPEAT, table(tableUrl)), '≤ 1000 ms');
    const cdp = await browser.context.newCDPSession(page);
    const cold = await times(REPEAT, async () => {
      await cdp.send('Network.clearBrowserCache');
      return table(tableUrl)();
    });
    browserRow(`browser: same, empty browser cache, median of ${REPEAT}`, cold, '≤ 1000 ms');
    // the first sort by a column makes its index: the first load pays for it, the others do not
    browserRow(
      'browser: sorted by a field, first time (makes the index)',
      [await table(`${tableUrl}&sort=f03&order=desc`)()],
      '',
    );
    browserRow(
      `browser: sorted by a field, median of ${REPEAT}`,
      await times(REPEAT, table(`${tableUrl}&sort=f03&order=desc`)),
      '≤ 1000 ms',
    );
    browserRow(
      `browser: scroll to the next page (by cursor), median of ${REPEAT}`,
      await times(REPEAT, async (i) => {
        await table(`${tableUrl}&sort=f03&order=desc`)();
        return scrollTo(page, PAGE + 10 + i);
      }),
      '≤ 300 ms',
    );
    browserRow(
      `browser: scroll jump deep into the table (20–80%), median of ${REPEAT}`,
      await times(REPEAT, (i) => scrollTo(page, Math.floor(RUNS * (0.2 + 0.15 * i)))),
      '≤ 300 ms',
    );
    const domRows = await page.evaluate(`document.querySelectorAll('[data-testid="runs-table"] .tr').length`);
    rows.push([`rows in the DOM while showing ${RUNS.toLocaleString()}`, String(domRows), '', '', '', '']);

    const runUrl = `${server.url}/experiments/long/runs/${runId}`;
    const chart = await times(REPEAT, () => timeTo(page, runUrl, CHART_DRAWN));
    const series = chart.flatMap((x) => (x.series ? [x.series] : []));
    rows.push([
      `browser: run page → its ${POINTS.toLocaleString()}-point chart drawn, median of ${REPEAT}`,
      ms(median(chart.map((x) => x.total))),
      ms(Math.min(...chart.map((x) => x.total))),
      '',
      series.length
        ? `series requested at ${ms(median(series.map((x) => x.at)))}, took ${ms(median(series.map((x) => x.took)))}`
        : '',
      '< 1000 ms',
    ]);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(['measure', 'median', 'best', 'floor (same run)', 'ratio', 'target'], rows);
  console.log(
    '\nfloors: better-sqlite3 alone on the same file: one aggregate pass over the series (COUNT, MIN, MAX), or the' +
      '\nsame page of the runs table read in start order (LIMIT/OFFSET). API rows are one fetch from Node on 127.0.0.1;' +
      '\nbrowser rows run from navigation start until the table (or chart) is ready, with the runs API time inside.' +
      `\nLoad average at the end: ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores.`,
  );
}

export const ui: Suite = {
  name: 'ui',
  title: 'web UI and its API: a 100,000-run table and a 1,000,000-point metric, in Chromium',
  run,
};
