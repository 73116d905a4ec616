// A run training in another process, watched in the browser: the runs table shows it running (and filters
// on it), and its page's chart grows without a reload until the run ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { trackErrors, waitText } from './browser.ts';
import { type Browser, browserMissing, launch, type Served, serve } from './harness.ts';

const FIXTURE = new URL('../exec/fixtures/live.ts', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('web UI follows a live run', { skip: browserMissing(), timeout: 120_000 }, () => {
  let dir: string;
  let server: Served;
  let browser: Browser;
  let errors: string[];
  let child: ReturnType<typeof spawn>;
  let db: string;

  before(async () => {
    dir = tempDir();
    db = join(dir, 'live.db');
    // the experiment exists before the server starts; its one run trains for about 8 s
    const s = await createSession(db);
    await s.createExperiment('live');
    await s.close();
    server = await serve(db);
    browser = await launch();
    errors = trackErrors(browser.page);
    child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, db, 'inline-async', '160', '50'], {
      stdio: 'ignore',
    });
  });

  after(async () => {
    child?.kill('SIGKILL');
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the runs table shows the run running and filters on running; its chart grows until it ends', async () => {
    const page = browser.page;
    const deadline = Date.now() + 30_000;
    let runId = '';
    while (!runId) {
      const rows = await server.session.query("SELECT run_id FROM experiment_live WHERE status = 'running'");
      runId = String(rows[0]?.run_id ?? '');
      if (!runId && Date.now() > deadline) assert.fail('the run never showed as running');
      if (!runId) await sleep(50);
    }
    await page.goto(`${server.url}/experiments/live?filter=${encodeURIComponent("attributes.status = 'running'")}`);
    await waitText(page.getByTestId('runs-count'), /^1 run match/);
    await waitText(page.getByTestId('runs-live'), /refreshing/);

    await page.goto(`${server.url}/experiments/live/runs/${runId}`);
    await waitText(page.getByTestId('run-live'), /live/);
    const chart = page.getByTestId('metric-loss');
    await chart.waitFor();
    const count = async () => Number((await chart.getAttribute('data-points')) ?? 0);
    const seen = [await count()];
    for (let i = 0; i < 3; i++) {
      await sleep(2200);
      seen.push(await count());
    }
    assert.ok(
      seen.every((n, i) => i === 0 || n > (seen[i - 1] as number)),
      `the chart grows without a reload: ${seen.join(' → ')} points`,
    );
    // the run ends: the page says so by itself and the chart has every point
    await waitText(page.locator('.run-title .badge'), /^done$/, 30_000);
    await page.waitForFunction(
      `document.querySelector('[data-testid="metric-loss"]')?.getAttribute('data-points') === '160'`,
      undefined,
      { timeout: 10_000 },
    );
    assert.equal(await page.getByTestId('run-live').count(), 0, 'no longer live');
    assert.deepEqual(errors, []);
  });
});
