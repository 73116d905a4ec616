// A browser opening a token-protected server: a sign-in form instead of a raw
// 401 JSON page; the form's token becomes the HttpOnly cookie and the browser
// goes back to the page it asked for. API clients keep their JSON 401.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSession } from '../../src/index.ts';
import { createServer } from '../../src/server/index.ts';
import { tempDir } from '../helpers.ts';

const TOKEN = 'sign-in-token-0123456789';
const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const form = (fields: Record<string, string>) => ({
  'content-type': 'application/x-www-form-urlencoded',
  payload: new URLSearchParams(fields).toString(),
});

describe('signing in from a browser', async () => {
  const dir = tempDir('lockstep-signin-');
  const ui = join(dir, 'ui');
  mkdirSync(ui);
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>the UI</title>');
  const session = await createSession(join(dir, 'db.sqlite'));
  const app = await createServer({ session, tokens: { write: [TOKEN] }, uiRoot: ui });
  after(async () => {
    await app.close();
    await session.close();
  });
  const signIn = async (fields: Record<string, string>, headers: Record<string, string> = {}) => {
    const { payload, ...h } = form(fields);
    return app.inject({ method: 'POST', url: '/signin', headers: { ...h, ...headers }, payload });
  };

  it('asks a browser for the token on a page load, and API clients with JSON', async () => {
    const page = await app.inject({ url: '/experiments/iris?sort=acc', headers: HTML });
    assert.equal(page.statusCode, 401);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<form method="post" action="\/signin">/);
    assert.match(page.body, /name="next" value="\/experiments\/iris\?sort=acc"/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.doesNotMatch(page.body, /<script/);
    const api = await app.inject({ url: '/api/v1/experiments', headers: HTML });
    assert.equal(api.statusCode, 401);
    assert.equal(api.json().error.code, 'E_UNAUTHORIZED');
    const plain = await app.inject({ url: '/' });
    assert.equal(plain.statusCode, 401, 'a client that does not ask for HTML gets JSON');
    assert.equal(plain.json().error.code, 'E_UNAUTHORIZED');
  });

  it('turns a valid token into the cookie and goes back to the page', async () => {
    const wrong = await signIn({ token: 'not-the-token', next: '/experiments/iris' });
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body, /That token is not valid/);
    assert.equal(wrong.headers['set-cookie'], undefined);
    const ok = await signIn({ token: TOKEN, next: '/experiments/iris?sort=acc' });
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/experiments/iris?sort=acc');
    const cookie = String(ok.headers['set-cookie']);
    assert.match(cookie, /^lockstep_token=.+; HttpOnly; SameSite=Strict; Path=\//);
    const page = await app.inject({
      url: '/experiments/iris',
      headers: { ...HTML, cookie: cookie.split(';')[0] as string },
    });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /the UI/);
    // a stale cookie gets the form again, saying why
    const stale = await app.inject({ url: '/', headers: { ...HTML, cookie: 'lockstep_token=old-token-000000' } });
    assert.equal(stale.statusCode, 401);
    assert.match(stale.body, /That token is not valid/);
  });

  it('goes back only to a page of this server, without a token in its URL, and escapes it', async () => {
    for (const [next, to] of [
      ['//evil.example/x', '/'],
      ['https://evil.example/', '/'],
      ['/\\evil.example', '/'],
      ['/runs?token=abc&x=1', '/runs?x=1'],
    ]) {
      const res = await signIn({ token: TOKEN, next: next as string });
      assert.equal(res.headers.location, to, next);
    }
    const page = await app.inject({ url: '/"><img src=x onerror=alert(1)>', headers: HTML });
    assert.doesNotMatch(page.body, /<img src=x/);
  });

  it('refuses a sign-in posted from another site', async () => {
    const res = await signIn({ token: TOKEN, next: '/' }, { origin: 'https://evil.example' });
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers['set-cookie'], undefined);
  });
});
