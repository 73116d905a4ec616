// docs/commands.md is generated from the command definitions; it must say what they say.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Command } from 'commander';
import { anchor, commandReference, fullProgram } from '../../src/cli/reference.ts';

const committed = () => readFileSync(new URL('../../docs/commands.md', import.meta.url), 'utf8');

test('docs/commands.md is what the command definitions generate (npm run docs:commands writes it)', async () => {
  const generated = commandReference(await fullProgram());
  if (generated !== committed()) {
    const a = generated.split('\n');
    const b = committed().split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    assert.fail(
      `docs/commands.md differs from the command definitions from line ${line + 1}:\n` +
        `  committed: ${b[line] ?? '(end)'}\n  generated: ${a[line] ?? '(end)'}\n` +
        'run "npm run docs:commands" and commit docs/commands.md',
    );
  }
});

test('the reference has a section for every command and a row for every option', async () => {
  const program = await fullProgram();
  const text = committed();
  const visit = (cmd: Command, path: string) => {
    for (const sub of cmd.commands) {
      const p = `${path} ${sub.name()}`;
      assert.ok(text.includes(`\n## ${p}\n`), `no section for ${p}`);
      assert.ok(text.includes(`](#${anchor(p)})`), `no index entry for ${p}`);
      const start = text.indexOf(`\n## ${p}\n`);
      const body = text.slice(start, text.indexOf('\n## ', start + 1) >>> 0);
      for (const o of sub.options) assert.ok(body.includes(`| \`${o.flags}\` |`), `${p}: no row for ${o.flags}`);
      visit(sub, p);
    }
  };
  visit(program, 'lockstep');
});
