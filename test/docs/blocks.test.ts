import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shellBlocks } from './blocks.ts';

test('sh blocks: markers, continued lines, comments; other languages are not commands', () => {
  const page = [
    '# Page',
    '```sh',
    'echo one   # a comment after a command',
    '# a comment line',
    '',
    'curl -s x \\',
    "  -d '{}'",
    '```',
    '```ts',
    'const x = 1;',
    '```',
    '```sh server',
    'lockstep ui',
    '```',
    '  ```sh placeholder',
    '  lockstep push best --git origin',
    '  ```',
  ].join('\n');
  const blocks = shellBlocks(page, 'page.md');
  assert.deepEqual(
    blocks.map((b) => [b.line, b.marker, b.commands.map((c) => [c.line, c.text])]),
    [
      [
        2,
        'run',
        [
          [3, 'echo one   # a comment after a command'],
          [6, "curl -s x \\\n  -d '{}'"],
        ],
      ],
      [12, 'server', [[13, 'lockstep ui']]],
      [15, 'placeholder', [[16, '  lockstep push best --git origin']]],
    ],
  );
  assert.throws(() => shellBlocks('```sh slow\nx\n```', 'p.md'), /p\.md:1: unknown sh block marker "slow"/);
});
