// The filter box: the search grammar of the server (MLflow style plus OR, NOT
// and parentheses). A malformed filter comes back as 400 with a position,
// shown as a caret under the offending character.
import { type FormEvent, useEffect, useState } from 'react';
import { ApiError } from '../api/client.ts';

const STATUSES = ['done', 'failed', 'running', 'interrupted'] as const;
const statusFilter = (status: string) => `attributes.status = '${status}'`;

const EXAMPLE = "params.k > 3 and fields.accuracy >= 0.9 or attributes.status = 'failed'";

export function FilterBar({ value, onApply, error }: { value: string; onApply(filter: string): void; error?: Error }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(text.trim());
  };
  const filterError = error instanceof ApiError && error.status === 400 ? error : undefined;
  return (
    <form className="filter-bar" onSubmit={submit}>
      <div className="filter-input">
        <input
          type="text"
          name="filter"
          aria-label="Filter runs"
          aria-invalid={filterError ? true : undefined}
          placeholder={`Filter, e.g. ${EXAMPLE}`}
          value={text}
          spellCheck={false}
          onChange={(e) => setText(e.target.value)}
        />
        {filterError && <FilterError error={filterError} filter={value} />}
      </div>
      <button type="submit">Apply</button>
      <span className="quick-filters" title="Quick filters by status">
        {STATUSES.map((st) => (
          <button
            key={st}
            type="button"
            className={`chip${value === statusFilter(st) ? ' chip-on' : ''}`}
            title={`Only ${st} runs`}
            onClick={() => onApply(value === statusFilter(st) ? '' : statusFilter(st))}
          >
            {st}
          </button>
        ))}
      </span>
      {value && (
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setText('');
            onApply('');
          }}
        >
          Clear
        </button>
      )}
    </form>
  );
}

function FilterError({ error, filter }: { error: ApiError; filter: string }) {
  const pos = error.position;
  return (
    <div className="filter-error" role="alert" data-testid="filter-error">
      {pos !== undefined && pos >= 0 && pos <= filter.length && (
        <pre className="caret">
          {filter}
          {'\n'}
          {' '.repeat(pos)}^
        </pre>
      )}
      <span>
        {error.message}
        {pos !== undefined && !/position/.test(error.message) && ` (at position ${pos})`}
      </span>
    </div>
  );
}
