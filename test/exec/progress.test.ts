// Progress while the thread is busy: inline steps that never yield (the iris
// demo's cross-validation) once showed nothing until the end, on a terminal
// and through a pipe alike.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Progress, type ProgressState } from '../../src/exec/progress.ts';
import { createSession } from '../../src/index.ts';
import { capture } from '../helpers.ts';

const busy = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};

it('an inline execution of steps that block the thread updates its progress while it runs', async () => {
  const s = await createSession(':memory:');
  try {
    const exp = await s.createExperiment('busy');
    exp.addRuns({ i: [...Array(12).keys()] });
    const seen: number[] = [];
    const sink = { update: (p: ProgressState) => seen.push(p.done), stop: () => undefined };
    await exp.execute(
      (r) => {
        busy(60);
        r.fields.x = 1;
      },
      { progress: sink },
    );
    assert.ok(seen.filter((d) => d > 0 && d < 12).length >= 3, `updates while running: ${seen.join(',')}`);
  } finally {
    await s.close();
  }
});

it('on a terminal the bar is drawn while a blocking execution runs', () => {
  const { stream, text } = capture();
  Object.assign(stream, {
    isTTY: true,
    columns: 100,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  const p = new Progress(4, { stream, progress: 'bar', delayMs: 50 });
  for (let i = 0; i < 3; i++) {
    busy(120);
    p.tick(false);
  }
  assert.match(text(), /[23]\/4 runs \| 0 failed/, 'drawn before the end');
  p.tick(false);
  p.stop();
  assert.match(text(), /4\/4 runs \| 0 failed/);
});

it('without a terminal the first line comes once the delay has passed, not a whole interval later', () => {
  const { stream, text } = capture();
  const p = new Progress(5, { stream, progress: 'lines', delayMs: 50, lineEveryMs: 10_000 });
  for (let i = 0; i < 5; i++) {
    busy(60); // drawing is throttled to one update per 100 ms
    p.tick(false);
  }
  p.stop();
  const lines = text().trim().split('\n');
  assert.equal(lines.length, 2, text());
  assert.match(lines[0] ?? '', /^lockstep: [1-4]\/5 runs, 0 failed/);
  assert.match(lines[1] ?? '', /^lockstep: 5\/5 runs, 0 failed, .* \(finished\)$/);
});
