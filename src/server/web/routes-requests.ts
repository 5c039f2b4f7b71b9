import type { Hono, MiddlewareHandler } from 'hono';
import type { ApprovalRequest } from '../../approval/protocol.js';
import { parseApproveBody, parseAskBody, parseDenyBody } from '../bodies.js';
import { ApiError } from '../errors.js';
import type { Action } from '../lifecycle.js';
import { csrfValid, formFields, fromOurPages, page, pageContext, seeOther, visit, type Session, type Visit, type WebDeps } from './context.js';
import { PAGE_HEADERS } from './headers.js';
import { reauthDue } from './reauth.js';
import { messagePage } from './render/layout.js';
import { listPage, listSection } from './render/list.js';
import { requestPage, type RequestView } from './render/request.js';
import { stateSection } from './render/state.js';
import { foreignPost } from './routes-auth.js';
import { signinResponse } from './signin-form.js';

/** After a decision, the page confirms it by a fixed key: no text from the query string reaches the page. */
const NOTICES: Readonly<Record<string, string>> = {
  approved: 'Your approval is recorded.',
  denied: 'You denied this request; the requester sees your reason.',
  asked: 'Your question was sent to the requester.',
};

/** What each form becomes: the same Action the JSON API builds, through the same body checks. */
const ACTIONS: Readonly<Record<string, { form: (field: (name: string) => string) => Action; done: keyof typeof NOTICES }>> = {
  approve: {
    form: (field) => ({ type: 'approve', ...parseApproveBody(field('comment').trim() === '' ? {} : { comment: field('comment') }) }),
    done: 'approved',
  },
  deny: {
    form: (field) => {
      if (field('reason').trim() === '') throw new ApiError('reason_required', 'A denial needs a reason: write why in the “Reason for denying” field (the requester sees it).');
      return { type: 'deny', ...parseDenyBody({ reason: field('reason') }) };
    },
    done: 'denied',
  },
  ask: {
    form: (field) => {
      if (field('question').trim() === '') throw new ApiError('bad_request', 'Write a question before pressing Ask.');
      return { type: 'ask', ...parseAskBody({ question: field('question') }) };
    },
    done: 'asked',
  },
};

