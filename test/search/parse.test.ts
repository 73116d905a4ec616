import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLockstepError } from '../../src/errors.ts';
import { parseFilter, parseIdent } from '../../src/search/index.ts';

function position(filter: string): number {
  try {
    parseFilter(filter);
  } catch (e) {
    assert.ok(isLockstepError(e, 'E_INPUT'), String(e));
    return e.details?.position as number;
  }
  assert.fail(`"${filter}" parsed`);
}

describe('search grammar: parser', () => {
  it('parses MLflow filters with AND', () => {
    const e = parseFilter("metrics.acc > 0.9 and params.model = 'knn'");
    assert.deepEqual(e, {
      type: 'and',
      left: { type: 'cmp', ident: { scope: 'metrics', key: 'acc', pos: 0 }, op: '>', value: 0.9, pos: 12 },
      right: { type: 'cmp', ident: { scope: 'params', key: 'model', pos: 22 }, op: '=', value: 'knn', pos: 35 },
    });
  });

  it('gives OR a lower precedence than AND, and NOT the highest', () => {
    const e = parseFilter('a = 1 or b = 2 and not c = 3');
    assert.equal(e?.type, 'or');
    assert.equal(e?.type === 'or' && e.right.type, 'and');
    assert.equal(e?.type === 'or' && e.right.type === 'and' && e.right.right.type, 'not');
  });

  it('honours parentheses', () => {
    const e = parseFilter('(a = 1 or b = 2) and c = 3');
    assert.equal(e?.type, 'and');
    assert.equal(e?.type === 'and' && e.left.type, 'or');
  });

  it('reads quoted keys, IN lists, LIKE, IS NULL and negative numbers', () => {
    const e = parseFilter('tags."x-y" LIKE \'a%\' AND params.`k` IN (1, -2.5e1, "s") AND fields.z IS NOT NULL');
    assert.ok(e && e.type === 'and' && e.left.type === 'and');
    const like = e.left.left;
    assert.deepEqual(like.type === 'cmp' && [like.ident.scope, like.ident.key, like.op, like.value], [
      'tags',
      'x-y',
      'LIKE',
      'a%',
    ]);
    const list = e.left.right;
    assert.deepEqual(list.type === 'in' && list.values, [1, -25, 's']);
    assert.deepEqual(e.right, { type: 'null', ident: { scope: 'fields', key: 'z', pos: 60 }, negate: true });
  });

  it('reads NOT IN and NOT LIKE', () => {
    const e = parseFilter("params.m NOT IN ('a') and params.n not like 'b%'");
    assert.ok(e?.type === 'and');
    assert.equal(e.left.type === 'in' && e.left.negate, true);
    assert.equal(e.right.type, 'not');
  });

  it('answers null for an empty filter', () => {
    assert.equal(parseFilter('   '), null);
  });

  it('reports the position of errors', () => {
    assert.equal(position("params.model = 'knn"), 15);
    assert.equal(position('metrics.acc >'), 13);
    assert.equal(position('metrics.acc > 1 and'), 19);
    assert.equal(position('(a = 1'), 6);
    assert.equal(position('a = 1 b = 2'), 6);
    assert.equal(position('a ~ 1'), 2);
    assert.equal(position('a = NULL'), 4);
    assert.equal(position('a IN 1'), 5);
  });

  it('parses single names for sorting', () => {
    assert.deepEqual(parseIdent('metrics.loss'), { scope: 'metrics', key: 'loss', pos: 0 });
    assert.deepEqual(parseIdent('accuracy'), { scope: 'column', key: 'accuracy', pos: 0 });
    assert.throws(() => parseIdent('a b'), /position 2/);
  });
});
