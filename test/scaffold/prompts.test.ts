import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { isLockstepError } from '../../src/errors.ts';
import { promptChoices } from '../../src/scaffold/prompts.ts';

const DOWN = '\x1b[B';
const LEFT = '\x1b[D';
const ENTER = '\r';

/**
 * Answers the prompts like a person at a terminal: each time a question
 * appears on the output, its keys go to the input. Keys are sent only once
 * the question is drawn, so the prompt is listening.
 */
function terminal(answers: [question: string, keys: string[]][]) {
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = '';
  const asked: string[] = [];
  output.on('data', (chunk: Buffer) => {
    screen += chunk.toString();
    for (const [question, keys] of answers) {
      if (!asked.includes(question) && screen.includes(question)) {
        asked.push(question);
        setImmediate(() => {
          for (const k of keys) input.write(k);
        });
      }
    }
  });
  return { io: { input, output }, asked };
}

test('the prompts ask only what no flag gave, with the defaults preselected', async () => {
  const t = terminal([
    ['Project name', [ENTER]],
    ['Package name', [ENTER]],
    ['Description', [...'\x7f'.repeat(60), ...'Iris models', ENTER]], // erase the default, type
    ['License', [DOWN, ENTER]], // MIT is first; one down is BSD-3-Clause
    ['Package manager', [ENTER]],
    ['Test runner', [DOWN, ENTER]],
    ['Linter and formatter', [DOWN, ENTER]],
    ['Data remote', [...'s3:bucket/iris', ENTER]],
    ['Include the example pipeline?', [ENTER]],
    ['Create a git repository', [LEFT, ENTER]], // an arrow key toggles Yes to No
  ]);
  const c = await promptChoices('/tmp/Iris Study', { author: 'Ada' }, t.io);
  assert.equal(c.projectName, 'Iris Study');
  assert.equal(c.packageName, 'iris-study');
  assert.equal(c.author, 'Ada');
  assert.ok(!t.asked.includes('Author'), 'asked for the author although --author gave it');
  assert.equal(c.license, 'BSD-3-Clause');
  assert.equal(c.packageManager, 'npm');
  assert.equal(c.testRunner, 'vitest');
  assert.equal(c.linter, 'none');
  assert.equal(c.dataRemote, 's3:bucket/iris');
  assert.equal(c.example, true);
  assert.equal(c.description, 'Iris models');
  assert.equal(c.git, false);
});

test('cancelling a prompt ends init with an input error and no choices', async () => {
  const t = terminal([['Project name', ['\x03']]]); // Ctrl-C
  await assert.rejects(
    promptChoices('/tmp/x', {}, t.io),
    (e) => isLockstepError(e, 'E_INPUT') && /cancelled; nothing was written/.test(e.message),
  );
});
