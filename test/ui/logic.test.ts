// The UI's pure logic, without a browser: CSV, value formatting, chart options.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineageOption } from '../../ui/src/charts/lineage.ts';
import { parallelOption, scatterOption } from '../../ui/src/charts/options.ts';
import { toCsv } from '../../ui/src/csv.ts';
import { formatCell, formatNumber, isMatrix, sameValue } from '../../ui/src/format.ts';

const run = (id: string, extra: Record<string, unknown>) => ({
  run_id: id,
  status: 'done',
  started_at: null,
  ended_at: null,
  error: null,
  ...extra,
});

describe('ui logic', () => {
  it('writes RFC 4180 CSV', () => {
    const csv = toCsv(
      ['a', 'b,c'],
      [
        [1, 'say "hi"'],
        [null, { x: [1, 2] }],
        ['line\nbreak', true],
      ],
    );
    assert.equal(csv, 'a,"b,c"\r\n1,"say ""hi"""\r\n,"{""x"":[1,2]}"\r\n"line\nbreak",true\r\n');
  });

  it('formats API values for cells', () => {
    assert.equal(formatNumber(0.9466666666666667), '0.946667');
    assert.equal(formatNumber(0.0000021318), '2.1318e-6');
    assert.equal(formatNumber(42), '42');
    assert.equal(formatCell(null), '');
    assert.equal(formatCell('2026-11-23T16:33:20.515Z'), '2026-11-23 16:33:20');
    assert.equal(formatCell('NaN'), 'NaN');
    assert.equal(formatCell({ $map: [['a', 1]] }), '{"$map":[["a",1]]}');
    assert.ok(formatCell({ big: 'x'.repeat(200) }).endsWith('…'));
  });

  it('recognises number matrices (the confusion matrix) and compares values', () => {
    assert.ok(
      isMatrix([
        [50, 0],
        [1, 49],
      ]),
    );
    assert.ok(!isMatrix([[1, 2], [3]]));
    assert.ok(!isMatrix([['a']]));
    assert.ok(!isMatrix([]));
    assert.ok(sameValue([1, [2]], [1, [2]]));
    assert.ok(!sameValue(1, '1'));
  });

  it('lays out lineage left to right by stage depth', () => {
    const node = (id: string, prevs: string[], active = true) => ({
      id,
      name: id,
      runDir: `/x/${id}`,
      active,
      parentId: null,
      prevs,
      content: {},
    });
    const option = lineageOption([node('prep', []), node('train', ['prep']), node('eval', ['train', 'missing'])]) as {
      series: { data: { id: string; x: number }[]; links: { source: string; target: string }[] }[];
    };
    const [series] = option.series;
    assert.deepEqual(
      series!.data.map((d) => [d.id, d.x]),
      [
        ['prep', 0],
        ['train', 220],
        ['eval', 440],
      ],
    );
    // a link to a lock that is not in the table is dropped, not drawn to nowhere
    assert.deepEqual(
      series!.links.map((l) => `${l.source}>${l.target}`),
      ['prep>train', 'train>eval'],
    );
  });

  it('uses category axes for strings and value axes for numbers', () => {
    const rows = [
      run('a', { model: 'knn', acc: 0.9 }),
      run('b', { model: 'cart', acc: 0.8 }),
      run('c', { model: null, acc: 1 }),
    ];
    const scatter = scatterOption(rows, 'model', 'acc', 'model', 'accuracy') as {
      xAxis: { type: string; data?: string[] };
      yAxis: { type: string };
      series: { data: unknown[] }[];
    };
    assert.equal(scatter.xAxis.type, 'category');
    assert.deepEqual(scatter.xAxis.data, ['cart', 'knn']);
    assert.equal(scatter.yAxis.type, 'value');
    assert.equal(scatter.series[0]!.data.length, 2, 'a run without the param is left out');
    const parallel = parallelOption(
      rows,
      [
        { name: 'model', label: 'model' },
        { name: 'acc', label: 'acc' },
      ],
      'acc',
    ) as {
      parallelAxis: { type: string }[];
      visualMap: { min: number; max: number };
    };
    assert.deepEqual(
      parallel.parallelAxis.map((a) => a.type),
      ['category', 'value'],
    );
    assert.deepEqual([parallel.visualMap.min, parallel.visualMap.max], [0.8, 1]);
  });
});
