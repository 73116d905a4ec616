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

/** Navigates and returns ms from navigation start until the predicate holds in the page. */
async function timeTo(page: Page, url: string, ready: string): Promise<number> {
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'commit' });
  // performance.now() counts from the navigation's start (timeOrigin)
  await page.waitForFunction(ready, undefined, { timeout: 60_000, polling: 'raf' });
  return page.evaluate(() => performance.now());
}

const TABLE_READY = `(() => {
  const link = document.querySelector('[data-testid="runs-table"][data-ready="true"] .tr[data-index="0"] a');
  return link !== null && document.querySelectorAll('[data-testid="runs-table"] .thead .th-cell').length >= 22;
})()`;

async function run(): Promise<void> {
  const dir = tempDir('lockstep-bench-ui-');
  const db = join(dir, 'bench.db');
  const session = await createSession(db);
  let t = performance.now();
  await syntheticExperiment(session, 'big', RUNS, 20);
  await session.close();
  console.log(`fixture: ${RUNS.toLocaleString()} runs × 20 columns written in ${ms(performance.now() - t)}`);

  const server = await serve(db);
  const browser = await launch();
  const rows: string[][] = [];
  try {
    const page = browser.page;
    // all 20 columns on screen: 4 params + 16 fields (the default view shows 16)
    const columns = [
      'model',
      'lr',
      'depth',
      'seed',
      ...Array.from({ length: 16 }, (_, i) => `f${String(i).padStart(2, '0')}`),
    ];
    const tableUrl = `${server.url}/experiments/big?columns=${columns.join(',')}`;
    const table: number[] = [];
    for (let i = 0; i < REPEAT; i++) table.push(await timeTo(page, tableUrl, TABLE_READY));
    rows.push(['runs table ready, first load', ms(table[0]!), '', '< 1500 ms']);
    rows.push([`runs table ready, median of ${REPEAT}`, ms(median(table)), ms(Math.min(...table)), '< 1500 ms']);

    const sorted: number[] = [];
    for (let i = 0; i < REPEAT; i++) sorted.push(await timeTo(page, `${tableUrl}&sort=f03&order=desc`, TABLE_READY));
    rows.push([
      `runs table sorted by a field, median of ${REPEAT}`,
      ms(median(sorted)),
      ms(Math.min(...sorted)),
      '< 1500 ms',
    ]);

    // jump to the middle of 100,000 rows: how long until the rows there are loaded
    const jumps: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const target = Math.floor(RUNS * (0.2 + 0.15 * i));
      t = performance.now();
      // page code is written as strings: this file is type-checked without the DOM library
      await page.evaluate(`document.querySelector('[data-testid="runs-table"]').scrollTop = ${target * 30}`);
      await page.waitForFunction(
        `[...document.querySelectorAll('[data-testid="runs-table"] .tr[data-index]')]
          .some((r) => Number(r.dataset.index) >= ${target} && r.querySelector('a') !== null)`,
        undefined,
        { timeout: 30_000, polling: 'raf' },
      );
      jumps.push(performance.now() - t);
    }
    rows.push([`scroll jump to an unloaded row, median of ${REPEAT}`, ms(median(jumps)), ms(Math.min(...jumps)), '']);
    const domRows = await page.evaluate(`document.querySelectorAll('[data-testid="runs-table"] .tr').length`);
    rows.push([`rows in the DOM while showing ${RUNS.toLocaleString()}`, String(domRows), '', '']);

    const draw: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      total.push(
        await timeTo(
          page,
          `${server.url}/_bench/series?points=${POINTS}`,
          `document.querySelector('[data-draw-ms]') !== null`,
        ),
      );
      draw.push(Number(await page.getByTestId('draw-ms').getAttribute('data-draw-ms')));
    }
    rows.push([
      `uPlot draw of ${POINTS.toLocaleString()} points, median of ${REPEAT}`,
      ms(median(draw)),
      ms(Math.min(...draw)),
      '< 1000 ms',
    ]);
    rows.push([
      `navigation to drawn series (incl. generating the data), median`,
      ms(median(total)),
      ms(Math.min(...total)),
      '',
    ]);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(['measure', 'median / value', 'best', 'target'], rows);
}

export const ui: Suite = { name: 'ui', title: 'web UI in Chromium (100,000-run table, 1,000,000-point series)', run };
