import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { paramsKey } from '../../core/identity.ts';
import { isLockstepError } from '../../errors.ts';
import { parseFilter, queryRuns, setTags } from '../../search/index.ts';
import { deleteTag } from '../../search/tags.ts';
import type { RunRecord } from '../../store/store.ts';
import type { ServerContext, Typed } from '../context.ts';
import { requireRun } from '../native/shared.ts';
import { runInfo, runMessages } from './convert.ts';
import {
  DEFAULT_ID,
  DELETED_TAG,
  experimentById,
  invalid,
  isVirtual,
  RUN_NAME_TAG,
  type RunLocator,
  requireActiveExperiment,
  toLockstepStatus,
  USER_TAG,
} from './ids.ts';
import { decodeToken, encodeToken } from './paging.ts';
import { Int64, Millis, RunRef, RunStatus, Tag, ViewType } from './schemas.ts';
import { mlflowFilter, mlflowSort, statusOverride } from './search.ts';

export function registerMlflowRuns(app: Typed, { store }: ServerContext, runs: RunLocator): void {
  const load = async (ref: { run_id?: string | undefined; run_uuid?: string | undefined }, active = false) => {
    const runId = ref.run_id ?? ref.run_uuid;
    const exp = active ? await runs.locateActive(runId) : await runs.locate(runId);
    return { exp, run: await requireRun(store, exp, runId as string) };
  };
  const write = (exp: Parameters<typeof store.writeRuns>[0], run: RunRecord) =>
    store.writeRuns(exp, [{ ...run, metrics: [], replaceMetrics: false }]);

  app.post(
    '/runs/create',
    {
      schema: {
        tags: ['mlflow'],
        body: z.object({
          experiment_id: z.string().optional(),
          user_id: z.string().max(1000).optional(),
          start_time: Millis.optional(),
          tags: z.array(Tag).max(1000).optional(),
          run_name: z.string().max(1000).optional(),
        }),
      },
    },
    async (req) => {
      const b = req.body;
      const exp = requireActiveExperiment(await experimentById(store, b.experiment_id || DEFAULT_ID));
      const id = randomUUID().replaceAll('-', '');
      const tags: Record<string, string> = {};
      for (const t of b.tags ?? []) tags[t.key] = t.value;
      const name = b.run_name || tags[RUN_NAME_TAG] || `run-${id.slice(0, 8)}`;
      tags[RUN_NAME_TAG] = name;
      if (b.user_id) tags[USER_TAG] = b.user_id;
      const run: RunRecord = {
        id,
        status: 'running',
        startedAt: new Date(b.start_time ?? Date.now()),
        endedAt: null,
        error: null,
        errorStack: null,
        paramsKey: paramsKey({}),
        config: {},
        params: {},
        fields: {},
      };
      await write(exp, run);
      await setTags(store.driver, exp.id, id, tags);
      runs.remember(id, exp);
      const [message] = await runMessages(store, exp, [run]);
      return { run: message };
    },
  );

  app.get('/runs/get', { schema: { tags: ['mlflow'], querystring: RunRef } }, async (req) => {
    const { exp, run } = await load(req.query);
    const [message] = await runMessages(store, exp, [run]);
    return { run: message };
  });

  app.post(
    '/runs/update',
    {
      schema: {
        tags: ['mlflow'],
        body: RunRef.extend({
          status: RunStatus.optional(),
          end_time: Millis.optional(),
          run_name: z.string().max(1000).optional(),
        }),
      },
    },
    async (req) => {
      const { exp, run } = await load(req.body, true);
      const b = req.body;
      if (b.status) {
        run.status = toLockstepStatus(b.status);
        if (b.status === 'KILLED') run.error = 'KILLED';
      }
      if (b.end_time !== undefined) run.endedAt = new Date(b.end_time);
      await write(exp, run);
      if (b.run_name) await setTags(store.driver, exp.id, run.id, { [RUN_NAME_TAG]: b.run_name });
      const [message] = await runMessages(store, exp, [run]);
      return { run_info: message?.info ?? runInfo(exp, run, {}) };
    },
  );

  const lifecycle = async (ref: z.infer<typeof RunRef>, deleted: boolean) => {
    const { exp, run } = await load(ref);
    if (deleted) await setTags(store.driver, exp.id, run.id, { [DELETED_TAG]: 'true' });
    else await deleteTag(store.driver, exp.id, run.id, DELETED_TAG);
    return {};
  };
  app.post('/runs/delete', { schema: { tags: ['mlflow'], body: RunRef } }, async (req) => lifecycle(req.body, true));
  app.post('/runs/restore', { schema: { tags: ['mlflow'], body: RunRef } }, async (req) => lifecycle(req.body, false));

  const SearchBody = z.object({
    experiment_ids: z.union([z.array(z.string()), z.string()]).optional(),
    filter: z.string().max(10_000).optional(),
    run_view_type: ViewType.optional(),
    max_results: Int64.optional(),
    order_by: z.union([z.array(z.string()), z.string()]).optional(),
    page_token: z.string().optional(),
  });
  const search = async (q: z.infer<typeof SearchBody>) => {
    const max = q.max_results ?? 1000;
    if (max < 1 || max > 50_000)
      throw invalid(`Invalid value ${max} for parameter 'max_results' supplied. It must be at most 50000`);
    const ids = typeof q.experiment_ids === 'string' ? [q.experiment_ids] : (q.experiment_ids ?? []);
    const view = q.run_view_type ?? 'ACTIVE_ONLY';
    const lifecycle =
      view === 'ALL' ? null : parseFilter(`tags.\`${DELETED_TAG}\` IS ${view === 'ACTIVE_ONLY' ? '' : 'NOT '}NULL`);
    const given = typeof q.order_by === 'string' ? [q.order_by] : (q.order_by ?? []);
    // MLflow's default is the newest run first
    const sorts = (given.length ? given : ['attributes.start_time DESC']).map(mlflowSort);
    // Several experiments are searched one after the other; the page token counts across them.
    let skip = decodeToken(q.page_token);
    const start = skip;
    const out = [];
    let total = 0;
    for (const id of ids) {
      const exp = await experimentById(store, id, 'read');
      if (isVirtual(exp)) continue;
      const expr = await mlflowFilter(q.filter, store.driver, exp.id);
      const filter = expr && lifecycle ? { type: 'and' as const, left: expr, right: lifecycle } : (expr ?? lifecycle);
      try {
        const want = Math.max(0, max - out.length);
        const res = await queryRuns(store, exp, {
          filter,
          sorts,
          override: statusOverride,
          offset: skip,
          limit: Math.min(want, 10_000),
          metrics: false,
        });
        total += res.total ?? 0;
        skip = Math.max(0, skip - (res.total ?? 0));
        if (res.rows.length) {
          const records = await store.readRuns(exp, { runIds: res.rows.map((r) => r.run_id as string) });
          const byId = new Map(records.map((r) => [r.id, r]));
          const ordered = res.rows.map((r) => byId.get(r.run_id as string)).filter((r): r is RunRecord => !!r);
          out.push(...(await runMessages(store, exp, ordered)));
        }
      } catch (e) {
        if (isLockstepError(e, 'E_INPUT')) throw invalid(e.message);
        throw e;
      }
    }
    const next = start + out.length;
    return { runs: out, ...(next < total && out.length > 0 ? { next_page_token: encodeToken(next) } : {}) };
  };
  app.post(
    '/runs/search',
    { config: { access: 'read' }, schema: { tags: ['mlflow'], body: SearchBody } },
    async (req) => search(req.body),
  );
  app.get('/runs/search', { schema: { tags: ['mlflow'], querystring: SearchBody } }, async (req) => search(req.query));
}
