import { displayCommand } from '../display.js';
import type { ApprovalRequest } from '../approval/protocol.js';
import type { JsonValue } from '../json.js';
import type { WaitUpdate } from './updates.js';

export interface Described {
  /** One line for people (not yet sanitized). */
  readonly message: string;
  /** Event-specific fields for the JSON lines. */
  readonly fields: Readonly<Record<string, JsonValue>>;
}

/** The one place that words each update: the plain lines, the JSON lines and the live view agree. */
export function describe(update: WaitUpdate): Described {
  switch (update.type) {
    case 'created': {
      const r = update.request;
      return {
        message: `waiting for approval: ${r.id} (${r.progress}) ${r.url}`,
        fields: { expires_at: r.expires_at, rules: [...new Set(r.rules.map((rule) => rule.id))] },
      };
    }
    case 'approval': {
      const a = update.approval;
      return {
        message: `approval from ${a.approver} (${update.request.progress})${a.comment ? `: ${a.comment}` : ''}`,
        fields: { approver: a.approver, ...(a.comment !== undefined ? { comment: a.comment } : {}) },
      };
    }
    case 'question': {
      const q = update.question;
      return { message: `question from ${q.by}: ${q.question}`, fields: { question_id: q.id, by: q.by, question: q.question } };
    }
    case 'answer': {
      const q = update.question;
      return { message: `answered ${q.by}: ${q.answer ?? ''}`, fields: { question_id: q.id, by: q.by, answer: q.answer ?? '' } };
    }
    case 'approved': {
      const names = approverNames(update.request);
      return { message: `approved by ${names.join(', ')}`, fields: { approvers: names } };
    }
    case 'denied': {
      const d = update.request.denial;
      return {
        message: d ? `denied by ${d.by}: ${d.reason}` : 'denied',
        fields: d ? { by: d.by, reason: d.reason, by_policy: d.by_policy } : {},
      };
    }
    case 'expired':
      return { message: `expired at ${update.request.expires_at} without a decision`, fields: { expires_at: update.request.expires_at } };
    case 'cancelled':
      return { message: `request ${update.request.id} cancelled`, fields: {} };
    case 'executing':
      return { message: `approval verified; running: ${displayCommand(update.request.command.argv)}`, fields: {} };
    case 'reconnecting':
      return {
        message: `lost the connection to the approval service (${update.reason}); reconnecting in ${Math.ceil(update.delayMs / 1000)}s`,
        fields: { reason: update.reason, retry_in_ms: update.delayMs },
      };
    case 'reconnected':
      return { message: 'reconnected to the approval service', fields: {} };
    case 'error':
      return { message: update.message, fields: { code: update.code } };
  }
}

function approverNames(request: ApprovalRequest): string[] {
  const approvers = request.receipt?.payload.approvers;
  if (Array.isArray(approvers) && approvers.length > 0) return approvers.map((a) => a.name);
  return request.approvals.map((a) => a.approver);
}
