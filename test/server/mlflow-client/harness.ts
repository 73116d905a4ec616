// Runs MLflow's own Python client (MLflow 3.6, from ../shared/mlflow-client/setup.sh)
// against a real `lockstep ui` process.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../helpers.ts';

export interface PythonClient {
  env: Record<string, string>;
  python: string;
}

let located: Promise<PythonClient | undefined> | undefined;

/**
 * The Python client's environment: taken as is when `MLFLOW_PY` is set (as
 * `.ci/run` sets it), else from scripts/ci/mlflow-client.sh. Undefined, with
 * a loud message, when no set-up script exists; a set-up that fails throws.
 */
export function pythonClient(): Promise<PythonClient | undefined> {
  located ??= new Promise((resolve, reject) => {
    if (process.env.MLFLOW_PY && process.env.PYTHONPATH) {
      resolve({ env: {}, python: process.env.MLFLOW_PY });
      return;
    }
    execFile('bash', [join(ROOT, 'scripts', 'ci', 'mlflow-client.sh')], (err, stdout, stderr) => {
      if (err && err.code === 3) {
        console.error(
          `\n!!! MLflow's Python client is not available: the MLflow client tests are SKIPPED !!!\n${stderr}`,
        );
        resolve(undefined);
        return;
      }
      if (err) {
        reject(new Error(`scripts/ci/mlflow-client.sh failed (${err.code}): ${stderr}`));
        return;
      }
      const env: Record<string, string> = {};
      for (const pair of stdout
        .trim()
        .replace(/^export\s+/, '')
        .split(/\s+/)) {
        const eq = pair.indexOf('=');
        if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      if (!env.MLFLOW_PY) reject(new Error(`scripts/ci/mlflow-client.sh printed no MLFLOW_PY: ${stdout}`));
      else resolve({ env, python: env.MLFLOW_PY });
    });
  });
  return located;
}

export interface UiProcess {
  url: string;
  pid: number;
  /** Resident memory now and at its peak, in MiB (from /proc). */
  memory(): { rss: number; peak: number };
  stop(): Promise<void>;
}

/** Starts `lockstep ui` (the real command) on a free port. */
export async function startUi(args: string[], options: { cwd?: string } = {}): Promise<UiProcess> {
  // from its own directory: anything it writes next to the working directory stays out of the checkout
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'lockstep.js'), 'ui', '--port', '0', ...args],
    {
      cwd: options.cwd ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lockstep ui did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /tracking server on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`lockstep ui exited with ${code}: ${output}`));
    });
  });
  const pid = child.pid as number;
  return {
    url,
    pid,
    memory() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
      return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Runs a script of this folder with the client, MLFLOW_TRACKING_URI pointing at `url`; returns its JSON output. */
export function runPython(
  client: PythonClient,
  script: string,
  url: string,
  args: string[],
): Promise<{ out: Record<string, unknown>; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      client.python,
      [join(import.meta.dirname, script), ...args],
      {
        env: { ...process.env, ...client.env, MLFLOW_TRACKING_URI: url },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
      },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`${script} failed (${err.code}):\n${stderr}\n${stdout}`));
          return;
        }
        const last = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve({ out: JSON.parse(last) as Record<string, unknown>, stderr });
        } catch {
          reject(new Error(`${script} printed no JSON:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}
