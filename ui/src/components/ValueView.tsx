// Renders one stored value in full: scalars as text, number matrices as a
// heatmap plus a small table, arrays as a small table, objects, Maps and Sets
// as nested key/value tables.
import { lazy, Suspense } from 'react';
import { classNames, formatCell, formatNumber, isMatrix } from '../format.ts';

// ECharts (about 600 kB) loads with the first matrix shown, not with every page that shows a value:
// the run page would otherwise fetch its run and draw its metric charts only after it
const Heatmap = lazy(() => import('../charts/Heatmap.tsx').then((m) => ({ default: m.Heatmap })));

const MAX_ITEMS = 50;

export function ValueView({ value, name, axisLabels }: { value: unknown; name: string; axisLabels?: string[] }) {
  if (isMatrix(value)) {
    return (
      <div className="matrix">
        {value.length <= 40 && value[0]!.length <= 40 && (
          <Suspense fallback={null}>
            <Heatmap
              matrix={value}
              label={`${name} heatmap`}
              axisLabels={axisLabels?.length === value.length ? axisLabels : undefined}
            />
          </Suspense>
        )}
        <MatrixTable matrix={value} names={axisLabels?.length === value.length ? axisLabels : undefined} />
      </div>
    );
  }
  if (Array.isArray(value)) return <ArrayTable items={value} name={name} />;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (Array.isArray(o.$map)) return <PairsTable pairs={o.$map as [unknown, unknown][]} name={name} />;
    if (Array.isArray(o.$set)) return <ArrayTable items={o.$set as unknown[]} name={name} />;
    return <PairsTable pairs={Object.entries(o)} name={name} />;
  }
  return <span className="value">{formatCell(value)}</span>;
}

/** The matrix as numbers; rows and columns named like the heatmap's axes when the run has class names. */
function MatrixTable({ matrix, names }: { matrix: number[][]; names?: string[] | undefined }) {
  const rows = matrix.slice(0, MAX_ITEMS);
  const square = names && matrix[0]?.length === names.length;
  return (
    <table className="mini">
      {square && (
        <thead>
          <tr>
            <th />
            {names.slice(0, MAX_ITEMS).map((n) => (
              <th key={n}>{n}</th>
            ))}
          </tr>
        </thead>
      )}
      <tbody>
        {rows.map((row, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: matrix rows have no identity but their index
          <tr key={i}>
            <th>{names?.[i] ?? i}</th>
            {row.slice(0, MAX_ITEMS).map((v, j) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: as above
              <td key={j}>{formatNumber(v)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ArrayTable({ items, name }: { items: unknown[]; name: string }) {
  if (items.length === 0) return <span className="value muted">[] (empty)</span>;
  return (
    <div>
      <table className="mini">
        <tbody>
          {items.slice(0, MAX_ITEMS).map((v, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: array items are identified by position
            <tr key={i}>
              <th>{i}</th>
              <td>
                <ValueView value={v} name={`${name}[${i}]`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length > MAX_ITEMS && <div className="muted">… {items.length - MAX_ITEMS} more items</div>}
    </div>
  );
}

function PairsTable({ pairs, name }: { pairs: [unknown, unknown][]; name: string }) {
  if (pairs.length === 0) return <span className="value muted">{'{}'} (empty)</span>;
  return (
    <table className="mini">
      <tbody>
        {pairs.slice(0, MAX_ITEMS).map(([k, v]) => (
          <tr key={String(k)}>
            <th>{formatCell(k)}</th>
            <td>
              <ValueView value={v} name={`${name}.${String(k)}`} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A two-column table of a record's entries: config, params, fields. */
export function KeyValueTable({ record, testId }: { record: Record<string, unknown>; testId?: string }) {
  const entries = Object.entries(record);
  if (entries.length === 0) return <p className="muted">none</p>;
  const names = classNames(record);
  return (
    <table className="kv" data-testid={testId}>
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>
              <ValueView value={v} name={k} axisLabels={names} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
