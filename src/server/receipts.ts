import type { KeyObject } from 'node:crypto';
import type { ReceiptPayload, SignedReceipt } from '../approval/protocol.js';
import { signReceipt } from '../approval/receipt.js';
import { addSeconds, iso } from './clock.js';
import type { RequestRecord } from './types.js';

/** Signs receipts; a seam so the lifecycle stays pure and tests can count signatures. */
export interface Signer {
  readonly keyId: string;
  sign(payload: ReceiptPayload): SignedReceipt;
}

export function ed25519Signer(privateKey: KeyObject, keyId: string): Signer {
  return { keyId, sign: (payload) => signReceipt(payload, privateKey) };
}

/**
 * The receipt for an approved request: bound to the digest computed at creation (the command
 * and the requester), naming every approver, valid for `ttlSeconds` from the decision.
 */
export function issueReceipt(request: RequestRecord, decidedAt: Date, ttlSeconds: number, receiptId: string, signer: Signer): SignedReceipt {
  return signer.sign({
    v: 1,
    receipt_id: receiptId,
    request_id: request.id,
    command_digest: request.command_digest,
    requester: request.requester.name,
    approvers: request.approvals.map((a) => ({ name: a.approver, at: a.at })),
    decided_at: iso(decidedAt),
    not_after: iso(addSeconds(decidedAt, ttlSeconds)),
    key_id: signer.keyId,
  });
}
