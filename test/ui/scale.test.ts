// The runs table on a bigger experiment: only the rows on screen are in the
// DOM, rows are fetched page by page as they scroll into view, and no request
// ever asks for the whole experiment.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { columnTexts, trackErrors, waitText } from './browser.ts';
import { syntheticExperiment } from './fixtures.ts';
import { type Browser, browserMissing, launch, type Served, serve } from './harness.ts';

const RUNS = 4000;

describe('runs table at scale', { skip: browserMissing(), timeout: 180_000 }, () => {
  let server: Served;
  let browser: Browser;
  let errors: string[];
  let dir: string | undefined;
  const limits: number[] = [];
  const requests: URLSearchParams[] = [];

  before(async () => {
    dir = tempDir();
    const db = join(dir, 'big.db');
    const s = await createSession(db);
    await syntheticExperiment(s, 'big', RUNS, 20);
    await s.close();
    server = await serve(db);
    browser = await launch({ width: 1280, height: 800 });
    errors = trackErrors(browser.page);
    browser.page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.endsWith('/runs')) {
        limits.push(Number(url.searchParams.get('limit')));
        requests.push(url.searchParams);
      }
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const row = (i: number) => browser.page.locator(`[data-testid="runs-table"] .tr[data-index="${i}"]`);

  it('renders only the visible rows', async () => {
    const page = browser.page;
    await page.goto(`${server.url}/experiments/big`);
    await waitText(page.getByTestId('runs-count'), /^4,000 runs/);
    await row(0).locator('a').waitFor();
    const inDom = await page.locator('[data-testid="runs-table"] .tr[data-index]').count();
    assert.ok(inDom > 10 && inDom < 100, `${inDom} rows in the DOM`);
  });

  const scroll = (top: string) =>
    browser.page.evaluate(
      `(() => { const el = document.querySelector('[data-testid="runs-table"]'); el.scrollTop = ${top}; })()`,
    );

  it('reads the page after a loaded one by cursor, and counts only once', async () => {
    const before = requests.length;
    // scrolling on from the first page: the next page is asked for after the last row seen
    await scroll(String(190 * 30));
    await row(215).locator('a').waitFor();
    const mine = requests.slice(before);
    assert.ok(mine.length >= 1, 'the next page was fetched');
    for (const q of mine) {
      assert.ok(q.get('after'), `a page after a loaded one goes by cursor: ${q}`);
      assert.equal(q.get('offset'), null);
      assert.equal(q.get('count'), 'false', 'the total is known already');
    }
    assert.equal(requests[0]?.get('count'), null, 'the first page counts');
  });

  it('loads the rows it scrolls to, page by page', async () => {
    await scroll('el.scrollHeight');
    await row(RUNS - 1)
      .locator('a')
      .waitFor();
    await scroll(String(2000 * 30));
    await row(2000).locator('a').waitFor();
    assert.ok(limits.length >= 2, 'more than one page was fetched');
    assert.ok(
      limits.every((l) => l > 0 && l <= 400),
      `every request asks for one or two pages of 200 rows: ${limits.join(', ')}`,
    );
  });

  it('sorts 4,000 runs on the server', async () => {
    const page = browser.page;
    await page.goto(`${server.url}/experiments/big?sort=f00&order=asc`);
    await row(0).locator('a').waitFor();
    const [min] = await server.session.query('SELECT MIN(f00) AS m FROM experiment_big');
    const shown = Number((await columnTexts(page, 'f00'))[0]);
    assert.ok(Math.abs(shown - Number(min!.m)) < 1e-5, `first row ${shown} is the minimum ${min!.m}`);
  });

  it('had no page errors', () => {
    assert.deepEqual(errors, []);
  });
});
