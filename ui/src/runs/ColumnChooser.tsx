// Picks the visible columns, grouped by role (params, fields, metrics, …).
import { useState } from 'react';
import type { TableColumn } from './columns.ts';

export function ColumnChooser({
  available,
  visible,
  onChange,
  onReset,
}: {
  available: TableColumn[];
  visible: string[];
  onChange(columns: string[]): void;
  onReset(): void;
}) {
  const [open, setOpen] = useState(false);
  const [q, setQ] = useState('');
  const groups = new Map<string, TableColumn[]>();
  for (const c of available) {
    if (q && !c.label.toLowerCase().includes(q.toLowerCase())) continue;
    groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  }
  const toggle = (name: string) => {
    // keep the order of `available` so that toggling does not shuffle columns
    const next = visible.includes(name) ? visible.filter((v) => v !== name) : [...visible, name];
    onChange(available.map((c) => c.name).filter((n) => next.includes(n)));
  };
  return (
    <div className="column-chooser">
      <button type="button" className="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns ({visible.length})
      </button>
      {open && (
        <div className="popover" role="dialog" aria-label="Choose columns">
          <div className="popover-head">
            <input type="search" placeholder="Find a column" value={q} onChange={(e) => setQ(e.target.value)} />
            <button type="button" className="link-button" onClick={onReset}>
              Reset
            </button>
            <button type="button" className="link-button" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
          {[...groups].map(([group, cols]) => (
            <fieldset key={group}>
              <legend>{group}</legend>
              {cols.map((c) => (
                <label key={c.name}>
                  <input type="checkbox" checked={visible.includes(c.name)} onChange={() => toggle(c.name)} /> {c.label}
                </label>
              ))}
            </fieldset>
          ))}
        </div>
      )}
    </div>
  );
}
