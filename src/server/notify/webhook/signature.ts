import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature of an outgoing webhook (docs/webhooks.md), in the style of Stripe and Slack:
 * `X-Gate-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, the timestamp
 * (Unix seconds) in `X-Gate-Timestamp`. Signing the timestamp with the body lets a receiver
 * refuse replays older than its window. Pure: no clock, no I/O.
 */

export const SIGNATURE_VERSION = 'v1';
/** What receivers should accept, as the docs say: five minutes either way. */
export const TOLERANCE_SECONDS = 300;

export function signature(secret: string, timestamp: number, body: string): string {
  return `${SIGNATURE_VERSION}=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: 'malformed' | 'stale' | 'mismatch' };

/** The receiver's check, exactly as documented: window first, then a constant-time compare. */
export function verifySignature(secret: string, header: string | undefined, timestamp: string | undefined, body: string, nowSeconds: number): VerifyResult {
  if (header === undefined || timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || !/^v1=[0-9a-f]{64}$/.test(header)) return { ok: false, reason: 'malformed' };
  const ts = Number(timestamp);
  if (Math.abs(nowSeconds - ts) > TOLERANCE_SECONDS) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signature(secret, ts, body), 'utf8');
  const given = Buffer.from(header, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
