// The frame around every page: the top bar with the main sections.
import type { ReactNode } from 'react';
import { Link, paths, useLocation } from '../router.tsx';

export function Layout({ children }: { children: ReactNode }) {
  const { path } = useLocation();
  const tab = (href: string, label: string, active: boolean) => (
    <Link href={href} className={active ? 'active' : undefined}>
      {label}
    </Link>
  );
  return (
    <>
      <header className="topbar">
        <Link href="/" className="brand">
          lockstep
        </Link>
        <nav>
          {tab(paths.experiments(), 'Experiments', path === '/' || path.startsWith('/experiments'))}
          {tab(paths.lineage(), 'Lineage', path === '/lineage')}
          {tab(paths.sql(), 'SQL', path === '/sql')}
          {tab(paths.models(), 'Models', path.startsWith('/models'))}
          <a href="/docs" target="_blank" rel="noreferrer">
            API
          </a>
        </nav>
      </header>
      <main>{children}</main>
    </>
  );
}

/** The breadcrumb and tabs of one experiment's pages. */
export function ExperimentTabs({ name, current }: { name: string; current: 'runs' | 'charts' | 'compare' | 'run' }) {
  const item = (key: typeof current, href: string, label: string) => (
    <Link href={href} className={current === key ? 'active' : undefined}>
      {label}
    </Link>
  );
  return (
    <div className="exp-tabs">
      <Link href="/" className="crumb">
        Experiments
      </Link>
      <span className="crumb-sep">/</span>
      <Link href={paths.runs(name)} className="crumb exp-name">
        {name}
      </Link>
      <nav>
        {item('runs', paths.runs(name), 'Runs')}
        {item('charts', paths.charts(name), 'Charts')}
      </nav>
    </div>
  );
}
