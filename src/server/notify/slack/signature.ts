import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack's request signing, v0 (https://docs.slack.dev/authentication/verifying-requests-from-slack):
 * `v0=` + hex HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + raw body). Pure: the caller
 * passes the raw bytes (before any parsing) and the current time.
 */

/** Requests older or newer than this are refused: a captured request cannot be replayed later. */
export const MAX_SKEW_SECONDS = 300;

export type SignatureProblem = 'missing_headers' | 'malformed' | 'stale' | 'bad_version' | 'mismatch';

export interface SignedRequest {
  /** `X-Slack-Request-Timestamp`. */
  readonly timestamp: string | undefined;
  /** `X-Slack-Signature`. */
  readonly signature: string | undefined;
  readonly body: Uint8Array;
}

/** The signature Slack sends for `body` at `timestamp`; also what the tests' fake Slack signs with. */
export function slackSignature(secret: string, timestamp: string, body: Uint8Array | string): string {
  const mac = createHmac('sha256', secret);
  mac.update(`v0:${timestamp}:`, 'utf8');
  mac.update(body);
  return `v0=${mac.digest('hex')}`;
}

/** Undefined when the request is Slack's, signed within the window; otherwise why not. */
export function checkSlackSignature(secret: string, request: SignedRequest, nowSeconds: number): SignatureProblem | undefined {
  const { timestamp, signature } = request;
  if (timestamp === undefined || signature === undefined || timestamp === '' || signature === '') return 'missing_headers';
  if (!/^\d{1,12}$/.test(timestamp)) return 'malformed';
  // Both directions: a timestamp from the future is as suspect as one from the past.
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_SKEW_SECONDS) return 'stale';
  if (signature.split('=', 1)[0] !== 'v0') return 'bad_version';
  // The whole header, not a prefix of it: `v0=<hex>=x` would otherwise verify and, being a new
  // string, slip past the replay guard.
  if (!/^v0=[0-9a-f]{64}$/.test(signature)) return 'malformed';
  const hex = signature.slice(3);
  const expected = Buffer.from(slackSignature(secret, timestamp, request.body).slice(3), 'hex');
  const given = Buffer.from(hex, 'hex');
  // Both are 32 bytes here (checked above), as timingSafeEqual requires.
  return timingSafeEqual(expected, given) ? undefined : 'mismatch';
}
