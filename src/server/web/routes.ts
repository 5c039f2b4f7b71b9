import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { systemClock, type Clock } from '../clock.js';
import type { ApprovalService } from '../service.js';
import type { StreamRegistry } from '../sse.js';
import { CLIENT_JS } from './assets/client.js';
import { STYLE_CSS } from './assets/style.js';
import { page, pageContext, visit, type WebDeps } from './context.js';
import { SECURITY_HEADERS } from './headers.js';
import { messagePage } from './render/layout.js';
import { authRoutes } from './routes-auth.js';
import { requestRoutes } from './routes-requests.js';
import type { WebStore } from './store.js';

/** Forms carry a comment, a reason or a question: 64 KB is plenty. */
const MAX_FORM_BYTES = 64 * 1024;

export interface WebOptions {
  readonly store: WebStore;
  /** Where browsers reach the service; request urls are `${publicUrl}/requests/<id>`. */
  readonly publicUrl: string;
  readonly clock?: Clock;
  readonly log?: (line: string) => void;
  /** Unexpected errors (never shown to the browser). */
  readonly logError?: (line: string) => void;
}

/**
 * The approver's web page, outside /v1: server-rendered HTML that works without script, on the
 * same service methods as the JSON API (service.list/get/act/events), so every rule (human only,
 * no self-approval, groups, quorum, expiry) is the service's, never re-checked here. Mounted by
 * app.ts; its routes add no middleware to the API's.
 */
export function createWebApp(service: ApprovalService, streams: StreamRegistry, options: WebOptions): Hono {
  const deps: WebDeps = {
    service,
    streams,
    store: options.store,
    publicUrl: options.publicUrl,
    base: new URL(options.publicUrl).pathname.replace(/\/+$/, ''),
    clock: options.clock ?? systemClock,
    log: options.log ?? (() => undefined),
  };
  const logError = options.logError ?? ((line: string) => process.stderr.write(`gate serve: ${line}\n`));
  const web = new Hono();
  web.onError((error, c) => {
    logError(`internal error on ${c.req.method} ${new URL(c.req.url).pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return page(messagePage(pageContext(deps, { nowMs: deps.clock().getTime(), secure: false, session: undefined }), 'Something went wrong', 'The server could not handle this; nothing was changed by this page. Try again, or use the gate CLI.'), 500);
  });
  const limit = bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => page(messagePage(pageContext(deps, visit(c, deps)), 'Too long', `A form may hold at most ${MAX_FORM_BYTES / 1024} KB.`), 413) });
  authRoutes(web, deps, limit);
  requestRoutes(web, deps, limit);
  web.get('/static/gate.css', () => asset(STYLE_CSS, 'text/css; charset=utf-8'));
  web.get('/static/gate.js', () => asset(CLIENT_JS, 'text/javascript; charset=utf-8'));
  // Browsers ask for it on every first visit; no icon, and no 404 noise in their consoles.
  web.get('/favicon.ico', () => new Response(null, { status: 204, headers: { ...SECURITY_HEADERS, 'cache-control': 'max-age=86400' } }));
  return web;
}

const asset = (body: string, type: string): Response =>
  new Response(body, { headers: { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-cache' } });
