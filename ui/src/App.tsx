// Picks the page from the path. Each page reads its own state from the query
// string. Pages that draw charts load lazily, so the experiments list and the
// runs table do not wait for ECharts and uPlot.
import { lazy, type ReactNode, Suspense } from 'react';
import { Layout } from './components/Layout.tsx';
import { Loading } from './components/Status.tsx';
import { ExperimentsPage } from './pages/ExperimentsPage.tsx';
import { RunsPage } from './pages/RunsPage.tsx';
import { match, useLocation } from './router.tsx';

const RunPage = lazy(() => import('./pages/RunPage.tsx').then((m) => ({ default: m.RunPage })));
const ComparePage = lazy(() => import('./pages/ComparePage.tsx').then((m) => ({ default: m.ComparePage })));
const ChartsPage = lazy(() => import('./pages/ChartsPage.tsx').then((m) => ({ default: m.ChartsPage })));
const LineagePage = lazy(() => import('./pages/LineagePage.tsx').then((m) => ({ default: m.LineagePage })));
const SqlPage = lazy(() => import('./pages/SqlPage.tsx').then((m) => ({ default: m.SqlPage })));
const ModelsPage = lazy(() => import('./pages/ModelsPage.tsx').then((m) => ({ default: m.ModelsPage })));
const ModelPage = lazy(() => import('./pages/ModelPage.tsx').then((m) => ({ default: m.ModelPage })));

type Render = (params: Record<string, string>) => ReactNode;

/** Patterns in order; `:x` segments become params. */
const ROUTES: [string, Render][] = [
  ['/', () => <ExperimentsPage />],
  ['/experiments', () => <ExperimentsPage />],
  ['/sql', () => <SqlPage />],
  ['/lineage', () => <LineagePage />],
  ['/models', () => <ModelsPage />],
  ['/models/:model', (p) => <ModelPage name={p.model!} />],
  ['/experiments/:name', (p) => <RunsPage key={p.name} name={p.name!} />],
  ['/experiments/:name/runs/:runId', (p) => <RunPage key={`${p.name}/${p.runId}`} name={p.name!} runId={p.runId!} />],
  ['/experiments/:name/compare', (p) => <ComparePage name={p.name!} />],
  ['/experiments/:name/charts', (p) => <ChartsPage name={p.name!} />],
];

function Page() {
  const { path } = useLocation();
  for (const [pattern, render] of ROUTES) {
    const params = match(pattern, path);
    if (params) return render(params);
  }
  return (
    <div className="error-box" role="alert">
      No page at <code>{path}</code>.
    </div>
  );
}

export function App() {
  return (
    <Layout>
      <Suspense fallback={<Loading what="Loading page" />}>
        <Page />
      </Suspense>
    </Layout>
  );
}
