import type { ApprovalRecord, ApprovalRequirementWire } from '../approval/protocol.js';
import { deciderGroups, escalationActive } from './escalation/escalation.js';
import { ApiError } from './errors.js';
import type { PrincipalRecord, RequestRecord } from './types.js';

/**
 * Who may decide a request, and when enough of them have. Pure: no I/O; `now` is passed in, since
 * an escalation (escalation/escalation.ts) widens both from a point in time on (the service always
 * passes its own clock; the wall-clock default is for callers without one). These checks have
 * no admin bypass; a principal is only ever what its token says it is.
 */

/** Names compare case-insensitively: "Alice" approving a request of "alice" is still self-approval. */
export const samePerson = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Throws the protocol's 403 code when `actor` may not approve, deny or question `request`. */
export function checkMayDecide(actor: PrincipalRecord, request: RequestRecord, now: Date = new Date()): void {
  if (actor.kind !== 'human') {
    throw new ApiError('agent_cannot_approve', `only humans approve; ${actor.name} is a${actor.kind === 'agent' ? 'n agent' : ' ci'} principal`);
  }
  if (actor.id === request.requester_id || samePerson(actor.name, request.requester.name)) {
    throw new ApiError('self_approval', `${actor.name} asked for this command and cannot decide it`);
  }
  const onBehalf = request.context.on_behalf_of;
  if (onBehalf !== undefined && samePerson(actor.name, onBehalf) && !request.requirement.on_behalf_may_approve) {
    throw new ApiError('self_approval', `${request.requester.name} acts on behalf of ${actor.name}, so ${actor.name} cannot decide it (the policy does not allow it)`);
  }
  const groups = deciderGroups(request, now);
  if (groups.length > 0 && !actor.groups.some((g) => groups.includes(g))) {
    throw new ApiError('not_an_approver', `${actor.name} is not in ${groups.length === 1 ? 'group' : 'any of the groups'} ${groups.join(', ')}`);
  }
}

export function mayDecide(actor: PrincipalRecord, request: RequestRecord, now: Date = new Date()): boolean {
  try {
    checkMayDecide(actor, request, now);
    return true;
  } catch {
    return false;
  }
}

export const isRequester = (actor: PrincipalRecord, request: RequestRecord): boolean => actor.id === request.requester_id;

/** The requester, the human it acts for, anyone who may decide and anyone who already took part. */
export function mayView(actor: PrincipalRecord, request: RequestRecord, now: Date = new Date()): boolean {
  if (isRequester(actor, request) || mayDecide(actor, request, now)) return true;
  if (request.context.on_behalf_of !== undefined && actor.kind === 'human' && samePerson(actor.name, request.context.on_behalf_of)) return true;
  return request.approvals.some((a) => samePerson(a.approver, actor.name)) || request.questions.some((q) => samePerson(q.by, actor.name));
}

export interface Quorum {
  readonly met: boolean;
  /** Per `from` entry (same order): how many of its slots are filled. */
  readonly filled: readonly number[];
}

/**
 * Every `from` entry {group, count} needs `count` distinct approvers of that group, and one person
 * fills at most one slot: a maximum bipartite matching of approvers to slots (Kuhn's augmenting
 * paths; requests have a handful of approvers, so O(V·E) is nothing). Empty `from`: one approval.
 */
export function quorum(requirement: Pick<ApprovalRequirementWire, 'from'>, approvals: readonly ApprovalRecord[]): Quorum {
  if (requirement.from.length === 0) return { met: approvals.length >= 1, filled: [] };
  const slots: number[] = []; // slot -> index of its `from` entry
  requirement.from.forEach((f, entry) => {
    for (let i = 0; i < f.count; i++) slots.push(entry);
  });
  const owner: (number | undefined)[] = new Array<number | undefined>(slots.length).fill(undefined);
  const fits = (person: number, slot: number): boolean => approvals[person]!.groups.includes(requirement.from[slots[slot]!]!.group);
  const assign = (person: number, seen: boolean[]): boolean => {
    for (let slot = 0; slot < slots.length; slot++) {
      if (seen[slot] || !fits(person, slot)) continue;
      seen[slot] = true;
      const current = owner[slot];
      if (current === undefined || assign(current, seen)) {
        owner[slot] = person;
        return true;
      }
    }
    return false;
  };
  approvals.forEach((_, person) => assign(person, new Array<boolean>(slots.length).fill(false)));
  const filled = requirement.from.map(() => 0);
  owner.forEach((person, slot) => {
    if (person !== undefined) filled[slots[slot]!]! += 1;
  });
  return { met: owner.every((p) => p !== undefined), filled };
}

/** Met by `from`, or (once the escalation is active) by `escalate.to` on its own. */
export function quorumMet(request: RequestRecord, approvals: readonly ApprovalRecord[], now: Date): boolean {
  if (quorum(request.requirement, approvals).met) return true;
  const escalate = request.requirement.escalate;
  return escalate !== undefined && escalationActive(request, now) && quorum({ from: escalate.to }, approvals).met;
}

/** "1 of 2 approvals from dba; 0 of 1 from security", or "waiting for 1 approval" with no groups. */
export function approvalProgress(requirement: Pick<ApprovalRequirementWire, 'from'>, approvals: readonly ApprovalRecord[]): string {
  if (requirement.from.length === 0) return approvals.length >= 1 ? '1 of 1 approval' : 'waiting for 1 approval';
  const { filled } = quorum(requirement, approvals);
  return requirement.from
    .map((f, i) => `${filled[i]} of ${f.count}${i === 0 ? ` approval${f.count === 1 ? '' : 's'}` : ''} from ${f.group}`)
    .join('; ');
}

/** While escalated: "1 of 2 approvals from dba; or escalated: 0 of 1 from leads". */
function pendingProgress(request: RequestRecord, now: Date): string {
  const own = approvalProgress(request.requirement, request.approvals);
  const escalate = request.requirement.escalate;
  if (escalate === undefined || !escalationActive(request, now)) return own;
  return `${own}; or escalated: ${approvalProgress({ from: escalate.to }, request.approvals)}`;
}

/** The progress line for any status: the counts while pending, the outcome once decided. */
export function progress(request: RequestRecord, now: Date = new Date()): string {
  switch (request.status) {
    case 'pending':
      return pendingProgress(request, now);
    case 'approved':
      return `approved by ${request.approvals.map((a) => a.approver).join(', ')}`;
    case 'denied':
      return request.denial?.by_policy ? 'denied by policy' : `denied by ${request.denial?.by ?? 'an approver'}`;
    case 'expired':
      return request.receipt !== undefined
        ? `expired: approved by ${request.approvals.map((a) => a.approver).join(', ')}, but not used before ${request.receipt.payload.not_after}`
        : `expired (${approvalProgress(request.requirement, request.approvals)})`;
    case 'cancelled':
      return 'cancelled by the requester';
    case 'executing':
      return 'running';
    case 'executed':
      return `executed (exit code ${request.outcome?.exit_code ?? '?'})`;
  }
}