/** The request list, a request's page, its live parts, and the decision forms. */
export function requestRoutes(app: Hono, deps: WebDeps, limit: MiddlewareHandler): void {
  const { base, service } = deps;
  const signinFirst = (path: string): Response => seeOther(`${base}/signin?next=${encodeURIComponent(path)}`);
  // For what the script fetches: a status, not a redirect to a page it cannot show.
  const notSignedIn = (): Response => new Response('sign in first', { status: 401, headers: { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' } });

  /** A refusal from the service as a page: its own words and status (403 self-approval, 404, 409...). */
  const refusal = (v: Visit, error: ApiError): Response => page(messagePage(pageContext(deps, v), 'Not possible', error.message, { href: `${base}/requests`, label: 'All pending requests' }), error.status);

  // The service's own answer to "may this person decide it?", so the page never offers what act() would refuse.
  const refusedDecision = (session: Session, id: string): string | undefined => {
    try {
      service.assertMayDecide(session.principal, id);
      return undefined;
    } catch (error) {
      if (error instanceof ApiError) return error.message;
      throw error;
    }
  };

  const requestView = (v: Visit, session: Session, id: string, extra: Omit<RequestView, 'request'>, status = 200): Response => {
    let request: ApprovalRequest;
    try {
      request = service.get(session.principal, id);
    } catch (error) {
      if (error instanceof ApiError) return refusal(v, error);
      throw error;
    }
    const reauth = reauthDue(request.requirement, session.createdMs, v.nowMs);
    const cannotDecide = request.status === 'pending' ? refusedDecision(session, id) : undefined;
    return page(
      requestPage(pageContext(deps, v), { request, ...extra, ...(reauth !== undefined ? { reauth } : {}), ...(cannotDecide !== undefined ? { cannotDecide } : {}) }),
      status,
    );
  };

  app.get('/requests', (c) => {
    const v = visit(c, deps);
    const fragment = c.req.query('fragment') !== undefined;
    if (v.session === undefined) return fragment ? notSignedIn() : signinFirst(`${base}/requests`);
    const pending = service.list(v.session.principal, 'pending');
    const ctx = pageContext(deps, v);
    return page(fragment ? listSection(ctx, pending).value : listPage(ctx, pending));
  });

  // Looking changes nothing: a link scanner (or a careless click) that opens this page decides nothing.
  app.get('/requests/:id', (c) => {
    const v = visit(c, deps);
    const id = c.req.param('id');
    const fragment = c.req.query('fragment');
    if (v.session === undefined) return fragment !== undefined ? notSignedIn() : signinFirst(`${base}/requests/${id}`);
    if (fragment === 'state') {
      try {
        return page(stateSection(pageContext(deps, v), service.get(v.session.principal, id)).value);
      } catch (error) {
        if (error instanceof ApiError) return new Response(error.message, { status: error.status, headers: PAGE_HEADERS });
        throw error;
      }
    }
    const done = c.req.query('done');
    return requestView(v, v.session, id, done !== undefined && Object.hasOwn(NOTICES, done) ? { notice: NOTICES[done]! } : {});
  });

  // The request's events for the page script, authenticated by the session cookie.
  app.get('/requests/:id/events', (c) => {
    const v = visit(c, deps);
    if (v.session === undefined) return notSignedIn();
    const id = c.req.param('id');
    const header = c.req.header('last-event-id')?.trim() ?? '';
    const afterSeq = /^\d{1,15}$/.test(header) ? Number(header) : 0;
    let events: ReturnType<typeof service.events>;
    try {
      events = service.events(v.session.principal, id, afterSeq);
    } catch (error) {
      if (error instanceof ApiError) return new Response(error.message, { status: error.status, headers: PAGE_HEADERS });
      throw error;
    }
    return new Response(deps.streams.stream(service.hub, id, events.replay, afterSeq, events.final), {
      headers: { ...PAGE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store, no-transform', 'x-accel-buffering': 'no' },
    });
  });

  app.post('/requests/:id/:action', limit, async (c) => {
    const v = visit(c, deps);
    const id = c.req.param('id');
    const kind = c.req.param('action');
    const spec = Object.hasOwn(ACTIONS, kind) ? ACTIONS[kind] : undefined;
    if (spec === undefined) return page(messagePage(pageContext(deps, v), 'Not found', `There is no action “${kind}”.`), 404);
    const field = await formFields(c);
    if (!fromOurPages(c, deps)) return foreignPost(deps, v);
    const session = v.session;
    if (session === undefined) {
      return page(messagePage(pageContext(deps, v), 'Signed out', 'Your session has ended, so nothing was changed. Sign in and try again.', { href: `${base}/signin?next=${encodeURIComponent(`${base}/requests/${id}`)}`, label: 'Sign in' }), 401);
    }
    if (!csrfValid(session, field('csrf'))) return foreignPost(deps, v);
    try {
      // The service checks a high-risk rule's re-authentication window against the session's sign-in.
      service.act(session.principal, id, spec.form(field), 'web', session.createdMs);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.code === 'reauth_required') {
        // Its window and the sign-in's age, for the form that asks to sign in again.
        const reauth = reauthDue(service.get(session.principal, id).requirement, session.createdMs, v.nowMs);
        if (reauth !== undefined) return signinResponse(c, deps, v, { next: `${base}/requests/${id}`, reauth }, 401);
      }
      // Shown on the request page itself, in the service's own words (self-approval, not an approver, already decided...).
      return requestView(v, session, id, { error: error.message }, error.status);
    }
    return seeOther(`${base}/requests/${id}?done=${spec.done}`);
  });
}
