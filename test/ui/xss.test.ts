// Stored XSS: a param value and a lock name holding HTML are shown as text in
// the charts' HTML tooltips, and the UI's Content-Security-Policy stops an
// inline handler even if some HTML got through.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createSession, lock } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { type Browser, browserMissing, launch, type Served, serve } from './harness.ts';

const PARAM = '<img src=x onerror="window.__xss=(window.__xss||0)+1">';
const LOCK = '<img src=y onerror="window.__xss=(window.__xss||0)+10">';

/** Moves the mouse down vertical lines of a chart (x from its width) until a tooltip shows text; returns that text. */
async function hoverUntilTooltip(
  page: Page,
  label: string,
  xs: ((width: number) => number)[],
  pattern: RegExp,
): Promise<string> {
  const box = await page.getByRole('img', { name: label }).boundingBox();
  assert.ok(box, `no ${label} chart`);
  for (const fx of xs) {
    for (let y = box.y + 5; y < box.y + box.height - 5; y += 3) {
      await page.mouse.move(box.x + fx(box.width), y);
      const text = (await page.evaluate(`(() => {
        const el = document.querySelector('[aria-label="${label}"]');
        return [...el.querySelectorAll('div')].map((d) => d.textContent).join('\\n');
      })()`)) as string;
      if (pattern.test(text)) return text;
    }
  }
  throw new Error(`no tooltip matching ${pattern} on ${label}`);
}

describe('the web UI shows data as text, never as HTML', { skip: browserMissing(), timeout: 120_000 }, () => {
  let server: Served;
  let browser: Browser;

  before(async () => {
    const dir = tempDir();
    const db = join(dir, 'xss.db');
    const s = await createSession(db);
    const exp = await s.createExperiment('xss');
    exp.addRuns({ p: [PARAM] });
    await exp.execute((run) => {
      run.fields.acc = 0.5;
    });
    writeFileSync(join(dir, 'in.csv'), 'a\n1\n');
    await lock({ store: s, repos: [], cache: false, path: join(dir, 'out'), name: LOCK, data: [join(dir, 'in.csv')] });
    await s.close();
    server = await serve(db);
    browser = await launch({ width: 1200, height: 800 });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('escapes a param value in the scatter tooltip', async () => {
    const page = browser.page;
    await page.goto(`${server.url}/experiments/xss/charts?x=p&y=acc`);
    await page.getByRole('img', { name: 'scatter' }).locator('canvas').waitFor();
    await page.waitForTimeout(300);
    // one category: the point sits in the middle of the grid (60 px left, 20 px right)
    const text = await hoverUntilTooltip(page, 'scatter', [(w) => 60 + (w - 80) / 2], /onerror/);
    assert.ok(text.includes(PARAM), `the value is shown as text: ${text}`);
    assert.equal(await page.evaluate('document.querySelectorAll("img[src=x], img[src=y]").length'), 0);
    assert.equal(await page.evaluate('window.__xss'), undefined);
  });

  it('escapes a lock name in the lineage tooltip', async () => {
    const page = browser.page;
    await page.goto(`${server.url}/lineage`);
    await page.getByRole('img', { name: 'lineage graph' }).locator('canvas').first().waitFor();
    await page.waitForTimeout(300);
    const text = await hoverUntilTooltip(
      page,
      'lineage graph',
      [(w) => w / 2, (w) => w / 2 - 6, (w) => w / 2 + 6],
      /onerror/,
    );
    assert.ok(text.includes(LOCK), text);
    assert.equal(await page.evaluate('document.querySelectorAll("img[src=x], img[src=y]").length'), 0);
    assert.equal(await page.evaluate('window.__xss'), undefined);
  });

  it('serves the UI with a Content-Security-Policy that blocks inline handlers', async () => {
    const page = browser.page;
    const res = await page.goto(`${server.url}/experiments`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe/);
    // HTML that escaped every escaping still cannot run: the policy refuses its handler
    await page.evaluate(`document.body.insertAdjacentHTML('beforeend', ${JSON.stringify(PARAM)})`);
    await page.waitForTimeout(500);
    assert.equal(await page.evaluate('document.querySelectorAll("img[src=x]").length'), 1);
    assert.equal(await page.evaluate('window.__xss'), undefined);
  });
});
