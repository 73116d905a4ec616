import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLockstepError } from '../../src/errors.ts';
import { render } from '../../src/scaffold/render.ts';

test('substitutes values and keeps or drops blocks by flag', () => {
  const t = [
    '# {{ name }}',
    '{{#if a}}',
    'a on',
    '{{else}}',
    'a off',
    '{{/if}}',
    '{{#unless a}}',
    'not a',
    '{{/unless}}',
  ];
  assert.equal(render(t.join('\n'), { name: 'x', a: true }), '# x\na on');
  assert.equal(render(t.join('\n'), { name: 'y', a: false }), '# y\na off\nnot a');
});

test('nested blocks keep lines only when every enclosing block does', () => {
  const t = ['{{#if a}}', '{{#if b}}', 'ab', '{{else}}', 'a!b', '{{/if}}', '{{/if}}', 'end'].join('\n');
  assert.equal(render(t, { a: true, b: true }), 'ab\nend');
  assert.equal(render(t, { a: true, b: false }), 'a!b\nend');
  assert.equal(render(t, { a: false, b: false }), 'end');
});

test('an unknown name, a string used as a flag or an unbalanced block throws with the line', () => {
  const cases: [string, Record<string, string | boolean>, RegExp][] = [
    ['x {{nope}}', {}, /t:1: "nope" is not a template value/],
    ['{{#if s}}\n{{/if}}', { s: 'str' }, /t:1: "s" is not a template flag/],
    ['{{#if a}}\nx', { a: true }, /t:1: block is never closed/],
    ['x\n{{/if}}', {}, /t:2: \{\{\/if\}\} closes no block/],
    ['{{else}}', {}, /t:1: \{\{else\}\} outside a block/],
  ];
  for (const [template, vars, message] of cases) {
    assert.throws(
      () => render(template, vars, 't'),
      (e) => isLockstepError(e, 'E_INPUT') && message.test(e.message),
    );
  }
});

test('text that only looks like code passes through untouched', () => {
  const code = ['const o = { a: { b: 1 } };', 'const s = `$' + '{x}`;'].join('\n');
  assert.equal(render(code, {}), code);
});
