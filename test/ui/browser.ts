// Small waiting helpers over playwright-core (which has no `expect`): each
// waits for a condition in the page and fails with what it last saw.
import type { Locator, Page } from 'playwright-core';

const TIMEOUT = 15_000;

/** Waits until the locator's text matches. */
export async function waitText(locator: Locator, pattern: RegExp, timeout = TIMEOUT): Promise<string> {
  const until = Date.now() + timeout;
  let last = '';
  while (Date.now() < until) {
    last =
      (await locator
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => null)) ?? '';
    if (pattern.test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${pattern} in ${locator}; last text: ${JSON.stringify(last.slice(0, 300))}`);
}

/** Waits until the locator matches exactly n elements. */
export async function waitCount(locator: Locator, n: number, timeout = TIMEOUT): Promise<void> {
  const until = Date.now() + timeout;
  let last = -1;
  while (Date.now() < until) {
    last = await locator.count();
    if (last === n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`expected ${n} of ${locator}, found ${last}`);
}

/** Waits until the URL's query string has these values. */
export async function waitQuery(page: Page, expected: Record<string, string | null>): Promise<URLSearchParams> {
  const until = Date.now() + TIMEOUT;
  let q = new URLSearchParams();
  while (Date.now() < until) {
    q = new URL(page.url()).searchParams;
    if (Object.entries(expected).every(([k, v]) => q.get(k) === v)) return q;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`URL ${page.url()} never had ${JSON.stringify(expected)}`);
}

/** The texts of a column of the runs table, for rows currently loaded. */
export async function columnTexts(page: Page, column: string): Promise<string[]> {
  // page code as a string: this file is type-checked without the DOM library
  return page.evaluate(`(() => {
    const head = [...document.querySelectorAll('[data-testid="runs-table"] .thead .th-cell')];
    const i = head.findIndex((h) => h.textContent.replace(/[▲▼]/g, '').trim() === ${JSON.stringify(column)});
    if (i < 0) throw new Error('no column ' + ${JSON.stringify(column)});
    const rows = [...document.querySelectorAll('[data-testid="runs-table"] .tr[data-index]')];
    rows.sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index));
    // the first three cells are the checkbox, run id and status
    return rows.map((r) => r.children[i + 1]?.textContent ?? '');
  })()`);
}

/** Collects uncaught page errors and console errors, so a test can assert there were none. */
export function trackErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    // a 400 for a deliberately malformed filter is logged by Chromium as a failed resource
    if (m.type() === 'error' && !/status of 400/.test(m.text())) errors.push(m.text());
  });
  return errors;
}
