// The runs of one experiment. The URL holds filter, sort, order, columns and
// the selection, so a view can be shared as a link.
import { useMemo } from 'react';
import { ApiError } from '../api/client.ts';
import { loadExperiment } from '../api/experiment.ts';
import type { ExperimentDetail } from '../api/types.ts';
import { useApi } from '../api/useApi.ts';
import { LIVE_REFRESH_MS, usePoll } from '../api/usePoll.ts';
import { ExperimentTabs } from '../components/Layout.tsx';
import { ErrorBox, Loading } from '../components/Status.tsx';
import { navigate, paths, useQueryState } from '../router.tsx';
import { ColumnChooser } from '../runs/ColumnChooser.tsx';
import { availableColumns, defaultColumns } from '../runs/columns.ts';
import { FilterBar } from '../runs/FilterBar.tsx';
import { RunsTable } from '../runs/RunsTable.tsx';
import { type RunPages, useRunPages } from '../runs/useRunPages.ts';

const list = (s: string | null) => (s ? s.split(',').filter(Boolean) : []);

export function RunsPage({ name }: { name: string }) {
  const exp = useApi((signal) => loadExperiment(name, signal), [name]);
  const [query] = useQueryState();
  const filter = query.get('filter') ?? '';
  const sort = query.get('sort') ?? '';
  const order = query.get('order') === 'asc' ? 'asc' : 'desc';
  const colParam = query.get('columns');
  const defaults = useMemo(() => (exp.data ? defaultColumns(exp.data) : null), [exp.data]);
  // with the columns in the URL, the first page loads while the experiment does
  const columns = colParam !== null ? list(colParam) : defaults;
  const pages = useRunPages({ experiment: name, filter, sort, order, columns: columns ?? [] }, columns !== null);
  return (
    <section className="runs-page">
      <ExperimentTabs name={name} current="runs" />
      {exp.state === 'loading' && <Loading what="Loading experiment" />}
      {exp.state === 'error' && <ErrorBox error={exp.error} retry={exp.reload} />}
      {exp.data && columns && <RunsView experiment={exp.data} pages={pages} visibleNames={columns} />}
    </section>
  );
}

function RunsView({
  experiment,
  pages,
  visibleNames,
}: {
  experiment: ExperimentDetail;
  pages: RunPages;
  visibleNames: string[];
}) {
  const [query, setQuery] = useQueryState();
  const filter = query.get('filter') ?? '';
  const sort = query.get('sort') ?? '';
  const order = query.get('order') === 'asc' ? 'asc' : 'desc';
  const selected = list(query.get('sel'));
  const available = useMemo(() => availableColumns(experiment), [experiment]);
  const visible = available.filter((c) => visibleNames.includes(c.name));

  const onSort = (column: string) => {
    // first click sorts descending (best scores first), the next flips
    const nextOrder = sort === column && order === 'desc' ? 'asc' : 'desc';
    setQuery({ sort: column, order: nextOrder });
  };
  const onSelect = (runId: string, on: boolean) => {
    const next = on ? [...selected.filter((s) => s !== runId), runId] : selected.filter((s) => s !== runId);
    setQuery({ sel: next.join(',') }, true);
  };
  const canCompare = selected.length >= 2 && selected.length <= 10;
  // running runs change under the user's eyes: the rows in view follow them
  usePoll(pages.running, pages.refresh);

  return (
    <>
      <div className="toolbar">
        <FilterBar value={filter} onApply={(f) => setQuery({ filter: f })} error={pages.error} />
        <ColumnChooser
          available={available}
          visible={visible.map((c) => c.name)}
          onChange={(cols) => setQuery({ columns: cols.join(',') || ',' })}
          onReset={() => setQuery({ columns: null })}
        />
        <button
          type="button"
          disabled={!canCompare}
          title={canCompare ? 'Compare the selected runs' : 'Select 2 to 10 runs to compare'}
          onClick={() => navigate(paths.compare(experiment.name, selected))}
        >
          Compare ({selected.length})
        </button>
      </div>
      <div className="runs-status">
        {pages.total === undefined && !pages.error && <Loading what="Loading runs" />}
        {pages.total !== undefined && (
          <span data-testid="runs-count">
            {pages.total.toLocaleString()} run{pages.total === 1 ? '' : 's'}
            {filter && ' match the filter'}
            {experiment.runs !== pages.total && ` of ${experiment.runs.toLocaleString()}`}{' '}
            <button type="button" className="link-button" title="Fetch the runs again" onClick={pages.reload}>
              refresh
            </button>
          </span>
        )}
        {pages.running && (
          <span className="live-note" data-testid="runs-live">
            {' '}
            runs are running: refreshing every {LIVE_REFRESH_MS / 1000} s
          </span>
        )}
        {selected.length > 0 && (
          <span>
            {' '}
            · {selected.length} selected{' '}
            <button type="button" className="link-button" onClick={() => setQuery({ sel: null })}>
              clear
            </button>
          </span>
        )}
        {experiment.description && (
          <span className="muted">
            {pages.total !== undefined ? ' · ' : ''}
            {experiment.description}
          </span>
        )}
      </div>
      {pages.error && !(pages.error instanceof ApiError && pages.error.status === 400 && filter) && (
        <ErrorBox error={pages.error} retry={pages.reload} />
      )}
      {pages.total === 0 && <p className="muted">No runs{filter ? ' match this filter' : ''}.</p>}
      {pages.total !== undefined && pages.total > 0 && (
        <RunsTable
          experiment={experiment.name}
          pages={pages}
          columns={visible}
          sort={{ sort, order }}
          onSort={onSort}
          selected={selected}
          onSelect={onSelect}
        />
      )}
    </>
  );
}
