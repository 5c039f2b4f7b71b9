import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Clock } from '../clock.js';
import type { ApprovalService } from '../service.js';
import type { StreamRegistry } from '../sse.js';
import type { PrincipalRecord } from '../types.js';
import { csrfToken, fromOwnOrigin, tokensMatch } from './csrf.js';
import { HTML, PAGE_HEADERS } from './headers.js';
import type { PageContext } from './render/layout.js';
import { isSecret, SESSION_COOKIE, useSecureCookies } from './sessions.js';
import type { WebStore } from './store.js';

/** Everything the web routes share; built once in routes.ts. */
export interface WebDeps {
  readonly service: ApprovalService;
  readonly streams: StreamRegistry;
  readonly store: WebStore;
  readonly publicUrl: string;
  /** Path prefix of publicUrl ('' when served at the root of its origin). */
  readonly base: string;
  readonly clock: Clock;
  /** Sign-ins and sign-outs, by principal name only. */
  readonly log: (line: string) => void;
}

export interface Session {
  readonly id: string;
  readonly principal: PrincipalRecord;
  readonly createdMs: number;
}

/** One browser request as the web routes see it. */
export interface Visit {
  readonly nowMs: number;
  /** Cookies must be Secure (https public URL, or TLS on the way in). */
  readonly secure: boolean;
  readonly session: Session | undefined;
}

export function visit(c: Context, deps: WebDeps): Visit {
  const nowMs = deps.clock().getTime();
  const id = getCookie(c, SESSION_COOKIE);
  const found = isSecret(id) ? deps.store.session(id, nowMs) : undefined;
  return {
    nowMs,
    secure: useSecureCookies(deps.publicUrl, c.req.url, c.req.header('x-forwarded-proto')),
    session: found === undefined || id === undefined ? undefined : { id, principal: found.principal, createdMs: found.createdMs },
  };
}

export function pageContext(deps: WebDeps, v: Visit): PageContext {
  const s = v.session;
  if (s === undefined) return { base: deps.base, nowMs: v.nowMs };
  const { name, kind, groups } = s.principal;
  return { base: deps.base, nowMs: v.nowMs, viewer: { name, kind, groups }, csrf: csrfToken(s.id) };
}

/** An HTML response with the page headers (and any cookies to set). */
export function page(body: string, status = 200, cookies: readonly string[] = []): Response {
  const headers = new Headers({ ...PAGE_HEADERS, 'content-type': HTML });
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(body, { status, headers });
}

/** 303 See Other: after a POST the browser GETs the next page (a reload never re-posts). */
export function seeOther(location: string, cookies: readonly string[] = []): Response {
  const headers = new Headers({ ...PAGE_HEADERS, location });
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(null, { status: 303, headers });
}

/** The form fields of a POST, as strings (anything else, such as a file, reads as empty). */
export async function formFields(c: Context): Promise<(name: string) => string> {
  let body: Record<string, unknown> = {};
  try {
    body = await c.req.parseBody();
  } catch {
    // An unparsable body has no fields; the CSRF check then refuses it.
  }
  return (name) => {
    const value = Object.hasOwn(body, name) ? body[name] : undefined;
    return typeof value === 'string' ? value : '';
  };
}

/** Origin / Sec-Fetch-Site of a POST: ours (the public URL's origin, or the one it was addressed to). */
export function fromOurPages(c: Context, deps: WebDeps): boolean {
  return fromOwnOrigin({ origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site') }, [new URL(deps.publicUrl).origin, new URL(c.req.url).origin]);
}

/** A signed-in POST carries its session's CSRF token. */
export const csrfValid = (session: Session, given: string): boolean => tokensMatch(csrfToken(session.id), given);

const LOCAL_NEXT = /^\/requests(\/req_[A-Za-z0-9_-]{1,128})?$/;

/** Where to go after signing in: only our own request pages (never an open redirect). */
export function nextPath(deps: WebDeps, next: string | undefined): string {
  const path = next !== undefined && next.startsWith(deps.base) ? next.slice(deps.base.length) : '';
  return `${deps.base}${LOCAL_NEXT.test(path) ? path : '/requests'}`;
}
