import { createHash, randomBytes } from 'node:crypto';

// RFC 4648 base32, lower case: unambiguous in URLs, terminals and case-insensitive file systems.
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `prefix` + `length` random base32 characters (5 bits each; 20 characters = 100 bits). */
export function newId(prefix: string, length = 20): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (let i = 0; i < length; i++) out += BASE32[bytes[i]! & 31];
  return out;
}

export const newRequestId = (): string => newId('req_');
export const newQuestionId = (): string => newId('q_', 12);
export const newReceiptId = (): string => newId('rcpt_', 26);
export const newPrincipalId = (): string => newId('prn_', 12);
export const newTokenId = (): string => newId('tok_', 12);

export const TOKEN_PREFIX = 'gate_';

/** A bearer token: shown to the admin once, stored only as its hash. */
export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * Tokens have 256 bits of entropy, so a plain SHA-256 is enough (no salt or KDF needed), and the
 * lookup is by hash: the database never compares a secret byte by byte, so there is no timing
 * side channel on the token itself.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
