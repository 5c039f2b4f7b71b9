import { describe, expect, it } from 'vitest';
import { checkSlackSignature, MAX_SKEW_SECONDS, slackSignature } from '../../../../src/server/notify/slack/signature.js';

// The vector from shared/reference/protocols.md §1.5 (computed with Node 20's HMAC).
const SECRET = 'gate-test-secret';
const TS = '1700000000';
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
const SIGNATURE = 'v0=072b898fb68e20df6bad41c17b9531ef96c106c23b091ecf1228f4a696b62105';
const NOW = 1700000000 + 30;

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const check = (over: { timestamp?: string | undefined; signature?: string | undefined; body?: string; secret?: string; now?: number } = {}) =>
  checkSlackSignature(
    over.secret ?? SECRET,
    { timestamp: 'timestamp' in over ? over.timestamp : TS, signature: 'signature' in over ? over.signature : SIGNATURE, body: bytes(over.body ?? BODY) },
    over.now ?? NOW,
  );

describe('Slack request signatures (v0)', () => {
  it('computes the documented vector', () => {
    expect(slackSignature(SECRET, TS, BODY)).toBe(SIGNATURE);
    expect(slackSignature(SECRET, TS, bytes(BODY))).toBe(SIGNATURE);
  });

  it('accepts a valid request within the window, in either direction', () => {
    expect(check()).toBeUndefined();
    expect(check({ now: 1700000000 - MAX_SKEW_SECONDS })).toBeUndefined();
    expect(check({ now: 1700000000 + MAX_SKEW_SECONDS })).toBeUndefined();
  });

  it('refuses missing or empty headers', () => {
    expect(check({ timestamp: undefined })).toBe('missing_headers');
    expect(check({ signature: undefined })).toBe('missing_headers');
    expect(check({ signature: '' })).toBe('missing_headers');
  });

  it('refuses stale and future timestamps (more than 5 minutes off)', () => {
    expect(check({ now: 1700000000 + MAX_SKEW_SECONDS + 1 })).toBe('stale');
    expect(check({ now: 1700000000 - MAX_SKEW_SECONDS - 1 })).toBe('stale');
  });

  it('refuses a body altered by one character, another secret, another timestamp', () => {
    expect(check({ body: BODY.replace('block_actions', 'block_actionz') })).toBe('mismatch');
    expect(check({ body: `${BODY} ` })).toBe('mismatch');
    expect(check({ secret: 'gate-test-secreT' })).toBe('mismatch');
    // A fresh timestamp with the old signature: the timestamp is part of what is signed.
    expect(check({ timestamp: '1700000001' })).toBe('mismatch');
  });

  it('refuses malformed signatures and other versions without throwing', () => {
    expect(check({ signature: SIGNATURE.replace('v0=', 'v1=') })).toBe('bad_version');
    expect(check({ signature: SIGNATURE.slice(0, -2) })).toBe('malformed');
    expect(check({ signature: `${SIGNATURE}00` })).toBe('malformed');
    expect(check({ signature: SIGNATURE.toUpperCase().replace('V0=', 'v0=') })).toBe('malformed');
    // Anything after the MAC: it would verify, and as a new string slip past the replay guard.
    for (const tail of ['=x', '=', ' ', '\n']) expect(check({ signature: `${SIGNATURE}${tail}` })).toBe('malformed');
    expect(check({ signature: 'v0' })).toBe('malformed');
    expect(check({ timestamp: '17e8' })).toBe('malformed');
    expect(check({ timestamp: '-1700000000' })).toBe('malformed');
  });
});
