import { sign, verify } from 'node:crypto';
import type { LogHeadWire } from '../../approval/protocol.js';
import { keyId, publicKeyFromBase64 } from '../../approval/receipt.js';
import type { SigningKey } from '../../crypto/signing-key.js';
import { canonicalBytes } from '../canonical.js';
import type { LogHead } from '../log/record.js';

/** How far a head's `at` may be from the service's clock: an old statement cannot be replayed later. */
export const HEAD_SKEW_SECONDS = 300;

/**
 * What a host signs when it reports its head: only the holder of a log's key can anchor that log,
 * so nobody else can plant false heads (and false alarms) for it. Domain-separated by `type`.
 */
function statement(head: Pick<LogHeadWire, 'log_id' | 'seq' | 'hash' | 'at'>): Buffer {
  return canonicalBytes({ type: 'gate.audit.head', v: 1, log_id: head.log_id, seq: head.seq, hash: head.hash, at: head.at });
}

export function signHead(head: LogHead, key: SigningKey, at: Date): LogHeadWire {
  const unsigned = { log_id: key.keyId, seq: head.seq, hash: head.hash, at: at.toISOString() };
  return { ...unsigned, public_key: key.spki, signature: sign(null, statement(unsigned), key.privateKey).toString('base64') };
}

/** Why the service must not anchor this head, or undefined when it is the log key holder's, and fresh. */
export function headSignatureProblem(head: LogHeadWire, now: Date): string | undefined {
  let valid = false;
  try {
    const key = publicKeyFromBase64(head.public_key);
    if (keyId(key) !== head.log_id) return `the head's public key is not the key of log ${head.log_id}`;
    valid = verify(null, statement(head), key, Buffer.from(head.signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return `the head is not signed by the key of log ${head.log_id}`;
  const at = Date.parse(head.at);
  if (!Number.isFinite(at) || Math.abs(now.getTime() - at) > HEAD_SKEW_SECONDS * 1000) {
    return `the head is dated ${head.at}, more than ${HEAD_SKEW_SECONDS / 60} minutes from the service's clock`;
  }
  return undefined;
}
