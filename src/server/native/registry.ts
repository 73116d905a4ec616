import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LockstepError } from '../../errors.ts';
import { getLock } from '../../lock/records.ts';
import type { Session } from '../../session.ts';
import type { RunRecord, Store } from '../../store/store.ts';
import type { ServerContext, Typed } from '../context.ts';
import { HttpError } from '../errors.ts';
import { toDisplay } from '../values.ts';
import { ErrorBody, RunParams, runExists } from './shared.ts';

/** Artifacts and the model registry live on the session (blob store, registry tables); a bare store has neither. */
function requireSession(session: Session | undefined, what: string): Session {
  if (!session) throw new LockstepError('E_NOT_FOUND', `${what} needs a server created with a session`);
  return session;
}

/** The artifacts of a run for its page; an unreadable blob store must not break the page. */
export async function listArtifacts(ctx: ServerContext, name: string, runId: string) {
  if (!ctx.session) return [];
  try {
    const list = await ctx.session.artifacts.list(runId);
    return list.map((a) => ({
      path: a.name,
      kind: a.kind,
      size: a.size,
      digest: a.digest,
      url: `/api/v1/experiments/${encodeURIComponent(name)}/runs/${encodeURIComponent(runId)}/artifacts/${a.name
        .split('/')
        .map(encodeURIComponent)
        .join('/')}`,
    }));
  } catch {
    return [];
  }
}

/**
 * The run's lock: a run made by `lockstep run` stores the id of its run.lock
 * record in the field `lock_id`; the record is in the `locks` table.
 */
export async function lockOf(store: Store, run: RunRecord): Promise<unknown> {
  const id = run.fields.lock_id;
  if (typeof id !== 'string' || id === '') return null;
  try {
    const [record] = (await getLock(store.driver, id)).filter((r) => r.id === id);
    return record ? toDisplay(record) : null;
  } catch {
    return null;
  }
}

export async function registerRegistry(app: Typed, ctx: ServerContext): Promise<void> {
  // uploads: raw bytes in the body, in a scope of their own so only this route parses octet-streams
  await app.register(async (scope: FastifyInstance) => {
    scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    );
    (scope as Typed).put(
      '/api/v1/experiments/:name/runs/:runId/artifacts/*',
      {
        schema: {
          tags: ['artifacts'],
          summary: 'Upload a file artifact (body: the bytes, content-type application/octet-stream)',
          params: RunParams.extend({ '*': z.string().min(1).max(1000) }),
          response: { 200: z.object({ artifact: z.record(z.string(), z.unknown()) }), 404: ErrorBody },
        },
      },
      async (req) => {
        const session = requireSession(ctx.session, 'artifacts');
        const exp = await ctx.store.requireExperiment(req.params.name);
        if (!(await runExists(ctx.store, exp, req.params.runId)))
          throw new LockstepError('E_NOT_FOUND', `experiment "${exp.name}" has no run "${req.params.runId}"`);
        if (!Buffer.isBuffer(req.body))
          throw new HttpError(415, 'E_MEDIA_TYPE', 'send the artifact as application/octet-stream', { field: 'body' });
        // bytes only: a string would be read as a path on the server's disk
        const info = await session.artifacts.log(exp.id, req.params.runId, req.params['*'], new Uint8Array(req.body));
        return { artifact: { path: info.name, kind: info.kind, size: info.size, digest: info.digest } };
      },
    );
  });

  app.get(
    '/api/v1/experiments/:name/runs/:runId/artifacts/*',
    {
      schema: {
        tags: ['artifacts'],
        summary: 'Download a file artifact (or ?path= one file of a directory artifact)',
        params: RunParams.extend({ '*': z.string().min(1).max(1000) }),
        querystring: z.object({ path: z.string().max(1000).optional() }),
      },
    },
    async (req, reply) => {
      const session = requireSession(ctx.session, 'artifacts');
      const name = req.params['*'];
      const bytes = await session.artifacts.read(req.params.runId, name, req.query.path ?? '');
      const file = (req.query.path || name).split('/').pop() ?? 'artifact';
      reply.header('content-disposition', `attachment; filename="${file.replace(/["\\\r\n]/g, '_')}"`);
      return reply.type('application/octet-stream').send(bytes);
    },
  );

  app.get(
    '/api/v1/models',
    {
      schema: {
        tags: ['models'],
        summary: 'Registered models with their latest version and aliases',
        response: { 200: z.object({ models: z.array(z.record(z.string(), z.unknown())) }) },
      },
    },
    async () => {
      if (!ctx.session) return { models: [] };
      const models = await ctx.session.models.list();
      return { models: models.map((m) => toDisplay(m) as Record<string, unknown>) };
    },
  );

  app.get(
    '/api/v1/models/:name',
    {
      schema: {
        tags: ['models'],
        summary: 'One registered model with its versions (newest first)',
        params: z.object({ name: z.string().min(1).max(200) }),
        response: { 200: z.object({ model: z.unknown(), versions: z.array(z.unknown()) }), 404: ErrorBody },
      },
    },
    async (req) => {
      const session = requireSession(ctx.session, 'the model registry');
      const model = (await session.models.list()).find((m) => m.name === req.params.name);
      if (!model) throw new LockstepError('E_NOT_FOUND', `no registered model named "${req.params.name}"`);
      return { model: toDisplay(model), versions: toDisplay(await session.models.versions(model.name)) as unknown[] };
    },
  );
}
