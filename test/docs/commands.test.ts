// The walk: every plain `sh` block of the README and of docs/, extracted from
// the pages and run as written, in page order, on a scratch copy of the
// checkout (docs/README.md, "Commands in these pages").
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { builtCheckout } from '../scaffold/helpers.ts';
import { shellBlocksOf } from './blocks.ts';
import { pages, REPO, runScript, scratchCheckout, script, where } from './walk.ts';

describe("the docs' commands, on a clean clone", { timeout: 20 * 60_000 }, () => {
  let dir = '';
  before(async () => {
    await builtCheckout(); // outside CI, dist/ as the sources say (CI's npm ci built it)
    dir = scratchCheckout();
  });

  const skipped: string[] = [];
  for (const page of pages()) {
    const blocks = shellBlocksOf(page.path, page.name).filter((b) => b.marker === 'run');
    if (blocks.length === 0) continue;
    test(page.name, async () => {
      for (const block of blocks) {
        const { text, skipped: notRun } = script(block);
        skipped.push(...notRun);
        const done = await runScript(text, dir);
        assert.equal(done.code, 0, `${where(block)} failed (exit ${done.code}):\n${text}\n--- output\n${done.output}`);
      }
    });
  }

  test('what the walk does not run: npm ci ran before it, and .ci/run runs the test command', () => {
    assert.ok(skipped.includes('npm ci'), 'the README installs with npm ci');
    const tests = skipped.filter((c) => c !== 'npm ci');
    assert.deepEqual(tests, ['npm test'], 'the README names one test command');
    const ci = readFileSync(join(REPO, '.ci/run'), 'utf8');
    assert.match(ci, /^npm ci\b/m, '.ci/run installs as the README says');
    assert.match(ci, /^npm test$/m, ".ci/run runs the README's test command");
  });
});
