import { Hono, type Context } from 'hono';
import type { AnchorHeadBody } from '../approval/protocol.js';
import type { AuditService } from './audit-service.js';
import { badRequest } from './errors.js';
import type { PrincipalRecord } from './types.js';
import { logHeadShape } from './bodies.js';
import { object, parseBody, str } from './validate.js';

type Env = { Variables: { principal: PrincipalRecord } };

const LOG_ID = /^[0-9a-f]{16}$/;
const HOST = str({ min: 1, max: 255 });
const anchorBody = object<AnchorHeadBody>({ ...logHeadShape, host: HOST });

/** Checkpoints per page (about 400 bytes each). */
export const CHECKPOINT_PAGE = 1000;
export const LOG_PAGE_DEFAULT = 1000;
export const LOG_PAGE_MAX = 10_000;

/**
 * /v1/audit/*: anchoring and the service's own log (see protocol.ts). Mounted under /v1 after its
 * authentication middleware, which sets `principal`.
 */
export function auditRoutes(audit: AuditService): Hono<Env> {
  const routes = new Hono<Env>();

  routes.post('/heads', async (c) => {
    const body = parseBody(anchorBody, await readJson(c));
    const { host, ...head } = body;
    return c.json({ checkpoint: audit.anchor(c.get('principal'), head, host) });
  });

  routes.get('/heads/:log_id', (c) => {
    const id = c.req.param('log_id');
    if (!LOG_ID.test(id)) throw badRequest('log_id: expected 16 hex digits (the key id of the log)');
    const after = intParam(c.req.query('after'), 'after', 0, Number.MAX_SAFE_INTEGER, 0);
    return c.json(audit.checkpoints(id, after, CHECKPOINT_PAGE));
  });

  routes.get('/hosts/:host', (c) => {
    const host = c.req.param('host');
    if (host.length === 0 || host.length > 255) throw badRequest('host: expected a host name (1 to 255 characters)');
    return c.json(audit.hostLogs(host));
  });

  routes.get('/log', (c) => {
    const afterSeq = intParam(c.req.query('after_seq'), 'after_seq', -1, Number.MAX_SAFE_INTEGER, -1);
    const limit = intParam(c.req.query('limit'), 'limit', 1, LOG_PAGE_MAX, LOG_PAGE_DEFAULT);
    const page = audit.serviceLog(c.get('principal'), afterSeq, limit);
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-gate-log-id': page.logId,
      'x-gate-log-head': String(page.headSeq),
    };
    if (page.lastSeq !== undefined) headers['x-gate-last-seq'] = String(page.lastSeq);
    return new Response(Buffer.concat(page.lines), { status: 200, headers });
  });

  return routes;
}

function intParam(text: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  if (!/^-?\d{1,16}$/.test(text)) throw badRequest(`${name}: expected an integer`);
  const value = Number(text);
  if (value < min || value > max) throw badRequest(`${name}: must be between ${min} and ${max}`);
  return value;
}

async function readJson(c: Context<Env>): Promise<unknown> {
  try {
    return JSON.parse(await c.req.text()) as unknown;
  } catch {
    throw badRequest('request body is not valid JSON');
  }
}
