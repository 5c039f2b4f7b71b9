import type { ApprovalRequest } from '../approval/protocol.js';
import { progress } from './approvers.js';
import type { RequestRecord } from './types.js';

/**
 * The wire form of a stored request: what clients and event streams see (no server-only fields).
 * `now` is when it is rendered: the progress of an escalated request names the escalation.
 */
export function toApprovalRequest(r: RequestRecord, publicUrl: string, now: Date = new Date()): ApprovalRequest {
  return {
    id: r.id,
    status: r.status,
    created_at: r.created_at,
    expires_at: r.expires_at,
    requester: r.requester,
    command: r.command,
    command_digest: r.command_digest,
    context: r.context,
    requirement: r.requirement,
    rules: r.rules,
    approvals: r.approvals,
    ...(r.denial !== undefined ? { denial: r.denial } : {}),
    questions: r.questions,
    ...(r.receipt !== undefined ? { receipt: r.receipt } : {}),
    ...(r.outcome !== undefined ? { outcome: r.outcome } : {}),
    ...(r.decided_at !== undefined ? { decided_at: r.decided_at } : {}),
    progress: progress(r, now),
    url: `${publicUrl}/requests/${r.id}`,
  };
}
