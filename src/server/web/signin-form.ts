import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { page, pageContext, type Visit, type WebDeps } from './context.js';
import { tokensMatch } from './csrf.js';
import { signinPage, type SigninView } from './render/signin.js';
import { isSecret, newSecret, SIGNIN_COOKIE, signinCookie } from './sessions.js';

/**
 * The sign-in forms' CSRF defence. No session exists yet to bind a token to, so the form carries
 * a random secret that must equal its SameSite=Strict cookie (double submit): another site can
 * make a browser post, but cannot read or set our cookie to match.
 */
export function formSecret(c: Context, v: Visit, base: string): { secret: string; cookies: string[] } {
  const existing = getCookie(c, SIGNIN_COOKIE);
  if (isSecret(existing)) return { secret: existing, cookies: [] };
  const secret = newSecret();
  return { secret, cookies: [signinCookie(secret, v.secure, base)] };
}

export function formSecretValid(c: Context, given: string): boolean {
  const cookie = getCookie(c, SIGNIN_COOKIE);
  return isSecret(cookie) && tokensMatch(cookie, given);
}

/** The token sign-in page (also the re-authentication step), with its form secret. */
export function signinResponse(c: Context, deps: WebDeps, v: Visit, view: Omit<SigninView, 'formSecret'>, status = 200): Response {
  const { secret, cookies } = formSecret(c, v, deps.base);
  return page(signinPage(pageContext(deps, v), { ...view, formSecret: secret }), status, cookies);
}
