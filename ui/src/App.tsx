// Picks the page from the path. Each page reads its own state from the query
// string. Pages that draw charts load lazily, so the experiments list and the
// runs table do not wait for ECharts and uPlot.
import { type ComponentType, lazy, type ReactNode, Suspense, useState } from 'react';
import { Layout } from './components/Layout.tsx';
import { Loading } from './components/Status.tsx';
import { ExperimentsPage } from './pages/ExperimentsPage.tsx';
import { RunsPage } from './pages/RunsPage.tsx';
import { match, useLocation } from './router.tsx';

/**
 * A page loaded on demand. Once its module is here it renders at once: a page
 * that suspends shows the fallback, and React 19 then holds the page back for
 * at least 300 ms (its fallback throttle), which on the run page delayed the
 * run's request, and so its charts, by that much.
 */
function page<P extends object>(
  load: () => Promise<ComponentType<P>>,
): ComponentType<P> & { preload(): Promise<unknown> } {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<ComponentType<P>> | undefined;
  const preload = () => {
    loading ??= load().then((c) => (loaded = c));
    return loading;
  };
  const Lazy = lazy(() => preload().then((c) => ({ default: c })));
  const Page = (props: P) => {
    // chosen once per mount: switching from Lazy to the loaded component on a later render would remount the page
    const [C] = useState(() => loaded ?? Lazy);
    return <C {...props} />;
  };
  return Object.assign(Page, { preload });
}

const RunPage = page(() => import('./pages/RunPage.tsx').then((m) => m.RunPage));
const ComparePage = page(() => import('./pages/ComparePage.tsx').then((m) => m.ComparePage));
const ChartsPage = page(() => import('./pages/ChartsPage.tsx').then((m) => m.ChartsPage));
const LineagePage = page(() => import('./pages/LineagePage.tsx').then((m) => m.LineagePage));
const SqlPage = page(() => import('./pages/SqlPage.tsx').then((m) => m.SqlPage));
const ModelsPage = page(() => import('./pages/ModelsPage.tsx').then((m) => m.ModelsPage));
const ModelPage = page(() => import('./pages/ModelPage.tsx').then((m) => m.ModelPage));

type Render = (params: Record<string, string>) => ReactNode;

/** Patterns in order; `:x` segments become params; the third item loads a lazy page's module. */
const ROUTES: [string, Render, (() => Promise<unknown>)?][] = [
  ['/', () => <ExperimentsPage />],
  ['/experiments', () => <ExperimentsPage />],
  ['/sql', () => <SqlPage />, SqlPage.preload],
  ['/lineage', () => <LineagePage />, LineagePage.preload],
  ['/models', () => <ModelsPage />, ModelsPage.preload],
  ['/models/:model', (p) => <ModelPage name={p.model!} />, ModelPage.preload],
  ['/experiments/:name', (p) => <RunsPage key={p.name} name={p.name!} />],
  [
    '/experiments/:name/runs/:runId',
    (p) => <RunPage key={`${p.name}/${p.runId}`} name={p.name!} runId={p.runId!} />,
    RunPage.preload,
  ],
  ['/experiments/:name/compare', (p) => <ComparePage name={p.name!} />, ComparePage.preload],
  ['/experiments/:name/charts', (p) => <ChartsPage name={p.name!} />, ChartsPage.preload],
];

/**
 * Loads the module of the page at `path` (when it is a lazy one), so that the
 * first render shows it without a fallback; then, when the browser is idle,
 * the run page's, the page most often opened next.
 */
export async function preloadPage(path: string): Promise<void> {
  const route = ROUTES.find(([pattern]) => match(pattern, path));
  await route?.[2]?.().catch(() => undefined); // a chunk that fails to load fails in the page, with its message
  const idle = window.requestIdleCallback ?? ((f: () => void) => setTimeout(f, 200));
  idle(() => void RunPage.preload().catch(() => undefined));
}

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
