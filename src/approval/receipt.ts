import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalBytes } from '../audit/canonical.js';
import type { JsonValue } from '../json.js';
import type { ReceiptPayload, SignedReceipt } from './protocol.js';

export type ReceiptProblem =
  | 'malformed'
  | 'bad_signature'
  | 'wrong_key'
  | 'wrong_request'
  | 'digest_mismatch'
  | 'requester_mismatch'
  | 'expired'
  | 'not_yet_valid';

/** Why a receipt was refused, with a message that says so plainly. */
export class ReceiptError extends Error {
  override readonly name = 'ReceiptError';
  constructor(
    readonly problem: ReceiptProblem,
    message: string,
  ) {
    super(message);
  }
}

const keyIds = new WeakMap<KeyObject, string>();

export function keyId(publicKey: KeyObject): string {
  // Memoized: exporting a key costs as much as verifying a signature (audit verify asks per receipt).
  let id = keyIds.get(publicKey);
  if (id === undefined) {
    id = createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
    keyIds.set(publicKey, id);
  }
  return id;
}

/** base64 SPKI DER: how gate writes a public key on the wire, in config and in records. */
export function spkiBase64(publicKey: KeyObject): string {
  return publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
}

export function publicKeyFromBase64(spkiBase64: string): KeyObject {
  return createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
}

/** Server side: signs a receipt payload with the server's Ed25519 key. */
export function signReceipt(payload: ReceiptPayload, privateKey: KeyObject): SignedReceipt {
  const signature = sign(null, canonicalBytes(payload as unknown as JsonValue), privateKey).toString('base64');
  return { payload, signature };
}

export interface Expected {
  readonly requestId: string;
  readonly commandDigest: string;
  readonly requester: string;
  readonly now: Date;
  /** Tolerated clock difference between client and server. */
  readonly skewSeconds?: number;
  /** An Ed25519 check for `pinnedKey` (audit verify passes libsodium's, twice as fast); default node:crypto. */
  readonly checkSignature?: (message: Uint8Array, signature: Uint8Array) => boolean;
}

/**
 * Client side: accepts a receipt only if it is signed by the pinned key and binds exactly this
 * request, this command and this requester, and is still valid. Throws ReceiptError otherwise.
 */
export function verifyReceipt(receipt: unknown, pinnedKey: KeyObject, expected: Expected): ReceiptPayload {
  const r = receipt as Partial<SignedReceipt> | null;
  const p = r?.payload as Partial<ReceiptPayload> | undefined;
  if (
    typeof r !== 'object' || r === null || typeof r.signature !== 'string' || typeof p !== 'object' || p === null ||
    p.v !== 1 || typeof p.receipt_id !== 'string' || typeof p.request_id !== 'string' || typeof p.command_digest !== 'string' ||
    typeof p.requester !== 'string' || !Array.isArray(p.approvers) || typeof p.decided_at !== 'string' ||
    typeof p.not_after !== 'string' || typeof p.key_id !== 'string'
  ) {
    throw new ReceiptError('malformed', 'the approval receipt is malformed');
  }
  const payload = p as ReceiptPayload;
  if (payload.key_id !== keyId(pinnedKey)) {
    throw new ReceiptError('wrong_key', `the receipt was signed by key ${payload.key_id}, not the pinned server key ${keyId(pinnedKey)}`);
  }
  let valid = false;
  try {
    const message = canonicalBytes(payload as unknown as JsonValue);
    const signature = Buffer.from(r.signature, 'base64');
    valid = expected.checkSignature !== undefined ? expected.checkSignature(message, signature) : verify(null, message, pinnedKey, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new ReceiptError('bad_signature', 'the approval receipt signature does not verify against the pinned server key');
  if (payload.request_id !== expected.requestId) {
    throw new ReceiptError('wrong_request', `the receipt is for request ${payload.request_id}, not ${expected.requestId}`);
  }
  if (payload.requester !== expected.requester) {
    throw new ReceiptError('requester_mismatch', `the receipt was issued to ${payload.requester}, not ${expected.requester}`);
  }
  if (payload.command_digest !== expected.commandDigest) {
    throw new ReceiptError('digest_mismatch', 'the receipt was issued for a different command (digest mismatch)');
  }
  const skew = (expected.skewSeconds ?? 30) * 1000;
  const notAfter = Date.parse(payload.not_after);
  const decidedAt = Date.parse(payload.decided_at);
  if (!Number.isFinite(notAfter) || !Number.isFinite(decidedAt)) throw new ReceiptError('malformed', 'the receipt has invalid timestamps');
  if (expected.now.getTime() > notAfter + skew) throw new ReceiptError('expired', `the receipt expired at ${payload.not_after}`);
  if (expected.now.getTime() + skew < decidedAt) throw new ReceiptError('not_yet_valid', `the receipt is dated in the future (${payload.decided_at})`);
  return payload;
}
