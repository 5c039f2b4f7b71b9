import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { API_PREFIX, type ErrorBody, type RequestStatus } from '../approval/protocol.js';
import {
  parseApproveBody,
  parseAskBody,
  parseCancelBody,
  parseClaimBody,
  parseCreateBody,
  parseDenyBody,
  parseOutcomeBody,
  parseReplyBody,
} from './bodies.js';
import { auditRoutes } from './audit-routes.js';
import { ApiError, badRequest } from './errors.js';
import type { Action } from './lifecycle.js';
import type { ApprovalService } from './service.js';
import type { StreamRegistry } from './sse.js';
import type { PrincipalRecord } from './types.js';
import { createWebApp, type WebOptions } from './web/routes.js';

export const MAX_BODY_BYTES = 256 * 1024;

const STATUSES: readonly RequestStatus[] = ['pending', 'approved', 'denied', 'expired', 'cancelled', 'executing', 'executed'];

/** Each POST action: how its body is read and which lifecycle action it becomes. */
const ACTIONS: Readonly<Record<string, (body: unknown) => Action>> = {
  approve: (b) => ({ type: 'approve', ...parseApproveBody(b) }),
  deny: (b) => ({ type: 'deny', ...parseDenyBody(b) }),
  ask: (b) => ({ type: 'ask', ...parseAskBody(b) }),
  reply: (b) => ({ type: 'reply', ...parseReplyBody(b) }),
  cancel: (b) => (parseCancelBody(b), { type: 'cancel' }),
  claim: (b) => ({ type: 'claim', ...parseClaimBody(b) }),
  outcome: (b) => ({ type: 'outcome', outcome: parseOutcomeBody(b) }),
};

type Env = { Variables: { principal: PrincipalRecord } };

export interface AppOptions {
  readonly version: string;
  /** Where unexpected errors are reported (never to the client). */
  readonly logError?: (line: string) => void;
  /** Routes outside /v1 that authenticate their own way (Slack's signed interactions), mounted at the root. */
  readonly extraRoutes?: readonly Hono[];
  /** The approvers' web page (src/server/web/); absent: the JSON API alone. */
  readonly web?: WebOptions;
}

/**
 * The HTTP surface of protocol.ts as a fetch-style app: no socket here, so tests drive it with
 * app.request() and listen.ts binds it. Every failure leaves as {error:{code,message}}.
 */
export function createApp(service: ApprovalService, streams: StreamRegistry, options: AppOptions): Hono<Env> {
  const app = new Hono<Env>();
  const logError = options.logError ?? ((line: string) => process.stderr.write(`gate serve: ${line}\n`));

  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json(error.body(), error.status as ContentfulStatusCode);
    logError(`internal error on ${c.req.method} ${new URL(c.req.url).pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return c.json<ErrorBody>({ error: { code: 'internal', message: 'internal server error' } }, 500);
  });
  app.notFound((c) => c.json<ErrorBody>({ error: { code: 'not_found', message: `no route ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));

  const v1 = new Hono<Env>();
  v1.get('/health', (c) => c.json({ ok: true, version: options.version }));
  v1.get('/key', (c) => c.json(service.serverKey()));

  v1.use('*', async (c, next) => {
    c.set('principal', service.authenticate(c.req.header('authorization')));
    await next();
  });
  v1.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json<ErrorBody>({ error: { code: 'bad_request', message: `request body exceeds ${MAX_BODY_BYTES / 1024} KB` } }, 413),
    }),
  );

  v1.get('/policy/env', (c) => c.json(service.policyEnv()));

  v1.post('/requests', async (c) => c.json(service.create(c.get('principal'), parseCreateBody(await readJson(c))), 201));

  v1.get('/requests', (c) => {
    const status = c.req.query('status');
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw badRequest(`status: expected one of ${STATUSES.join(', ')}`);
    return c.json({ requests: service.list(c.get('principal'), status as RequestStatus | undefined) });
  });

  v1.get('/requests/:id', (c) => c.json(service.get(c.get('principal'), c.req.param('id'))));

  v1.get('/requests/:id/events', (c) => {
    const afterSeq = lastEventId(c.req.header('last-event-id'));
    const id = c.req.param('id');
    const { replay, final } = service.events(c.get('principal'), id, afterSeq);
    return new Response(streams.stream(service.hub, id, replay, afterSeq, final), {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        // Proxies such as nginx buffer responses unless told otherwise; events must flow at once.
        'x-accel-buffering': 'no',
      },
    });
  });

  v1.post('/requests/:id/:action', async (c) => {
    const toAction = Object.hasOwn(ACTIONS, c.req.param('action')) ? ACTIONS[c.req.param('action')] : undefined;
    if (toAction === undefined) throw new ApiError('not_found', `no action ${c.req.param('action')}`);
    const action = toAction(await readJson(c));
    return c.json(service.act(c.get('principal'), c.req.param('id'), action));
  });

  v1.route('/audit', auditRoutes(service.audit));

  app.route(API_PREFIX, v1);
  // Before the web app: its session and CSRF middleware must never see Slack's signed posts.
  for (const routes of options.extraRoutes ?? []) app.route('/', routes);
  if (options.web !== undefined) app.route('/', createWebApp(service, streams, { logError, ...options.web }));
  return app;
}

/** The body as JSON; an empty body is `{}` (cancel needs nothing), anything unparsable is 400. */
async function readJson(c: Context<Env>): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('request body is not valid JSON');
  }
}

function lastEventId(header: string | undefined): number {
  if (header === undefined || header.trim() === '') return 0;
  if (!/^\d{1,15}$/.test(header.trim())) throw badRequest('Last-Event-ID: expected the seq number of the last event received');
  return Number(header.trim());
}
