// The virtualised runs table: only the rows on screen exist in the DOM, and
// their pages are fetched as they scroll into view (see useRunPages).
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import type { RunRow } from '../api/types.ts';
import { StatusBadge } from '../components/Status.tsx';
import { formatCell } from '../format.ts';
import { Link, paths } from '../router.tsx';
import type { TableColumn } from './columns.ts';
import type { RunPages } from './useRunPages.ts';

const ROW_HEIGHT = 30;
const COL_WIDTH = 150;
const FIXED = '36px 110px 84px';

export interface SortState {
  sort: string;
  order: 'asc' | 'desc';
}

export function RunsTable({
  experiment,
  pages,
  columns,
  sort,
  onSort,
  selected,
  onSelect,
}: {
  experiment: string;
  pages: RunPages;
  columns: TableColumn[];
  sort: SortState;
  onSort(column: string): void;
  selected: string[];
  onSelect(runId: string, on: boolean): void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const total = pages.total ?? 0;
  const virtual = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
  });
  const items = virtual.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  const { ensure } = pages;
  // also re-run when a page arrives (version), which lets the next page be prefetched
  const { version } = pages;
  // biome-ignore lint/correctness/useExhaustiveDependencies: version is a trigger, not a value used inside
  useEffect(() => {
    if (total > 0) ensure(first, last);
  }, [first, last, total, ensure, version]);

  const template = `${FIXED} ${columns.map(() => `${COL_WIDTH}px`).join(' ')}`;
  const width = 36 + 110 + 84 + columns.length * COL_WIDTH;
  const header = (name: string, label: string, numeric = false) => {
    const active = sort.sort === name;
    return (
      <span key={name} className="th-cell" data-sort={active ? sort.order : undefined}>
        <button
          type="button"
          className={`th sortable${active ? ' sorted' : ''}${numeric ? ' num' : ''}`}
          title={`Sort by ${label}`}
          onClick={() => onSort(name)}
        >
          {label}
          {active && (sort.order === 'asc' ? ' ▲' : ' ▼')}
        </button>
      </span>
    );
  };

  return (
    <div
      ref={scroller}
      className="runs-scroller"
      data-testid="runs-table"
      data-ready={pages.total !== undefined ? 'true' : undefined}
      data-total={pages.total}
    >
      <div className="runs-inner" style={{ width, height: total * ROW_HEIGHT + ROW_HEIGHT }}>
        <div className="tr thead" style={{ gridTemplateColumns: template, width }}>
          <span className="th" />
          {header('run_id', 'run')}
          {header('status', 'status')}
          {columns.map((c) => header(c.name, c.label, c.numeric))}
        </div>
        {items.map((item) => {
          const row = pages.row(item.index);
          return (
            <div
              key={item.key}
              className={`tr${row && selected.includes(row.run_id) ? ' selected' : ''}`}
              style={{ gridTemplateColumns: template, width, transform: `translateY(${item.start + ROW_HEIGHT}px)` }}
              data-index={item.index}
            >
              {row ? (
                <Cells row={row} experiment={experiment} columns={columns} selected={selected} onSelect={onSelect} />
              ) : (
                <span className="td placeholder">…</span>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

function Cells({
  row,
  experiment,
  columns,
  selected,
  onSelect,
}: {
  row: RunRow;
  experiment: string;
  columns: TableColumn[];
  selected: string[];
  onSelect(runId: string, on: boolean): void;
}) {
  return (
    <>
      <span className="td">
        <input
          type="checkbox"
          aria-label={`Select run ${row.run_id}`}
          checked={selected.includes(row.run_id)}
          onChange={(e) => onSelect(row.run_id, e.target.checked)}
        />
      </span>
      <span className="td mono">
        <Link href={paths.run(experiment, row.run_id)} title={row.run_id}>
          {row.run_id.slice(0, 8)}
        </Link>
      </span>
      <span className="td">
        <StatusBadge status={row.status} title={row.error ?? undefined} />
      </span>
      {columns.map((c) => {
        const v = row[c.name];
        const text = formatCell(v);
        return (
          <span key={c.name} className={`td${typeof v === 'number' ? ' num' : ''}`} title={text}>
            {text}
          </span>
        );
      })}
    </>
  );
}
