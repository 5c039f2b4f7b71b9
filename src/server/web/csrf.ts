import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Cross-site request forgery defences for every POST: the request must come from our own origin
 * (Origin and Sec-Fetch-Site, which browsers set and pages cannot forge), and carry a token that
 * only our own pages know. Pure; routes.ts applies them.
 */

/**
 * The synchronizer token of a session, derived from its secret id (HMAC, so it reveals nothing
 * about the id and needs no storage). Valid for exactly as long as the session.
 */
export const csrfToken = (sessionId: string): string => createHmac('sha256', sessionId).update('gate web csrf v1').digest('base64url');

/** Constant-time comparison of two tokens (a length mismatch leaks only the length). */
export function tokensMatch(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

export interface FetchMetadata {
  readonly origin: string | undefined;
  readonly secFetchSite: string | undefined;
}

/**
 * Whether a POST came from one of our own pages, by what the browser says about it. Sec-Fetch-Site
 * (which no page can set) decides when present: it must be same-origin. Otherwise Origin, when
 * sent, must be one of ours. (Origin alone is not enough: with Referrer-Policy no-referrer, Chromium
 * sends `Origin: null` even for our own forms.) A client that sends neither (curl, an old browser)
 * still needs the CSRF token, so this only ever adds a refusal.
 */
export function fromOwnOrigin(meta: FetchMetadata, allowedOrigins: readonly string[]): boolean {
  if (meta.secFetchSite !== undefined) return meta.secFetchSite === 'same-origin';
  return meta.origin === undefined || allowedOrigins.includes(meta.origin);
}
