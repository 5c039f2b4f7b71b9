import type { Hono, MiddlewareHandler } from 'hono';
import { ApiError } from '../errors.js';
import type { PrincipalRecord } from '../types.js';
import { formFields, fromOurPages, nextPath, page, pageContext, seeOther, visit, csrfValid, type Visit, type WebDeps } from './context.js';
import { messagePage } from './render/layout.js';
import { linkPage } from './render/signin.js';
import { clearSessionCookie, clearSigninCookie, isSecret, sessionCookie } from './sessions.js';
import { formSecret, formSecretValid, signinResponse } from './signin-form.js';

const LINK_ERRORS = {
  unknown: { status: 404, text: 'This sign-in link is not valid (or the person it was made for no longer has access).' },
  used: { status: 410, text: 'This sign-in link was already used; a link works once. Ask for a new one (gate token link NAME, on the server).' },
  expired: { status: 410, text: 'This sign-in link has expired. Ask for a new one (gate token link NAME, on the server).' },
} as const;

/** Refusal of a POST that did not come from our own pages: nothing happened. */
export const foreignPost = (deps: WebDeps, v: Visit): Response =>
  page(messagePage(pageContext(deps, v), 'Refused', 'This form was not sent from gate’s own pages, so nothing was changed. Reload the page and try again.'), 403);

/**
 * Signing in and out. Every sign-in starts a new session (a fixated or stolen older id is
 * worthless afterwards) and only a human principal gets one: agents and CI never approve.
 */
export function authRoutes(app: Hono, deps: WebDeps, limit: MiddlewareHandler): void {
  const { base } = deps;

  const startSession = (v: Visit, principal: PrincipalRecord, next: string, how: string): Response => {
    if (v.session !== undefined) deps.store.endSession(v.session.id);
    const id = deps.store.createSession(principal.id, v.nowMs);
    deps.log(`web: ${principal.name} signed in (${how})`);
    return seeOther(next, [sessionCookie(id, v.secure, base), clearSigninCookie(v.secure, base)]);
  };

  app.get('/', () => seeOther(`${base}/requests`));

  app.get('/signin', (c) => {
    const v = visit(c, deps);
    const next = nextPath(deps, c.req.query('next'));
    if (v.session !== undefined) return seeOther(next);
    return signinResponse(c, deps, v, { next });
  });

  app.post('/signin', limit, async (c) => {
    const v = visit(c, deps);
    const field = await formFields(c);
    const next = nextPath(deps, field('next'));
    if (!fromOurPages(c, deps)) return foreignPost(deps, v);
    if (!formSecretValid(c, field('csrf'))) return signinResponse(c, deps, v, { next, error: 'This sign-in form expired or was not sent from gate’s own page. Try again.' }, 400);
    let principal: PrincipalRecord;
    try {
      principal = deps.service.authenticate(`Bearer ${field('token').trim()}`);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return signinResponse(c, deps, v, { next, error: 'That token is not valid: it is unknown or was revoked.' }, 401);
    }
    if (principal.kind !== 'human') {
      const kind = principal.kind === 'agent' ? 'an agent' : 'a CI';
      return signinResponse(c, deps, v, { next, error: `${principal.name} is ${kind} principal: only people sign in to approve. Use a token made with --kind human.` }, 403);
    }
    return startSession(v, principal, next, 'token');
  });

  // Opening a link only shows a button: chat link scanners fetch URLs, and must not use it up.
  app.get('/signin/link/:token', (c) => {
    const v = visit(c, deps);
    const token = c.req.param('token');
    const { secret, cookies } = formSecret(c, v, base);
    if (!isSecret(token)) return page(linkPage(pageContext(deps, v), { formSecret: secret, token: '', error: LINK_ERRORS.unknown.text }), 404, cookies);
    return page(linkPage(pageContext(deps, v), { formSecret: secret, token }), 200, cookies);
  });

  app.post('/signin/link/:token', limit, async (c) => {
    const v = visit(c, deps);
    const token = c.req.param('token');
    const field = await formFields(c);
    if (!fromOurPages(c, deps)) return foreignPost(deps, v);
    const { secret, cookies } = formSecret(c, v, base);
    if (!formSecretValid(c, field('csrf'))) {
      return page(linkPage(pageContext(deps, v), { formSecret: secret, token: isSecret(token) ? token : '' }), 400, cookies);
    }
    const use = isSecret(token) ? deps.store.consumeLink(token, v.nowMs) : ({ ok: false, reason: 'unknown' } as const);
    if (!use.ok) {
      const { status, text } = LINK_ERRORS[use.reason];
      return page(linkPage(pageContext(deps, v), { formSecret: secret, token: '', error: text }), status, cookies);
    }
    return startSession(v, use.principal, `${base}/requests`, 'one-time link');
  });

  app.post('/signout', limit, async (c) => {
    const v = visit(c, deps);
    const field = await formFields(c);
    if (!fromOurPages(c, deps)) return foreignPost(deps, v);
    if (v.session !== undefined) {
      if (!csrfValid(v.session, field('csrf'))) return foreignPost(deps, v);
      deps.store.endSession(v.session.id);
      deps.log(`web: ${v.session.principal.name} signed out`);
    }
    return seeOther(`${base}/signin`, [clearSessionCookie(v.secure, base)]);
  });
}
