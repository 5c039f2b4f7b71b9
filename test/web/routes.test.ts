import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../server/helpers.js';
import { csrfOf, webHarness, type Browser, type WebHarness } from './harness.js';

// The web routes over HTTP, in process: what a browser can and cannot do with them.

let dir: TempDir;
let h: WebHarness;
beforeEach(async () => {
  dir = tempDir('gate-web-');
  h = await webHarness(dir.path);
});
afterEach(() => {
  h.close();
  dir.cleanup();
});

const K8S = ['kubectl', 'delete', 'ns', 'payments'];
const eventCount = (id: string): number => h.store.eventsAfter(id, 0).length;

async function signedIn(name: string): Promise<Browser> {
  const b = h.browser();
  const res = await b.signIn(h.tokens[name]!);
  expect(res.status, res.text).toBe(303);
  return b;
}

/** POSTs a decision form from the request page, with the page's own CSRF token. */
async function decide(b: Browser, id: string, action: string, fields: Record<string, string> = {}) {
  const page = await b.get(`/requests/${id}`);
  return b.post(`/requests/${id}/${action}`, { csrf: csrfOf(page.text), ...fields });
}

describe('signing in', () => {
  it('sets an HttpOnly, SameSite=Lax, Secure (https public URL) session cookie on path /', async () => {
    const b = h.browser();
    const res = await b.signIn(h.tokens.alice!, '/requests');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/requests');
    const session = res.cookies.find((c) => c.startsWith('gate_session='))!;
    expect(session).toMatch(/^gate_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=86400; Secure$/);
    expect(h.logs).toContain('web: alice signed in (token)');
    expect(h.logs.join('\n')).not.toContain(h.tokens.alice!);
    const list = await b.get('/requests');
    expect(list.status).toBe(200);
    expect(list.text).toContain('Signed in as <strong>alice</strong>');
  });

  it('omits Secure on a plain-http public URL, unless the request came over TLS at a proxy', async () => {
    const plainDir = tempDir('gate-web-http-');
    const plain = await webHarness(plainDir.path, 'http://127.0.0.1:8787');
    try {
      const res = await plain.browser().signIn(plain.tokens.alice!);
      expect(res.cookies.find((c) => c.startsWith('gate_session='))).not.toContain('Secure');
      const form = await plain.browser().get('/signin', { 'x-forwarded-proto': 'https' });
      expect(form.cookies.find((c) => c.startsWith('gate_signin='))).toMatch(/; Secure$/);
    } finally {
      plain.close();
      plainDir.cleanup();
    }
  });

  it('behind a proxy under a sub-path, links, redirects and cookie paths carry the prefix', async () => {
    const subDir = tempDir('gate-web-sub-');
    const sub = await webHarness(subDir.path, 'https://gate.example/gate');
    try {
      const b = sub.browser();
      const first = await b.get('/requests');
      expect(first.headers.get('location')).toBe('/gate/signin?next=%2Fgate%2Frequests');
      const form = await b.get('/signin?next=%2Fgate%2Frequests');
      expect(form.text).toContain('<link rel="stylesheet" href="/gate/static/gate.css">');
      expect(form.text).toContain('action="/gate/signin"');
      expect(form.cookies[0]).toContain('Path=/gate/signin');
      const res = await b.post('/signin', { csrf: csrfOf(form.text, '/gate/signin'), token: sub.tokens.alice!, next: '/gate/requests' });
      expect(res.headers.get('location')).toBe('/gate/requests');
      expect(res.cookies.find((c) => c.startsWith('gate_session='))).toContain('Path=/gate;');
    } finally {
      sub.close();
      subDir.cleanup();
    }
  });

  it.each([
    ['an agent', 'bot', 'bot is an agent principal: only people sign in to approve'],
    ['a CI', 'runner', 'runner is a CI principal: only people sign in to approve'],
  ])('refuses %s token: no session', async (_, name, message) => {
    const b = h.browser();
    const res = await b.signIn(h.tokens[name]!);
    expect(res.status).toBe(403);
    expect(res.text).toContain(message);
    expect(b.jar.has('gate_session')).toBe(false);
    expect((await b.get('/requests')).status).toBe(303);
  });

  it('refuses an unknown token, and a sign-in form without its matching secret', async () => {
    const b = h.browser();
    const res = await b.signIn('gate_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(res.status).toBe(401);
    expect(res.text).toContain('That token is not valid');
    await b.get('/signin');
    const forged = await b.post('/signin', { csrf: 'x'.repeat(43), token: h.tokens.alice!, next: '/requests' });
    expect(forged.status).toBe(400);
    expect(b.jar.has('gate_session')).toBe(false);
  });

  it('returns only to our own request pages after signing in (no open redirect)', async () => {
    for (const next of ['https://evil.example/', '//evil.example/requests', '/requests/../v1/key', '/requests/req_abc?x=1']) {
      const res = await h.browser().signIn(h.tokens.alice!, next);
      expect(res.headers.get('location'), next).toBe('/requests');
    }
    expect((await h.browser().signIn(h.tokens.alice!, '/requests/req_abc')).headers.get('location')).toBe('/requests/req_abc');
  });

  it('sends a signed-out visitor to sign in and back to the page they opened', async () => {
    const r = await h.create(K8S);
    const b = h.browser();
    const res = await b.get(`/requests/${r.id}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/signin?next=${encodeURIComponent(`/requests/${r.id}`)}`);
    const signin = await b.signIn(h.tokens.bob!, `/requests/${r.id}`);
    expect(signin.headers.get('location')).toBe(`/requests/${r.id}`);
  });

  it('signing out ends the session on the server, not only in the browser', async () => {
    const b = await signedIn('alice');
    const stolen = b.jar.get('gate_session')!;
    const page = await b.get('/requests');
    const out = await b.post('/signout', { csrf: csrfOf(page.text) });
    expect(out.status).toBe(303);
    expect(out.cookies.find((c) => c.startsWith('gate_session='))).toContain('Max-Age=0');
    const replay = h.browser();
    replay.jar.set('gate_session', stolen);
    expect((await replay.get('/requests')).status).toBe(303);
  });

  it('a session ends after 12 hours idle, and when its principal is revoked', async () => {
    const b = await signedIn('alice');
    h.clock.advance(11 * 3600);
    expect((await b.get('/requests')).status).toBe(200);
    h.clock.advance(11 * 3600);
    expect((await b.get('/requests')).status).toBe(200);
    h.clock.advance(12 * 3600 + 1);
    expect((await b.get('/requests')).status).toBe(303);

    const c = await signedIn('bob');
    h.store.revokePrincipal('bob', h.clock.now().toISOString());
    expect((await c.get('/requests')).status).toBe(303);
  });
});

describe('pages', () => {
  it('every page carries the security headers and is never cached', async () => {
    const b = await signedIn('alice');
    const r = await h.create(K8S);
    for (const path of ['/signin', '/requests', `/requests/${r.id}`]) {
      const res = await (path === '/signin' ? h.browser() : b).get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy')).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(res.text).not.toMatch(/\sstyle=|<style/);
    }
    const js = await b.get('/static/gate.js');
    expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await b.get('/static/gate.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('opening a request changes nothing: not for an approver, not signed out, not by a link scanner', async () => {
    const r = await h.create(K8S);
    const before = eventCount(r.id);
    const b = await signedIn('bob');
    for (let i = 0; i < 3; i++) expect((await b.get(`/requests/${r.id}`)).status).toBe(200);
    await h.browser().get(`/requests/${r.id}`);
    await h.browser().get(`/requests/${r.id}/approve`);
    await b.get(`/requests/${r.id}/approve`);
    expect(eventCount(r.id)).toBe(before);
    expect(h.store.getRequest(r.id)!.status).toBe('pending');
  });

  it('lists what the viewer may decide and their own requests, apart', async () => {
    const mine = await h.create(['kubectl', 'delete', 'ns', 'mine'], 'alice');
    const theirs = await h.create(K8S);
    const db = await h.create(['psql', '-c', 'drop table t']);
    const bob = await (await signedIn('bob')).get('/requests');
    expect(bob.text).toContain(`/requests/${theirs.id}`);
    expect(bob.text).toContain(`/requests/${mine.id}`);
    expect(bob.text).not.toContain(`/requests/${db.id}`);
    const alice = await (await signedIn('alice')).get('/requests');
    const own = alice.text.slice(alice.text.indexOf('id="own"'));
    expect(own).toContain(`/requests/${mine.id}`);
    expect(own).not.toContain(`/requests/${theirs.id}`);
    expect(alice.text.slice(0, alice.text.indexOf('id="own"'))).toContain(`/requests/${db.id}`);
  });

  it('shows hostile request content as text, never as markup', async () => {
    const r = await h.create(['kubectl', 'delete', 'ns', '<script>alert(1)</script>', 'x\u202egnp.exe', 'a\nb'], 'bot', {
      reason: '<img src=x onerror=alert(2)> "quoted"',
      custom: { ticket: '<b>INC-1</b>' },
    });
    const page = (await (await signedIn('bob')).get(`/requests/${r.id}`)).text;
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>INC-1');
    expect(page).not.toContain('\u202e');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('x\\u202egnp.exe');
    expect(page).toContain('&lt;img src=x onerror=alert(2)&gt; &quot;quoted&quot;');
  });

  it('answers an unknown request with 404 and a request the viewer may not see with 403', async () => {
    const r = await h.create(K8S);
    const dev = await signedIn('dev');
    expect((await dev.get('/requests/req_aaaaaaaaaaaaaaaaaaaa')).status).toBe(404);
    const hidden = await dev.get(`/requests/${r.id}`);
    expect(hidden.status).toBe(403);
    expect(hidden.text).toContain('dev is neither the requester nor an approver');
  });
});

describe('deciding', () => {
  it('approves with a comment through the form; the vote is recorded with channel web', async () => {
    const r = await h.create(K8S);
    const b = await signedIn('bob');
    const res = await decide(b, r.id, 'approve', { comment: 'ok <fine>' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/requests/${r.id}?done=approved`);
    const stored = h.store.getRequest(r.id)!;
    expect(stored.status).toBe('approved');
    expect(stored.approvals).toMatchObject([{ approver: 'bob', channel: 'web', comment: 'ok <fine>' }]);
    const page = await b.get(`/requests/${r.id}?done=approved`);
    expect(page.text).toContain('Your approval is recorded.');
    expect(page.text).toContain('approved via web');
    expect(page.text).not.toContain('action="/requests/' + r.id + '/approve"');
  });

  describe('forged posts are refused and change nothing', () => {
    /** Bob's browser on a pending request's page, and a raw POST with exactly the given headers. */
    async function setup() {
      const r = await h.create(K8S);
      const b = await signedIn('bob');
      const csrf = csrfOf((await b.get(`/requests/${r.id}`)).text);
      const raw = async (fields: Record<string, string>, headers: Record<string, string>) => {
        const res = await h.app.request(`${h.origin}/requests/${r.id}/approve`, {
          method: 'POST',
          headers: { cookie: `gate_session=${b.jar.get('gate_session')}`, 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams(fields).toString(),
        });
        return { status: res.status, text: await res.text() };
      };
      const unchanged = (): void => expect(h.store.getRequest(r.id)!.approvals).toEqual([]);
      return { r, b, csrf, raw, unchanged };
    }

    it('without a CSRF token, or with a wrong one, or with another session\'s', async () => {
      const { r, b, unchanged } = await setup();
      const other = csrfOf((await (await signedIn('alice')).get(`/requests/${r.id}`)).text);
      for (const fields of [{}, { csrf: 'A'.repeat(43) }, { csrf: other }] as Record<string, string>[]) {
        const res = await b.post(`/requests/${r.id}/approve`, fields);
        expect(res.status).toBe(403);
        expect(res.text).toContain('nothing was changed');
      }
      unchanged();
    });

    it('from another site, even with the right token (Sec-Fetch-Site, else Origin)', async () => {
      const { csrf, raw, unchanged } = await setup();
      expect((await raw({ csrf }, { 'sec-fetch-site': 'cross-site', origin: h.origin })).status).toBe(403);
      expect((await raw({ csrf }, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
      expect((await raw({ csrf }, { origin: 'https://evil.example' })).status).toBe(403);
      expect((await raw({ csrf }, { origin: 'null' })).status).toBe(403);
      unchanged();
    });

    it('but takes our own form: same-origin fetch metadata with Origin null (Chromium under no-referrer), or no headers at all', async () => {
      const { csrf, raw } = await setup();
      expect((await raw({ csrf }, { 'sec-fetch-site': 'same-origin', origin: 'null' })).status).toBe(303);
      const second = await setup();
      expect((await second.raw({ csrf: second.csrf }, {})).status).toBe(303);
    });
  });

  it('the requester, signed in, is not offered the buttons and cannot approve their own request', async () => {
    const r = await h.create(K8S, 'alice');
    const b = await signedIn('alice');
    const page = await b.get(`/requests/${r.id}`);
    expect(page.text).toContain('You asked for this command, so someone else must decide it.');
    expect(page.text).not.toContain(`action="/requests/${r.id}/approve"`);
    const res = await b.post(`/requests/${r.id}/approve`, { csrf: csrfOf(page.text) });
    expect(res.status).toBe(403);
    expect(res.text).toContain('alice asked for this command and cannot decide it');
    expect(h.store.getRequest(r.id)!.status).toBe('pending');
  });

  it('says why a viewer cannot decide (an agent acts for them) instead of offering buttons', async () => {
    const r = await h.create(K8S, 'bot', { on_behalf_of: 'bob' });
    const b = await signedIn('bob');
    const page = await b.get(`/requests/${r.id}`);
    expect(page.text).toContain('You cannot decide this request: bot acts on behalf of bob, so bob cannot decide it');
    expect(page.text).not.toContain(`action="/requests/${r.id}/approve"`);
    const res = await b.post(`/requests/${r.id}/approve`, { csrf: csrfOf(page.text) });
    expect(res.status).toBe(403);
    expect(h.store.getRequest(r.id)!.approvals).toEqual([]);
  });

  it('counts a quorum vote by vote: after one of two, the page says what it still waits for', async () => {
    const r = await h.create(['psql', '-c', 'drop table t']);
    // bob (sre) may not even see a dba request; carol and alice (dba) may.
    expect((await (await signedIn('bob')).get(`/requests/${r.id}`)).status).toBe(403);
    const carol = await signedIn('carol');
    expect((await decide(carol, r.id, 'approve')).status).toBe(303);
    const again = await carol.get(`/requests/${r.id}`);
    expect(again.text).toContain('You approved this request; it waits for 1 of 2 approvals from dba.');
    expect((await carol.post(`/requests/${r.id}/approve`, { csrf: csrfOf(again.text) })).status).toBe(409);
    expect((await decide(await signedIn('alice'), r.id, 'approve')).status).toBe(303);
    expect(h.store.getRequest(r.id)!.status).toBe('approved');
  });

  it('a denial needs a reason; with one, the requester gets it verbatim', async () => {
    const r = await h.create(K8S);
    const b = await signedIn('bob');
    for (const reason of ['', '   \n ']) {
      const res = await decide(b, r.id, 'deny', { reason });
      expect(res.status).toBe(400);
      expect(res.text).toContain('A denial needs a reason');
      expect(h.store.getRequest(r.id)!.status).toBe('pending');
    }
    expect((await decide(b, r.id, 'deny', { reason: 'not during the freeze' })).status).toBe(303);
    expect(h.store.getRequest(r.id)!.denial).toMatchObject({ by: 'bob', reason: 'not during the freeze' });
    const seen = await h.api('GET', `/v1/requests/${r.id}`, 'bot');
    expect(seen.body.denial?.reason).toBe('not during the freeze');
  });

  it('asks the requester a question; the request stays pending', async () => {
    const r = await h.create(K8S);
    const b = await signedIn('bob');
    expect((await decide(b, r.id, 'ask', { question: '' })).status).toBe(400);
    expect((await decide(b, r.id, 'ask', { question: 'which ticket?' })).status).toBe(303);
    const stored = h.store.getRequest(r.id)!;
    expect([stored.status, stored.questions.map((q) => [q.by, q.question])]).toEqual(['pending', [['bob', 'which ticket?']]]);
  });

  it('a decided or expired request cannot be decided again', async () => {
    const r = await h.create(K8S);
    const b = await signedIn('bob');
    const page = await b.get(`/requests/${r.id}`);
    await h.api('POST', `/v1/requests/${r.id}/deny`, 'alice', { reason: 'no' });
    const late = await b.post(`/requests/${r.id}/approve`, { csrf: csrfOf(page.text) });
    expect(late.status).toBe(409);
    expect(late.text).toContain('already denied');

    const e = await h.create(K8S);
    const open = await b.get(`/requests/${e.id}`);
    h.clock.advance(31 * 60);
    const expired = await b.post(`/requests/${e.id}/approve`, { csrf: csrfOf(open.text) });
    expect(expired.status).toBe(409);
    expect(h.store.getRequest(e.id)!.status).toBe('expired');
  });
});

describe('re-authentication for high-risk rules (approval.reauth)', () => {
  it('asks for the token again once the sign-in is older than the window, then approves', async () => {
    const r = await h.create(['deploy', 'prod']);
    expect(r.requirement.reauth_seconds).toBe(600);
    const b = await signedIn('bob');
    h.clock.advance(9 * 60);
    let page = await b.get(`/requests/${r.id}`);
    expect(page.text).not.toContain('reauth-note');

    h.clock.advance(2 * 60);
    page = await b.get(`/requests/${r.id}`);
    expect(page.text).toContain('You signed in 11m ago; this request needs a sign-in within\n  10m');
    const asked = await b.post(`/requests/${r.id}/approve`, { csrf: csrfOf(page.text) });
    expect(asked.status).toBe(401);
    expect(asked.text).toContain('Sign in again to approve');
    expect(h.store.getRequest(r.id)!.approvals).toEqual([]);

    const again = await b.post('/signin', { csrf: csrfOf(asked.text, '/signin'), token: h.tokens.bob!, next: `/requests/${r.id}` });
    expect([again.status, again.headers.get('location')]).toEqual([303, `/requests/${r.id}`]);
    expect((await decide(b, r.id, 'approve')).status).toBe(303);
    expect(h.store.getRequest(r.id)!.status).toBe('approved');
  });

  it('does not apply to deny or ask, nor to rules without it; the API token counts as fresh', async () => {
    const b = await signedIn('bob');
    h.clock.advance(3600);
    const k8s = await h.create(K8S);
    expect((await decide(b, k8s.id, 'approve')).status).toBe(303);
    const deploy = await h.create(['deploy', 'prod']);
    expect((await decide(b, deploy.id, 'ask', { question: 'why now?' })).status).toBe(303);
    expect((await decide(b, deploy.id, 'deny', { reason: 'not now' })).status).toBe(303);
    const viaApi = await h.create(['deploy', 'prod']);
    expect((await h.api('POST', `/v1/requests/${viaApi.id}/approve`, 'alice', {})).body.status).toBe('approved');
  });
});

describe('one-time sign-in links', () => {
  const link = (name = 'alice', ttl = 600) => h.web.createLink(name, ttl, h.clock.now().getTime()).token;

  it('opening the link changes nothing; pressing its button signs in, once', async () => {
    const token = link();
    const scanner = h.browser();
    for (let i = 0; i < 3; i++) expect((await scanner.get(`/signin/link/${token}`)).status).toBe(200);
    const b = h.browser();
    const page = await b.get(`/signin/link/${token}`);
    expect(page.text).toContain(`action="/signin/link/${token}"`);
    const used = await b.post(`/signin/link/${token}`, { csrf: csrfOf(page.text) });
    expect([used.status, used.headers.get('location')]).toEqual([303, '/requests']);
    expect((await b.get('/requests')).text).toContain('Signed in as <strong>alice</strong>');
    expect(h.logs).toContain('web: alice signed in (one-time link)');

    const late = h.browser();
    const again = await late.get(`/signin/link/${token}`);
    const second = await late.post(`/signin/link/${token}`, { csrf: csrfOf(again.text) });
    expect(second.status).toBe(410);
    expect(second.text).toContain('already used');
    expect(late.jar.has('gate_session')).toBe(false);
  });

  it('expires, refuses forged form posts, and signs nobody in with a made-up token', async () => {
    const token = link('bob', 60);
    const b = h.browser();
    const page = await b.get(`/signin/link/${token}`);
    expect((await b.post(`/signin/link/${token}`, { csrf: 'A'.repeat(43) })).status).toBe(400);
    expect((await b.post(`/signin/link/${token}`, { csrf: csrfOf(page.text) }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    h.clock.advance(61);
    const expired = await b.post(`/signin/link/${token}`, { csrf: csrfOf(page.text) });
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('expired');
    const made = `${'B'.repeat(43)}`;
    expect((await b.post(`/signin/link/${made}`, { csrf: csrfOf(page.text) })).status).toBe(404);
    expect((await b.get('/signin/link/not-a-token')).status).toBe(404);
    expect(b.jar.has('gate_session')).toBe(false);
  });

  it('is only made for active humans, and a link of a since-revoked person signs nobody in', async () => {
    expect(() => link('bot')).toThrow(/bot is an agent principal/);
    expect(() => link('nobody')).toThrow(/no active principal named nobody/);
    const token = link('carol');
    h.store.revokePrincipal('carol', h.clock.now().toISOString());
    const b = h.browser();
    const page = await b.get(`/signin/link/${token}`);
    expect((await b.post(`/signin/link/${token}`, { csrf: csrfOf(page.text) })).status).toBe(404);
  });
});

describe('live parts', () => {
  it('serves the state fragment and the list fragment to a session, 401 without one', async () => {
    const r = await h.create(K8S);
    const b = await signedIn('bob');
    const state = await b.get(`/requests/${r.id}?fragment=state`);
    expect(state.text).toMatch(/^<section id="state"/);
    expect(state.text).toContain('data-status="pending"');
    await h.api('POST', `/v1/requests/${r.id}/approve`, 'alice', {});
    expect((await b.get(`/requests/${r.id}?fragment=state`)).text).toContain('data-announce="Approved: approved by alice"');
    expect((await b.get('/requests?fragment=1')).text).toMatch(/^<section id="requests"/);
    expect((await h.browser().get(`/requests/${r.id}?fragment=state`)).status).toBe(401);
    expect((await h.browser().get('/requests?fragment=1')).status).toBe(401);
    expect((await h.browser().get(`/requests/${r.id}/events`)).status).toBe(401);
  });

  it('streams the request events to a session cookie', async () => {
    const r = await h.create(K8S);
    const b = await signedIn('bob');
    const res = await h.app.request(`${h.origin}/requests/${r.id}/events`, { headers: { cookie: `gate_session=${b.jar.get('gate_session')}` } });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: created')) text += new TextDecoder().decode((await reader.read()).value);
    await h.api('POST', `/v1/requests/${r.id}/deny`, 'alice', { reason: 'no' });
    while (!text.includes('event: denied')) text += new TextDecoder().decode((await reader.read()).value);
    expect((await reader.read()).done).toBe(true);
  });
});
