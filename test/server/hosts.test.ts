// DNS rebinding and cross-site writes (Host and Origin checks), the security
// headers, and tokens on `lockstep serve` off loopback.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { createServeApp } from '../../src/serve/app.ts';
import { boundNames } from '../../src/server/hosts.ts';
import { createServer } from '../../src/server/index.ts';
import { backends, runCli, tempDir } from '../helpers.ts';
import { irisSession, SETOSA } from '../serve/fixture.ts';

const [sqlite] = backends();

describe('Host and Origin checks on the tracking server', async () => {
  const session = await createSession(join(tempDir(), 'h.db'));
  after(() => session.close());
  const app = await createServer({ session, uiRoot: false });
  after(() => app.close());

  it('answers only to the names it is bound to, so DNS rebinding fails', async () => {
    for (const host of ['attacker.example', 'attacker.example:5000', 'localhost.attacker.example']) {
      const res = await app.inject({ url: '/api/v1/experiments', headers: { host } });
      assert.equal(res.statusCode, 421, host);
      assert.equal(res.json().error.code, 'E_HOST');
    }
    const mlflow = await app.inject({
      url: '/api/2.0/mlflow/experiments/search',
      method: 'POST',
      payload: {},
      headers: { host: 'rebound.example:5000' },
    });
    assert.equal(mlflow.statusCode, 421);
    for (const host of ['localhost:5000', '127.0.0.1:5000', '[::1]:5000', 'LOCALHOST']) {
      const res = await app.inject({ url: '/api/v1/experiments', headers: { host } });
      assert.equal(res.statusCode, 200, host);
    }
  });

  it('refuses writes from another site, allows its own origin and clients without Origin', async () => {
    const create = (origin?: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/experiments',
        payload: { name: `e${Math.random().toString(36).slice(2, 8)}` },
        headers: { host: '127.0.0.1:5000', ...(origin ? { origin } : {}) },
      });
    for (const origin of ['https://evil.example', 'null', 'http://localhost.evil.example:5000']) {
      const res = await create(origin);
      assert.equal(res.statusCode, 403, origin);
      assert.equal(res.json().error.code, 'E_ORIGIN');
    }
    assert.equal((await session.listExperiments()).length, 0);
    assert.equal((await create('http://127.0.0.1:5000')).statusCode, 201);
    assert.equal((await create()).statusCode, 201);
    // reads are not writes: a foreign Origin gets an answer without CORS headers, which the browser hides
    const read = await app.inject({
      url: '/api/v1/experiments',
      headers: { host: 'localhost', origin: 'https://evil.example' },
    });
    assert.equal(read.statusCode, 200);
    assert.equal(read.headers['access-control-allow-origin'], undefined);
  });

  it('answers to names given with allowedHosts, and to its interfaces when bound to 0.0.0.0', async () => {
    const named = await createServer({ session, uiRoot: false, allowedHosts: ['ml.example.org'] });
    const ok = await named.inject({ url: '/api/v1/health', headers: { host: 'ml.example.org:443' } });
    const other = await named.inject({ url: '/api/v1/health', headers: { host: 'ml2.example.org' } });
    await named.close();
    assert.equal(ok.statusCode, 200);
    assert.equal(other.statusCode, 421);
    const wide = boundNames('0.0.0.0');
    assert.ok(wide.includes(hostname().toLowerCase()));
    assert.ok(wide.includes('127.0.0.1'));
    assert.deepEqual(boundNames('10.1.2.3').includes('10.1.2.3'), true);
    assert.equal(boundNames('10.1.2.3').includes(hostname().toLowerCase()), false);
  });

  it('sends security headers, and a malformed cookie or path is a 4xx', async () => {
    const api = await app.inject({ url: '/api/v1/experiments' });
    assert.match(String(api.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(api.headers['x-content-type-options'], 'nosniff');
    assert.equal(api.headers['referrer-policy'], 'no-referrer');
    const page = await app.inject({ url: '/experiments' });
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    const path = await app.inject({ url: '/%E0%A4%A' });
    assert.equal(path.statusCode, 400);
    const guarded = await createServer({ session, uiRoot: false, tokens: { read: ['read-token-123456'] } });
    const cookie = await guarded.inject({ url: '/api/v1/experiments', headers: { cookie: 'lockstep_token=%E0%A4%A' } });
    await guarded.close();
    assert.equal(cookie.statusCode, 401);
  });
});

describe('lockstep serve: tokens off loopback, Host check', () => {
  it('needs a read-write token to retrain or empty the cache, a read token to predict', async (t) => {
    const fx = await irisSession(sqlite as NonNullable<typeof sqlite>);
    if (!fx) return t.skip('no backend');
    const app = await createServeApp({
      session: fx.session,
      uri: 'models:/iris@champion',
      tokens: { read: ['read-token-123456'], write: ['write-token-123456'] },
    });
    try {
      const as = (token?: string) => (token ? { authorization: `Bearer ${token}` } : {});
      const retrain = { folds: 2, force: true };
      for (const [token, status] of [
        [undefined, 401],
        ['wrong-token-123456', 401],
        ['read-token-123456', 403],
      ] as const) {
        const r = await app.inject({ method: 'POST', url: '/retrain', payload: retrain, headers: as(token) });
        assert.equal(r.statusCode, status, `retrain with ${token}`);
        const c = await app.inject({ method: 'DELETE', url: '/cache', headers: as(token) });
        assert.equal(c.statusCode, status, `cache delete with ${token}`);
      }
      const versions = await fx.session.models.versions('iris');
      assert.equal(versions.length, 1, 'no retrain happened');
      const noToken = await app.inject({ method: 'POST', url: '/predict', payload: SETOSA });
      assert.equal(noToken.statusCode, 401);
      const predicted = await app.inject({
        method: 'POST',
        url: '/predict',
        payload: SETOSA,
        headers: as('read-token-123456'),
      });
      assert.equal(predicted.statusCode, 200, predicted.body);
      const cleared = await app.inject({ method: 'DELETE', url: '/cache', headers: as('write-token-123456') });
      assert.equal(cleared.statusCode, 200);
      const health = await app.inject({ url: '/health' });
      assert.equal(health.statusCode, 200);
      const rebound = await app.inject({ url: '/health', headers: { host: 'attacker.example:8000' } });
      assert.equal(rebound.statusCode, 421);
    } finally {
      await app.close();
      await fx.session.close();
    }
  });

  it('refuses to listen beyond loopback without a token', async () => {
    const out = await runCli(['serve', 'models:/iris@champion', '--host', '0.0.0.0', '--db', join(tempDir(), 'x.db')]);
    assert.equal(out.code, 2);
    assert.match(out.stderr, /needs a token/);
  });
});
