import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ArtifactHub } from '../../artifacts/hub.ts';
import type { ServerContext, Typed } from '../context.ts';
import { HttpError } from '../errors.ts';
import { type ArtifactTarget, listLevel, resolveTarget, safePath } from './artifact-paths.ts';
import { notFound, type RunLocator } from './ids.ts';
import type { LoggedModels } from './logged-models.ts';

/** The blob store behind the proxy: the server's session's, set up on first use. */
export async function hubOf(ctx: ServerContext): Promise<ArtifactHub> {
  if (!ctx.session)
    throw new HttpError(503, 'E_UNAVAILABLE', 'artifacts need a server started with a session (lockstep ui has one)', {
      mlflowCode: 'TEMPORARILY_UNAVAILABLE',
    });
  const hub = ctx.session.artifactHub;
  await hub.ctx.init();
  return hub;
}

const UNSUPPORTED_MPU = 'Multipart upload is not supported for the current artifact repository';

/**
 * MLflow's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts/…`), which
 * `mlflow.log_artifact`, `list_artifacts` and `download_artifacts` use for
 * `mlflow-artifacts:` URIs, over lockstep's content-addressed blob store:
 * uploads and downloads stream (a file is never held in memory), paths are
 * checked as MLflow checks them, and the size limit of the blob store holds
 * (`LOCKSTEP_MAX_ARTIFACT_BYTES`). Where blobs live is `lockstep ui
 * --artifacts-destination` (MLflow's option of that name).
 */
export function registerMlflowArtifacts(
  app: FastifyInstance,
  ctx: ServerContext,
  runs: RunLocator,
  models: LoggedModels,
): void {
  // bodies are raw bytes of any content type, read by the handler as a stream
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  const typed = app as Typed;

  const target = async (raw: string): Promise<{ hub: ArtifactHub; t: ArtifactTarget }> => {
    const hub = await hubOf(ctx);
    const t = await resolveTarget(ctx, runs, safePath(raw), async (id) => {
      const m = await models.find(id);
      return m && { experimentId: m.experimentId, root: m.artifactLocation };
    });
    return { hub, t };
  };
  const filesOf = (hub: ArtifactHub, t: ArtifactTarget) =>
    t.kind === 'run' ? hub.artifacts.allFiles(t.runId) : hub.ctx.readFiles(t.owner);

  typed.get(
    '/artifacts',
    { schema: { tags: ['mlflow'], querystring: z.object({ path: z.string().optional() }) } },
    async (req) => {
      const path = safePath(req.query.path ?? '');
      if (path === '') return { files: [] };
      const { hub, t } = await target(path);
      const files = listLevel(await filesOf(hub, t), t.path);
      // the proxy answers names relative to the listed directory
      return { files: files.map((f) => ({ ...f, path: f.path.split('/').pop() as string })) };
    },
  );

  typed.get('/artifacts/*', { schema: { tags: ['mlflow'], hide: true } }, async (req, reply) => {
    const { hub, t } = await target(wildcard(req));
    const file = (await filesOf(hub, t)).find((f) => f.path === t.path);
    if (!file) throw notFound(`No artifact at '${t.path}'`);
    const name = (t.path.split('/').pop() ?? 'artifact').replace(/["\\\r\n]/g, '_');
    reply.header('content-disposition', `attachment; filename="${name}"`);
    reply.header('content-length', String(file.size));
    return reply.type('application/octet-stream').send(await hub.ctx.openBlob(file.digest));
  });

  typed.put('/artifacts/*', { schema: { tags: ['mlflow'], hide: true } }, async (req) => {
    const { hub, t } = await target(wildcard(req));
    if (t.path === '') throw new HttpError(400, 'E_INPUT', 'Invalid path', { mlflowCode: 'INVALID_PARAMETER_VALUE' });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > hub.ctx.maxBytes)
      throw new HttpError(
        413,
        'E_TOO_LARGE',
        `artifact '${t.path}' is ${declared} bytes, over the limit of ${hub.ctx.maxBytes} (LOCKSTEP_MAX_ARTIFACT_BYTES)`,
        { mlflowCode: 'INVALID_PARAMETER_VALUE' },
      );
    if (t.kind === 'run') await hub.artifacts.logStream(t.exp.id, t.runId, t.path, req.raw);
    else if (!t.writable)
      throw new HttpError(400, 'E_INPUT', `'${t.path}' belongs to a registered model version, which is read-only`, {
        mlflowCode: 'INVALID_PARAMETER_VALUE',
      });
    else await models.putFile(hub, t.owner, t.path, req.raw);
    return {};
  });

  typed.delete('/artifacts/*', { schema: { tags: ['mlflow'], hide: true } }, async (req) => {
    const { hub, t } = await target(wildcard(req));
    if (t.kind === 'run') await hub.artifacts.remove(t.runId, t.path);
    else if (t.writable) await models.removeFiles(t.owner, t.path);
    else
      throw new HttpError(400, 'E_INPUT', 'registered model versions are read-only', {
        mlflowCode: 'INVALID_PARAMETER_VALUE',
      });
    return {};
  });

  // multipart uploads are MLflow's way to cloud storage; its client falls back to one PUT on this message
  for (const step of ['create', 'complete', 'abort'])
    typed.post(`/mpu/${step}/*`, { schema: { hide: true } }, async (_req, reply: FastifyReply) =>
      reply.code(501).send({ error_code: 'NOT_IMPLEMENTED', message: UNSUPPORTED_MPU }),
    );
}

function wildcard(req: FastifyRequest): string {
  return (req.params as { '*': string })['*'];
}
