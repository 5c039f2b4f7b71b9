import { createHash } from 'node:crypto';
import type { ApprovalRequest } from '../../../approval/protocol.js';

/**
 * The JSON a webhook receiver gets, pure. Each delivery carries the whole request as of its
 * latest event (later deliveries may skip states that passed quickly: act on `request.status`).
 */

export type WebhookEventType =
  | 'gate.request.created'
  /** Still pending: an approval, a question or an answer. */
  | 'gate.request.updated'
  | 'gate.request.approved'
  | 'gate.request.executing'
  | 'gate.request.executed'
  | 'gate.request.denied'
  | 'gate.request.expired'
  | 'gate.request.cancelled'
  /** Still pending and about to expire (sent once, when the policy's reminder is due). */
  | 'gate.request.reminder';

export interface WebhookPayload {
  readonly type: WebhookEventType;
  /** Equal to the X-Gate-Delivery header. */
  readonly id: string;
  /** When the state this delivery describes was reached (ISO 8601). */
  readonly at: string;
  readonly request: Omit<ApprovalRequest, 'receipt'>;
}

/** The announcement of a request, or a later state of it. */
export type DeliveryKind = 'post' | 'update' | 'remind';

export function eventType(kind: DeliveryKind, r: ApprovalRequest): WebhookEventType {
  if (kind === 'post') return 'gate.request.created';
  if (kind === 'remind') return 'gate.request.reminder';
  return r.status === 'pending' ? 'gate.request.updated' : `gate.request.${r.status}`;
}

/**
 * Stable across every retry of one delivery, restarts included, so receivers can dedupe: the
 * announcement is one delivery whatever state it carries; each later state is its own.
 */
export function deliveryId(requestId: string, target: string, kind: DeliveryKind, seq: number): string {
  const what = kind === 'post' ? 'created' : kind === 'remind' ? 'reminder' : `seq:${seq}`;
  return `dlv_${createHash('sha256').update(`${requestId}\n${target}\n${what}`).digest('hex').slice(0, 32)}`;
}

export function webhookPayload(type: WebhookEventType, id: string, r: ApprovalRequest): WebhookPayload {
  // The signed receipt is the requester's proof of approval; no other party needs it.
  const { receipt: _receipt, ...request } = r;
  return { type, id, at: stateTime(r), request };
}

/** The latest instant the snapshot records. */
function stateTime(r: ApprovalRequest): string {
  const times = [r.created_at, r.decided_at, r.denial?.at, ...r.approvals.map((a) => a.at), ...r.questions.flatMap((q) => [q.at, q.answered_at])];
  let latest = r.created_at;
  for (const t of times) if (t !== undefined && Date.parse(t) > Date.parse(latest)) latest = t;
  return latest;
}
