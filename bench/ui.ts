// The web UI in Debian's Chromium against a real server: time from navigation
// to an interactive runs table of 100,000 runs × 20 columns (target < 1.5 s),
// and time to draw one metric series of 1,000,000 points (target < 1 s).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createSession } from '../src/index.ts';
import { tempDir } from '../test/helpers.ts';
import { syntheticExperiment } from '../test/ui/fixtures.ts';
import { launch, serve } from '../test/ui/harness.ts';
import type { Suite } from './suites.ts';
import { median, ms, printTable } from './table.ts';

const RUNS = Number(process.env.LOCKSTEP_BENCH_UI_RUNS ?? 100_000);
const POINTS = 1_000_000;
const REPEAT = 5;

interface Timing {
  /** ms from navigation start (or the scroll) until the table was ready */
  total: number;
  /** ms the server took to answer the runs requests in that time (request start to response end) */
  api: number;
}

// page code is written as strings: this file is type-checked without the DOM library
const API_SINCE = (since: string) => `performance.getEntriesByType('resource')
  .filter((e) => e.name.includes('/runs?') && e.startTime >= ${since})
  .reduce((sum, e) => sum + e.responseEnd - e.requestStart, 0)`;

/** Navigates and times until the predicate holds in the page. */
async function timeTo(page: Page, url: string, ready: string): Promise<Timing> {
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'commit' });
  // performance.now() counts from the navigation's start (timeOrigin)
  await page.waitForFunction(ready, undefined, { timeout: 60_000, polling: 'raf' });
  return page.evaluate(`({ total: performance.now(), api: ${API_SINCE('0')} })`);
}

/** Scrolls the runs table to a row and times until that row is loaded. */
async function jumpTo(page: Page, index: number): Promise<Timing> {
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

/** One result line: median and best of the totals, and the median time the server took. */
function line(label: string, xs: Timing[], target = ''): string[] {
  const totals = xs.map((x) => x.total);
  return [label, ms(median(totals)), ms(Math.min(...totals)), ms(median(xs.map((x) => x.api))), target];
}

async function times(n: number, once: (i: number) => Promise<Timing>): Promise<Timing[]> {
  const out: Timing[] = [];
  for (let i = 0; i < n; i++) out.push(await once(i));
  return out;
}

const TABLE_READY = `(() => {
  const link = document.querySelector('[data-testid="runs-table"][data-ready="true"] .tr[data-index="0"] a');
  return link !== null && document.querySelectorAll('[data-testid="runs-table"] .thead .th-cell').length >= 22;
})()`;

async function run(): Promise<void> {
  const dir = tempDir('lockstep-bench-ui-');
  const db = join(dir, 'bench.db');
  const session = await createSession(db);
  const t = performance.now();
  await syntheticExperiment(session, 'big', RUNS, 20);
  await session.close();
  console.log(`fixture: ${RUNS.toLocaleString()} runs × 20 columns written in ${ms(performance.now() - t)}`);

  const server = await serve(db);
  const browser = await launch();
  const rows: string[][] = [];
  try {
    const page = browser.page;
    // all 20 columns on screen: 4 params + 16 fields (the default view shows 16)
    const fields = Array.from({ length: 16 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    const tableUrl = `${server.url}/experiments/big?columns=${['model', 'lr', 'depth', 'seed', ...fields].join(',')}`;
    const table = (url: string) => () => timeTo(page, url, TABLE_READY);

    rows.push(line('runs table ready, first load after server start', [await table(tableUrl)()], '< 1500 ms'));
    rows.push(line(`runs table ready, warm, median of ${REPEAT}`, await times(REPEAT, table(tableUrl)), '< 1500 ms'));
    // a first visit: nothing of the UI in the browser's cache
    const cdp = await browser.context.newCDPSession(page);
    const cold = await times(REPEAT, async () => {
      await cdp.send('Network.clearBrowserCache');
      return table(tableUrl)();
    });
    rows.push(line(`runs table ready, empty browser cache, median of ${REPEAT}`, cold, '< 1500 ms'));
    const sorted = await times(REPEAT, table(`${tableUrl}&sort=f03&order=desc`));
    rows.push(line(`runs table sorted by a field, median of ${REPEAT}`, sorted, '< 1500 ms'));
    // jumps deep into 100,000 rows: how long until the rows there are loaded
    const jumps = await times(REPEAT, (i) => jumpTo(page, Math.floor(RUNS * (0.2 + 0.15 * i))));
    rows.push(line(`scroll jump to an unloaded row, median of ${REPEAT}`, jumps));
    const domRows = await page.evaluate(`document.querySelectorAll('[data-testid="runs-table"] .tr').length`);
    rows.push([`rows in the DOM while showing ${RUNS.toLocaleString()}`, String(domRows), '', '', '']);

    const seriesUrl = `${server.url}/_bench/series?points=${POINTS}`;
    const draw: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      total.push((await timeTo(page, seriesUrl, `document.querySelector('[data-draw-ms]') !== null`)).total);
      draw.push(Number(await page.getByTestId('draw-ms').getAttribute('data-draw-ms')));
    }
    const label = `uPlot draw of ${POINTS.toLocaleString()} points, median of ${REPEAT}`;
    rows.push([label, ms(median(draw)), ms(Math.min(...draw)), '', '< 1000 ms']);
    rows.push([
      'navigation to drawn series (incl. making the data)',
      ms(median(total)),
      ms(Math.min(...total)),
      '',
      '',
    ]);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(['measure', 'median', 'best', 'server (median)', 'target'], rows);
  console.log('server: time the runs API took to answer, included in the median (the rest is the browser)');
}

export const ui: Suite = { name: 'ui', title: 'web UI in Chromium (100,000-run table, 1,000,000-point series)', run };
