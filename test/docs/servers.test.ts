// The `sh server` blocks of the README and of docs/: each server is started as
// written, the block's other commands run against it, and it stops on SIGTERM.
// They run on a scratch copy of the checkout after the README's quickstart.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { builtCheckout } from '../scaffold/helpers.ts';
import { shellBlocksOf } from './blocks.ts';
import { blocksOf, REPO, runScript, runServerBlock, scratchCheckout, script, where } from './walk.ts';

describe("the docs' servers", { timeout: 10 * 60_000 }, () => {
  let dir = '';
  before(async () => {
    await builtCheckout();
    dir = scratchCheckout();
    // the state every page starts from: the README's quickstart (the iris demo in ./lockstep.db)
    const [quickstart] = shellBlocksOf(`${REPO}/README.md`, 'README.md');
    assert.ok(quickstart);
    const done = await runScript(script(quickstart).text, dir);
    assert.equal(done.code, 0, done.output);
  });

  for (const block of blocksOf('server')) {
    test(`${where(block)}: ${block.commands[0]?.text.replace(/\s+#.*$/, '')}`, async () => {
      const done = await runServerBlock(block, dir);
      assert.equal(done.code, 0, `${where(block)} failed:\n${done.output}`);
    });
  }
});
