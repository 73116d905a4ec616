import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Command } from 'commander';
import { families, registrationsFor } from '../../src/cli/commands/index.ts';

it('each command family registers exactly the top-level commands its manifest entry names', async () => {
  const seen = new Set<string>();
  for (const family of families) {
    const program = new Command('lockstep');
    (await family.load())(program);
    const names = program.commands.map((c) => c.name()).sort();
    assert.deepEqual(names, [...family.commands].sort(), `family ${family.commands.join(',')}`);
    for (const n of names) {
      assert.ok(!seen.has(n), `command ${n} is registered by two families`);
      seen.add(n);
    }
  }
});

it('loads one family for a known command and all of them otherwise', async () => {
  assert.equal((await registrationsFor(['node', 'lockstep', 'runs', 'iris'])).length, 1);
  assert.equal((await registrationsFor(['node', 'lockstep', '--help'])).length, families.length);
  assert.equal((await registrationsFor(['node', 'lockstep', 'nonsense'])).length, families.length);
  assert.equal((await registrationsFor(['node', 'lockstep', '--version'])).length, 0);
});
