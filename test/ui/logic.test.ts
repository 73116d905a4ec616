// The UI's pure logic, without a browser: CSV, value formatting, chart options.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExperimentDetail } from '../../ui/src/api/types.ts';
import { chartColumns } from '../../ui/src/charts/columns.ts';
import { lineageHeight, lineageNodes, lineageOption, ROW_PX } from '../../ui/src/charts/lineage.ts';
import { AXIS_PX, parallelOption, scatterOption } from '../../ui/src/charts/options.ts';
import { toCsv } from '../../ui/src/csv.ts';
import { classNames, formatCell, formatNumber, isMatrix, sameValue } from '../../ui/src/format.ts';
import { defaultColumns } from '../../ui/src/runs/columns.ts';

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

  const lockNode = (id: string, prevs: string[], name = id, active = true) => ({
    id,
    name,
    runDir: `/x/${id}`,
    active,
    parentId: null,
    prevs,
    content: {},
  });

  it('lays out lineage left to right by stage depth', () => {
    const option = lineageOption([
      lockNode('prep', []),
      lockNode('train', ['prep']),
      lockNode('eval', ['train', 'missing']),
    ]) as {
      series: { data: { id: string; value: number[] }[]; links: { source: string; target: string }[] }[];
    };
    const [series] = option.series;
    assert.deepEqual(
      series!.data.map((d) => [d.id, d.value[0]]),
      [
        ['prep', 0],
        ['train', 1],
        ['eval', 2],
      ],
    );
    // a link to a lock that is not in the table is dropped, not drawn to nowhere
    assert.deepEqual(
      series!.links.map((l) => `${l.source}>${l.target}`),
      ['prep>train', 'train>eval'],
    );
  });

  it('draws a sweep as one node and gives every label a row of its own', () => {
    const trains = Array.from({ length: 20 }, (_, i) => lockNode(`t${i}`, ['prep'], 'train'));
    const nodes = [
      lockNode('prep', []),
      ...trains,
      lockNode(
        'eval',
        trains.map((t) => t.id),
      ),
    ];
    const drawn = lineageNodes(nodes);
    assert.deepEqual(
      drawn.map((d) => [d.label, d.column, d.row, d.members.length]),
      [
        ['prep', 0, 0, 1],
        ['train × 20', 1, 0, 20],
        ['eval', 2, 0, 1],
      ],
    );
    const option = lineageOption(nodes) as { series: { links: { source: string; target: string }[] }[] };
    assert.deepEqual(
      option.series[0]!.links.map((l) => `${l.source}>${l.target}`),
      ['prep>group:t0', 'group:t0>eval'],
    );
    // stages of different names in one column stay apart: one row each, the chart as tall as they need
    const many = [
      lockNode('prep', []),
      ...Array.from({ length: 12 }, (_, i) => lockNode(`s${i}`, ['prep'], `stage ${i}`)),
    ];
    const spread = lineageNodes(many);
    assert.equal(new Set(spread.filter((d) => d.column === 1).map((d) => d.row)).size, 12);
    assert.ok(lineageHeight(spread) >= 12 * ROW_PX);
    // a few siblings (a lock superseded by a rerun) are still drawn one by one
    assert.equal(
      lineageNodes([lockNode('p', []), lockNode('a', ['p'], 'train'), lockNode('b', ['p'], 'train')]).length,
      3,
    );
  });

  it('picks default columns and chart axes an MLflow experiment has: params and metrics, no fields', () => {
    const exp = {
      name: 'mlflow',
      columns: [
        { name: 'lr', role: 'param', key: 'lr', kind: 'string' },
        { name: 'optimizer', role: 'param', key: 'optimizer', kind: 'string' },
      ],
      metricKeys: ['accuracy', 'loss'],
    } as unknown as ExperimentDetail;
    assert.deepEqual(defaultColumns(exp), ['lr', 'optimizer', 'metrics.accuracy', 'metrics.loss']);
    const { measures, params } = chartColumns(exp);
    assert.deepEqual(
      measures.map((m) => m.name),
      ['metrics.accuracy', 'metrics.loss'],
    );
    assert.equal(params.length, 2);
  });

  it("names matrix rows and columns from the run's class names", () => {
    assert.deepEqual(classNames({ labels: ['a', 'b'], confusion: [[1]] }), ['a', 'b']);
    assert.equal(classNames({ labels: [1, 2] }), undefined);
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

  it('keeps parallel-coordinate labels inside the room of their axis', () => {
    const rows = [
      run('a', { model: 'random_forest_classifier_with_a_long_name', acc: 0.86 }),
      run('b', { model: 'knn', acc: 0.98 }),
    ];
    const option = parallelOption(
      rows,
      [
        { name: 'model', label: 'a param with a very long name indeed' },
        { name: 'acc', label: 'acc' },
      ],
      'acc',
    ) as {
      parallelAxis: {
        axisLabel: { width: number; overflow: string; hideOverlap: boolean };
        nameTextStyle: { width: number; overflow: string };
      }[];
      visualMap: { formatter: (v: number) => string };
    };
    for (const axis of option.parallelAxis) {
      assert.ok(axis.axisLabel.width < AXIS_PX && axis.axisLabel.overflow === 'truncate' && axis.axisLabel.hideOverlap);
      assert.ok(axis.nameTextStyle.width < AXIS_PX && axis.nameTextStyle.overflow === 'truncate');
    }
    // the color scale's ends say 0.86 and 0.98, not 1 and 1
    assert.deepEqual([option.visualMap.formatter(0.86), option.visualMap.formatter(0.98)], ['0.86', '0.98']);
  });
});
