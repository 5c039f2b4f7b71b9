import { sign, verify, type KeyObject } from 'node:crypto';
import { ApprovalError } from '../../approval/errors.js';
import { keyId } from '../../approval/receipt.js';
import { CHECKPOINT_TYPE, type CheckpointList, type CheckpointPayload, type HostLogs, type SignedCheckpoint } from '../../approval/protocol.js';
import type { JsonValue } from '../../json.js';
import { canonicalBytes } from '../canonical.js';

/**
 * Signed checkpoints: the approval service's signed statement "I received head (seq, hash) of log
 * X from host H at T". Signed over RFC 8785 bytes like receipts, told apart from them by `type`
 * (a receipt has none, so neither can be passed off as the other). Pure: no I/O.
 */

export type CheckpointProblem = 'malformed' | 'wrong_type' | 'wrong_key' | 'bad_signature';

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly problem: CheckpointProblem,
    message: string,
  ) {
    super(message);
  }
}

export function signCheckpoint(payload: CheckpointPayload, privateKey: KeyObject): SignedCheckpoint {
  return { payload, signature: sign(null, canonicalBytes(payload as unknown as JsonValue), privateKey).toString('base64') };
}

const HEX64 = /^[0-9a-f]{64}$/;
const LOG_ID = /^[0-9a-f]{16}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is string => typeof v === 'string' && Number.isFinite(Date.parse(v));
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The first thing wrong with a payload's shape, or undefined. */
function payloadProblem(p: Record<string, unknown>): string | undefined {
  if (p.v !== 1) return 'v is not 1';
  if (typeof p.log_id !== 'string' || !LOG_ID.test(p.log_id)) return 'log_id is not a log id';
  if (typeof p.host !== 'string') return 'host is missing';
  if (!isSeq(p.seq)) return 'seq is not a non-negative integer';
  if (typeof p.hash !== 'string' || !HEX64.test(p.hash)) return 'hash is not a hex SHA-256';
  if (typeof p.by !== 'string') return 'by is missing';
  if (!isTime(p.received_at)) return 'received_at is not a timestamp';
  if (typeof p.key_id !== 'string') return 'key_id is missing';
  if (p.conflict !== undefined) {
    const c = p.conflict;
    if (!isObject(c) || (c.kind !== 'regressed' && c.kind !== 'forked') || !isSeq(c.seq) || typeof c.hash !== 'string' || !isTime(c.received_at)) {
      return 'conflict is malformed';
    }
  }
  return undefined;
}

/**
 * Accepts a checkpoint only if it is well formed, of our type, and signed by `key` over exactly
 * these bytes. The input is untrusted (it came over the network); anything else throws.
 */
export function verifyCheckpoint(value: unknown, key: KeyObject): CheckpointPayload {
  if (!isObject(value) || !isObject(value.payload) || typeof value.signature !== 'string') {
    throw new CheckpointError('malformed', 'the checkpoint is not {payload, signature}');
  }
  const p = value.payload;
  if (p.type !== CHECKPOINT_TYPE) throw new CheckpointError('wrong_type', `the signed object is not a checkpoint (type ${JSON.stringify(p.type)})`);
  const problem = payloadProblem(p);
  if (problem !== undefined) throw new CheckpointError('malformed', `the checkpoint is malformed: ${problem}`);
  const payload = p as unknown as CheckpointPayload;
  if (payload.key_id !== keyId(key)) throw new CheckpointError('wrong_key', `the checkpoint names key ${payload.key_id}, not the trusted service key ${keyId(key)}`);
  let valid: boolean;
  try {
    valid = verify(null, canonicalBytes(payload as unknown as JsonValue), key, Buffer.from(value.signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) throw new CheckpointError('bad_signature', `the checkpoint of record ${payload.seq} of log ${payload.log_id} does not verify with the service key ${keyId(key)}`);
  return payload;
}

// Reply shapes (signatures are checked separately, by verifyCheckpoint).

const malformed = (what: string): never => {
  throw new ApprovalError('malformed', `the approval service's reply to ${what} is malformed`, {
    hint: 'the service may be older than this gate (no anchoring), or another program answers at that address',
  });
};

export function parseCheckpointReply(value: unknown): SignedCheckpoint {
  if (!isObject(value) || !isObject(value.checkpoint)) return malformed('POST /v1/audit/heads');
  return value.checkpoint as unknown as SignedCheckpoint;
}

export function parseCheckpointList(value: unknown): CheckpointList {
  if (!isObject(value) || typeof value.log_id !== 'string' || !Array.isArray(value.checkpoints) || (value.next !== undefined && !isSeq(value.next))) {
    return malformed('GET /v1/audit/heads');
  }
  return { log_id: value.log_id, checkpoints: value.checkpoints as SignedCheckpoint[], ...(value.next !== undefined ? { next: value.next as number } : {}) };
}

export function parseHostLogs(value: unknown): HostLogs {
  if (!isObject(value) || typeof value.host !== 'string' || !Array.isArray(value.logs)) return malformed('GET /v1/audit/hosts');
  const logs = value.logs.map((entry: unknown) => {
    if (!isObject(entry) || typeof entry.log_id !== 'string' || !isTime(entry.first_received_at) || !isSeq(entry.checkpoints) || !isObject(entry.latest)) {
      return malformed('GET /v1/audit/hosts');
    }
    return { log_id: entry.log_id, first_received_at: entry.first_received_at, checkpoints: entry.checkpoints, latest: entry.latest as unknown as SignedCheckpoint };
  });
  return { host: value.host, logs };
}
