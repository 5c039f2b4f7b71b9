import { randomBytes } from 'node:crypto';

/**
 * Web sessions, the pure part: secrets, lifetimes and cookie headers. A session id and a one-time
 * link token are 256-bit random secrets held only by the browser (or the link); the database keeps
 * their SHA-256 (ids.ts hashToken), so a copy of the database signs nobody in.
 */

export const SESSION_COOKIE = 'gate_session';
/** Double-submit secret of the sign-in forms (no session exists yet to bind a CSRF token to). */
export const SIGNIN_COOKIE = 'gate_signin';

/** A session unused this long ends (server-side, whatever the cookie says). */
export const IDLE_SECONDS = 12 * 3600;
/** And every session ends this long after its sign-in, used or not. */
export const ABSOLUTE_SECONDS = 24 * 3600;
/** Sign-in forms are good for this long; then the page is reloaded with a new secret. */
export const SIGNIN_FORM_SECONDS = 3600;
/** `gate token link` default and cap. */
export const LINK_DEFAULT_SECONDS = 10 * 60;
export const LINK_MAX_SECONDS = 24 * 3600;

const SECRET = /^[A-Za-z0-9_-]{43}$/;

export const newSecret = (): string => randomBytes(32).toString('base64url');

/** A cookie or URL value that could be one of our secrets; anything else is not looked up at all. */
export const isSecret = (value: string | undefined): value is string => value !== undefined && SECRET.test(value);

export interface SessionTimes {
  readonly createdMs: number;
  readonly seenMs: number;
}

export const sessionAlive = (s: SessionTimes, nowMs: number): boolean =>
  nowMs - s.seenMs < IDLE_SECONDS * 1000 && nowMs - s.createdMs < ABSOLUTE_SECONDS * 1000;

export interface CookieOptions {
  /** Only over HTTPS: set when the public URL is https or the request came over TLS. */
  readonly secure: boolean;
  readonly path: string;
  readonly sameSite: 'Lax' | 'Strict';
  /** Omitted: a browser-session cookie. 0: delete it. */
  readonly maxAgeSeconds?: number;
}

/** A Set-Cookie value; always HttpOnly (no script ever needs these). `value` must be cookie-safe (base64url). */
export function cookieHeader(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path}`, 'HttpOnly', `SameSite=${options.sameSite}`];
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The session cookie, scoped to the page's base path ('' at the root). */
export const sessionCookie = (id: string, secure: boolean, base: string): string =>
  cookieHeader(SESSION_COOKIE, id, { secure, path: base || '/', sameSite: 'Lax', maxAgeSeconds: ABSOLUTE_SECONDS });

export const clearSessionCookie = (secure: boolean, base: string): string =>
  cookieHeader(SESSION_COOKIE, '', { secure, path: base || '/', sameSite: 'Lax', maxAgeSeconds: 0 });

// Strict: the sign-in secret is never needed on a navigation from another site.
export const signinCookie = (secret: string, secure: boolean, base: string): string =>
  cookieHeader(SIGNIN_COOKIE, secret, { secure, path: `${base}/signin`, sameSite: 'Strict', maxAgeSeconds: SIGNIN_FORM_SECONDS });

export const clearSigninCookie = (secure: boolean, base: string): string =>
  cookieHeader(SIGNIN_COOKIE, '', { secure, path: `${base}/signin`, sameSite: 'Strict', maxAgeSeconds: 0 });

/** Whether cookies must be Secure: the public URL is https, or this request arrived over TLS (directly or at a proxy). */
export function useSecureCookies(publicUrl: string, requestUrl: string, forwardedProto: string | undefined): boolean {
  return publicUrl.startsWith('https:') || requestUrl.startsWith('https:') || forwardedProto?.split(',')[0]?.trim().toLowerCase() === 'https';
}
