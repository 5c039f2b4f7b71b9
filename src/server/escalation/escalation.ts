import type { ApprovalRequirementWire } from '../../approval/protocol.js';

/**
 * When a request's escalation takes effect, and what it changes. Pure: the instant follows from
 * the stored request alone (created_at + escalate.after_seconds), so every check (who may decide,
 * is the quorum met, what the progress says) agrees, before and after a restart, whether or not
 * the `escalated` event has been written yet.
 *
 * Semantics: from that instant, while pending, the requirement is `from` OR `escalate.to`; the
 * `to` groups become approvers too (approve, deny, ask). Self-approval and on-behalf rules are
 * unchanged, and a denial by any eligible approver still ends the request.
 */

interface Escalatable {
  readonly created_at: string;
  readonly requirement: ApprovalRequirementWire;
}

/** Epoch ms at which the escalation takes effect; undefined without one. */
export function escalationAt(request: Escalatable): number | undefined {
  const escalate = request.requirement.escalate;
  return escalate === undefined ? undefined : Date.parse(request.created_at) + escalate.after_seconds * 1000;
}

export function escalationActive(request: Escalatable, now: Date): boolean {
  const at = escalationAt(request);
  return at !== undefined && now.getTime() >= at;
}

/** Every group whose members may decide now: `from`, plus `escalate.to` once active. Empty: anyone human. */
export function deciderGroups(request: Escalatable, now: Date): string[] {
  const groups = request.requirement.from.map((f) => f.group);
  if (groups.length === 0 || !escalationActive(request, now)) return groups;
  return [...new Set([...groups, ...request.requirement.escalate!.to.map((t) => t.group)])];
}
