import { Session } from 'node:inspector';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';

/** The locals of one frame of a failure, as captured by the inspector. */
export interface FrameLocals {
  function: string;
  file: string;
  line: number;
  locals: Record<string, unknown>;
}

/** Where the captured frames are attached on the thrown error. */
export const LOCALS = Symbol.for('lockstep.locals');

const OWN_DIR = fileURLToPath(new URL('..', import.meta.url));

/** A frame of the user's own code: a file outside node_modules, node's internals and lockstep itself. */
function isUserFrame(url: string): boolean {
  if (!url.startsWith('file://')) return false;
  const path = fileURLToPath(url);
  return !path.includes('/node_modules/') && !path.startsWith(OWN_DIR);
}

interface RemoteObject {
  type: string;
  value?: unknown;
  objectId?: string;
  description?: string;
  unserializableValue?: string;
}
interface CallFrame {
  callFrameId: string;
  functionName: string;
  url: string;
  location: { scriptId: string; lineNumber: number };
  scopeChain: { type: string; object: RemoteObject }[];
}

/**
 * Runs `fn` with the inspector pausing on every exception thrown in the
 * user's own files. At each pause (the inspector calls back synchronously
 * while the program is paused) the local and block scopes of the user's
 * frames are copied onto the exception object itself, by reference, so the
 * locals of the frame that threw travel with the error.
 */
export async function captureLocals<T>(fn: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Record<string, unknown> => {
    let out: Record<string, unknown> = {};
    let error: Error | null = null;
    session.post(method, params ?? {}, (err, res) => {
      error = err;
      out = (res ?? {}) as Record<string, unknown>;
    });
    if (error) throw error;
    return out;
  };
  // Call frames may come without a URL (modules compiled through a loader): scripts are known by id.
  const scripts = new Map<string, string>();
  session.on('Debugger.scriptParsed', (msg) => {
    const { scriptId, url } = msg.params as { scriptId: string; url: string };
    if (url) scripts.set(scriptId, url);
  });
  session.on('Debugger.paused', (msg) => {
    const { callFrames, data, reason } = msg.params as unknown as {
      callFrames: CallFrame[];
      data?: RemoteObject;
      reason: string;
    };
    try {
      if ((reason !== 'exception' && reason !== 'promiseRejection') || !data?.objectId) return;
      for (const f of callFrames) f.url ||= scripts.get(f.location.scriptId) ?? '';
      const frames = callFrames.filter((f) => isUserFrame(f.url)).slice(0, 5);
      if (frames.length === 0 || !isUserFrame(callFrames[0]?.url ?? '')) return;
      const args: RemoteObject[] = [];
      const meta: { function: string; file: string; line: number; names: string[] }[] = [];
      for (const f of frames) {
        const names: string[] = [];
        for (const scope of f.scopeChain) {
          if ((scope.type !== 'local' && scope.type !== 'block') || !scope.object.objectId) continue;
          const props = post('Runtime.getProperties', { objectId: scope.object.objectId, ownProperties: true })
            .result as { name: string; value?: RemoteObject }[];
          for (const p of props ?? []) {
            if (!p.value || names.includes(p.name)) continue;
            names.push(p.name);
            args.push(
              p.value.objectId
                ? { type: 'object', objectId: p.value.objectId }
                : p.value.unserializableValue
                  ? { type: p.value.type, unserializableValue: p.value.unserializableValue }
                  : { type: p.value.type, value: p.value.value },
            );
          }
        }
        meta.push({
          function: f.functionName || '(anonymous)',
          file: fileURLToPath(f.url),
          line: f.location.lineNumber + 1,
          names,
        });
      }
      post('Runtime.callFunctionOn', {
        objectId: data.objectId,
        functionDeclaration: `function(meta, ...values) {
          if (this === null || (typeof this !== 'object' && typeof this !== 'function')) return;
          if (Object.prototype.hasOwnProperty.call(this, Symbol.for('lockstep.locals'))) return;
          let i = 0;
          const frames = meta.map((m) => ({ function: m.function, file: m.file, line: m.line,
            locals: Object.fromEntries(m.names.map((n) => [n, values[i++]])) }));
          Object.defineProperty(this, Symbol.for('lockstep.locals'), { value: frames, enumerable: false });
        }`,
        arguments: [
          { value: meta },
          ...args.map((a) =>
            a.objectId
              ? { objectId: a.objectId }
              : a.unserializableValue
                ? { unserializableValue: a.unserializableValue }
                : { value: a.value },
          ),
        ],
      });
    } catch {
      // a capture that fails must never change what the program does
    } finally {
      session.post('Debugger.resume');
    }
  });
  post('Debugger.enable');
  post('Debugger.setPauseOnExceptions', { state: 'all' });
  try {
    return await fn();
  } finally {
    post('Debugger.setPauseOnExceptions', { state: 'none' });
    post('Debugger.disable');
    session.disconnect();
  }
}

/**
 * The frames captured for an error, if any. Line numbers are taken from the
 * error's stack when it names the file: it is source-mapped (TypeScript
 * through tsx), the inspector's positions are in the compiled code.
 */
export function localsOf(error: unknown): FrameLocals[] | undefined {
  if (error === null || (typeof error !== 'object' && typeof error !== 'function')) return undefined;
  const frames = (error as Record<symbol, FrameLocals[] | undefined>)[LOCALS];
  if (!frames) return undefined;
  const stack = String((error as { stack?: unknown }).stack ?? '').split('\n');
  let from = 0;
  return frames.map((f) => {
    for (let i = from; i < stack.length; i++) {
      const m = (stack[i] as string).includes(f.file) ? /:(\d+):\d+\)?\s*$/.exec(stack[i] as string) : null;
      if (m) {
        from = i + 1;
        return { ...f, line: Number(m[1]) };
      }
    }
    return f;
  });
}

/** The captured frames as text: the failing frame first, then its callers. */
export function formatLocals(frames: readonly FrameLocals[]): string {
  return frames
    .map((f, i) => {
      const head = `${i === 0 ? 'failing frame' : 'called from'} ${f.function} (${f.file}:${f.line})`;
      const body = Object.entries(f.locals).map(
        ([k, v]) =>
          `    ${k} = ${inspect(v, { depth: 2, breakLength: Number.POSITIVE_INFINITY, maxArrayLength: 20, maxStringLength: 200 })}`,
      );
      return [head, ...(body.length ? body : ['    (no locals)'])].join('\n');
    })
    .join('\n');
}

/** Whether debug-on-failure is on: `--debug` or LOCKSTEP_DEBUG=1. */
export function debugWanted(flag: boolean): boolean {
  const env = process.env.LOCKSTEP_DEBUG;
  return flag || (env !== undefined && env !== '' && env !== '0' && env !== 'false');
}

/** Opens a REPL with the failing frame's locals (and `error`) in scope; resolves when the user leaves it. */
export async function openRepl(error: unknown, frames: readonly FrameLocals[]): Promise<void> {
  const { start } = await import('node:repl');
  process.stderr.write('\nlockstep debug: a REPL with the failing frame’s locals in scope (.exit to leave)\n');
  const server = start({ prompt: 'debug> ', useGlobal: false });
  const scope = { ...[...frames].reverse().reduce((acc, f) => Object.assign(acc, f.locals), {}), error };
  Object.assign(server.context, scope);
  await new Promise<void>((resolve) => server.on('exit', () => resolve()));
}
