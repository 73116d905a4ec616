// What the web UI's browser tests and benchmark share: a built UI, a real
// server on 127.0.0.1 on a free port, and Debian's Chromium driven by
// playwright-core (never a downloaded browser).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { createSession, type Session } from '../../src/index.ts';
import { startServer } from '../../src/server/index.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const UI_ROOT = join(ROOT, 'dist', 'ui');
export const CHROMIUM = process.env.LOCKSTEP_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined when they can. Under
 * CI=true a missing Chromium is an error (CI installs it), not a skip.
 */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const msg = `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set LOCKSTEP_CHROMIUM)`;
  if (process.env.CI === 'true') throw new Error(`${msg}: CI requires it`);
  console.error(`\n!!! ${msg}: the browser tests are SKIPPED !!!\n`);
  return msg;
}

/** The newest modification time under a directory (the UI's sources). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds the UI when `npm run build` has not, or its sources changed since (a test run after an edit). */
export async function ensureUiBuilt(): Promise<void> {
  const index = join(UI_ROOT, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(ROOT, 'ui'))) return;
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'ui', 'vite.config.ts'), logLevel: 'warn' });
}

export interface Served {
  url: string;
  session: Session;
  close(): Promise<void>;
}

/** Serves a database and the built UI on a free port of 127.0.0.1. */
export async function serve(dbUrl: string): Promise<Served> {
  await ensureUiBuilt();
  const session = await createSession(dbUrl);
  // The SQL endpoint runs each SQLite query in a child process and counts its
  // start-up against the 5 s default timeout; on a loaded 2-core machine that
  // alone can pass 5 s, and these tests are not timing tests.
  const server = await startServer({
    session,
    host: '127.0.0.1',
    port: 0,
    uiRoot: UI_ROOT,
    sql: { timeoutMs: 60_000 },
  });
  return {
    url: server.url,
    session,
    close: async () => {
      await server.close();
      await session.close();
    },
  };
}

/** Runs the iris demo into a fresh SQLite file: the same data a user sees after `npm run demo`. */
export async function irisDatabase(dir: string): Promise<string> {
  const db = join(dir, 'iris.db');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/iris/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, LOCKSTEP_DB: db },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`iris demo exited ${code}: ${err}`))));
  });
  return db;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile directory. */
export async function launch(
  viewport = { width: 1360, height: 860 },
  /** let string predicates (waitForFunction) run despite the UI's script-src policy: the benchmark's probes */
  bypassCSP = false,
): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'lockstep-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    bypassCSP,
    acceptDownloads: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
