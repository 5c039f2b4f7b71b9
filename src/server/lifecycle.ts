import type { CreateRequestBody, ExecutionOutcome, RequestStatus } from '../approval/protocol.js';
import { commandDigest } from '../approval/digest.js';
import { checkMayDecide, isRequester, quorumMet, samePerson } from './approvers.js';
import { formatDuration } from '../policy/duration.js';
import { addSeconds, iso } from './clock.js';
import { ApiError, badRequest } from './errors.js';
import type { Evaluation } from './evaluate.js';
import { issueReceipt, type Signer } from './receipts.js';
import type { PrincipalRecord, RequestRecord, Transition } from './types.js';

/**
 * The request state machine, pure: (record, actor, action, now) -> next record + events, or a
 * refusal. The store runs each step inside one write transaction, so two racing approvers see each
 * other's votes and exactly one of them can complete the quorum.
 *
 *   pending -> approved -> executing -> executed
 *      |          \-> cancelled | expired (receipt past not_after, unclaimed)
 *      \-> denied | expired | cancelled
 */

export type Action =
  | { readonly type: 'approve'; readonly comment?: string }
  | { readonly type: 'deny'; readonly reason: string }
  | { readonly type: 'ask'; readonly question: string }
  | { readonly type: 'reply'; readonly answer: string; readonly question_id?: string }
  | { readonly type: 'cancel' }
  | { readonly type: 'claim'; readonly receipt_id: string }
  | { readonly type: 'outcome'; readonly outcome: ExecutionOutcome };

export interface StepDeps {
  readonly now: Date;
  readonly receiptTtlSeconds: number;
  readonly signer: Signer;
  readonly newReceiptId: () => string;
  readonly newQuestionId: () => string;
  /** How approvals arrived (api, slack, web); recorded with each vote. */
  readonly channel: string;
  /**
   * When the actor last proved who they are on this channel (epoch ms), for rules with
   * `reauth_seconds`; absent when the channel cannot tell (a Slack click).
   */
  readonly authenticatedMs?: number;
}

/** A step's result. A refusal may still carry a transition: an expiry noticed on the way. */
export interface Step {
  readonly transition: Transition | undefined;
  readonly refusal: ApiError | undefined;
}

export interface NewRequest {
  readonly id: string;
  readonly now: Date;
  readonly requester: PrincipalRecord;
  readonly body: CreateRequestBody;
  readonly evaluation: Evaluation;
  readonly policyDigest: string;
  readonly defaultRequirement: RequestRecord['requirement'];
}

/** Builds a new request from the combined decision: pending, or already denied by policy. */
export function createRequest(input: NewRequest): Transition {
  const { body, evaluation, now, requester } = input;
  if (evaluation.kind === 'allow') {
    throw badRequest("nothing to approve: both the server's and the client's policy allow this command");
  }
  const requirement = evaluation.kind === 'approve' ? evaluation.requirement : input.defaultRequirement;
  if (evaluation.kind === 'approve' && requirement.reason_required && (body.context.reason ?? '').trim() === '') {
    const rules = evaluation.rules.filter((r) => r.decision === 'approve').map((r) => r.id);
    throw new ApiError('reason_required', `a reason is required for this command${rules.length > 0 ? ` (rules: ${rules.join(', ')})` : ''}: pass --reason`);
  }
  const base: RequestRecord = {
    id: input.id,
    status: 'pending',
    created_at: iso(now),
    expires_at: iso(addSeconds(now, requirement.expires_seconds)),
    requester_id: requester.id,
    requester: { name: requester.name, kind: requester.kind, groups: [...requester.groups] },
    command: body.command,
    command_digest: commandDigest(body.command, requester.name),
    context: body.context,
    requirement,
    rules: evaluation.rules,
    client_decision: body.client_decision,
    policy_digest: input.policyDigest,
    approvals: [],
    questions: [],
  };
  if (evaluation.kind === 'approve') return { next: base, events: ['created'] };
  const at = iso(now);
  return {
    next: { ...base, status: 'denied', decided_at: at, expires_at: at, denial: { by: 'policy', reason: evaluation.reason, at, by_policy: true } },
    events: ['created', 'denied'],
  };
}

/**
 * A pending request past its deadline becomes `expired` (never `denied`: nobody said no). So does
 * an approved one whose receipt can no longer be claimed (past `not_after`): nothing can follow it.
 */
export function expireIfDue(record: RequestRecord, now: Date): Transition | undefined {
  if (record.status === 'pending' && now.getTime() >= Date.parse(record.expires_at)) {
    return { next: { ...record, status: 'expired', decided_at: iso(now) }, events: ['expired'] };
  }
  if (record.status === 'approved' && record.receipt !== undefined && now.getTime() > Date.parse(record.receipt.payload.not_after)) {
    return { next: { ...record, status: 'expired' }, events: ['expired'] };
  }
  return undefined;
}

/** Applies one action after any due expiry; refusals are returned, not thrown, so the expiry sticks. */
export function step(record: RequestRecord, actor: PrincipalRecord, action: Action, deps: StepDeps): Step {
  const expired = expireIfDue(record, deps.now);
  const current = expired?.next ?? record;
  try {
    const applied = apply(current, actor, action, deps);
    return { transition: expired === undefined ? applied : { next: applied.next, events: [...expired.events, ...applied.events] }, refusal: undefined };
  } catch (error) {
    if (error instanceof ApiError) return { transition: expired, refusal: error };
    throw error;
  }
}

function apply(r: RequestRecord, actor: PrincipalRecord, action: Action, deps: StepDeps): Transition {
  const at = iso(deps.now);
  switch (action.type) {
    case 'approve': {
      checkMayDecide(actor, r, deps.now);
      requireStatus(r, 'pending');
      requireNoVote(r, actor);
      requireFreshSignIn(r, deps);
      const approvals = [
        ...r.approvals,
        { approver: actor.name, kind: actor.kind, groups: [...actor.groups], channel: deps.channel, at, ...(action.comment ? { comment: action.comment } : {}) },
      ];
      const voted: RequestRecord = { ...r, approvals };
      if (!quorumMet(r, approvals, deps.now)) return { next: voted, events: ['approval'] };
      const decided: RequestRecord = { ...voted, status: 'approved', decided_at: at };
      const receipt = issueReceipt(decided, deps.now, deps.receiptTtlSeconds, deps.newReceiptId(), deps.signer);
      return { next: { ...decided, receipt }, events: ['approval', 'approved'] };
    }
    case 'deny':
      checkMayDecide(actor, r, deps.now);
      requireStatus(r, 'pending');
      requireNoVote(r, actor);
      return { next: { ...r, status: 'denied', decided_at: at, denial: { by: actor.name, reason: action.reason, at, by_policy: false } }, events: ['denied'] };
    case 'ask':
      checkMayDecide(actor, r, deps.now);
      requireStatus(r, 'pending');
      return { next: { ...r, questions: [...r.questions, { id: deps.newQuestionId(), by: actor.name, question: action.question, at }] }, events: ['question'] };
    case 'reply': {
      requireRequester(r, actor, 'reply');
      requireStatus(r, 'pending');
      const index =
        action.question_id === undefined ? r.questions.findLastIndex((q) => q.answer === undefined) : r.questions.findIndex((q) => q.id === action.question_id);
      const question = r.questions[index];
      if (question === undefined) {
        throw badRequest(action.question_id === undefined ? 'there is no unanswered question to reply to' : `request ${r.id} has no question ${action.question_id}`);
      }
      if (question.answer !== undefined) throw badRequest(`question ${question.id} is already answered`);
      const questions = r.questions.map((q, i) => (i === index ? { ...q, answer: action.answer, answered_at: at } : q));
      return { next: { ...r, questions }, events: ['answer'] };
    }
    case 'cancel':
      requireRequester(r, actor, 'cancel');
      if (r.status === 'executing' || r.status === 'executed') throw new ApiError('already_claimed', `request ${r.id} is already ${r.status}`);
      // An approved request may still be cancelled: its receipt then can never be claimed.
      if (r.status !== 'pending' && r.status !== 'approved') throw alreadyDecided(r);
      return { next: { ...r, status: 'cancelled', decided_at: r.decided_at ?? at }, events: ['cancelled'] };
    case 'claim': {
      requireRequester(r, actor, 'claim');
      if (r.status === 'executing' || r.status === 'executed') throw new ApiError('already_claimed', `the receipt of ${r.id} was already claimed`);
      if (r.status === 'pending') throw badRequest(`request ${r.id} is pending: there is no receipt to claim yet`);
      if (r.status === 'expired' && r.receipt !== undefined) {
        throw new ApiError('receipt_expired', `the receipt of ${r.id} expired at ${r.receipt.payload.not_after}; ask again`);
      }
      if (r.status !== 'approved' || r.receipt === undefined) throw alreadyDecided(r);
      if (action.receipt_id !== r.receipt.payload.receipt_id) throw badRequest(`receipt_id ${action.receipt_id} is not the receipt of ${r.id}`);
      if (deps.now.getTime() > Date.parse(r.receipt.payload.not_after)) {
        throw new ApiError('receipt_expired', `the receipt of ${r.id} expired at ${r.receipt.payload.not_after}; ask again`);
      }
      return { next: { ...r, status: 'executing' }, events: ['executing'] };
    }
    case 'outcome':
      requireRequester(r, actor, 'report the outcome of');
      if (r.status === 'executed') throw new ApiError('already_decided', `the outcome of ${r.id} was already reported`);
      if (r.status !== 'executing') throw badRequest(`request ${r.id} is ${r.status}: claim the receipt before reporting an outcome`);
      return { next: { ...r, status: 'executed', outcome: action.outcome }, events: ['executed'] };
  }
}

const alreadyDecided = (r: RequestRecord): ApiError => new ApiError('already_decided', `request ${r.id} is already ${r.status}`);

function requireStatus(r: RequestRecord, status: RequestStatus): void {
  if (r.status !== status) throw alreadyDecided(r);
}

function requireNoVote(r: RequestRecord, actor: PrincipalRecord): void {
  if (r.approvals.some((a) => samePerson(a.approver, actor.name))) throw new ApiError('already_voted', `${actor.name} already approved ${r.id}`);
}

/**
 * High-risk rules (`reauth_seconds`): an approval counts only from someone who proved who they are
 * within the window. Only approving: a denial or a question can do no harm.
 */
function requireFreshSignIn(r: RequestRecord, deps: StepDeps): void {
  const window = r.requirement.reauth_seconds;
  if (window === undefined) return;
  // Whole seconds, as the web page counts them (web/reauth.ts), so both agree on the boundary.
  const age = deps.authenticatedMs === undefined ? undefined : Math.floor((deps.now.getTime() - deps.authenticatedMs) / 1000);
  if (age !== undefined && age <= window) return;
  throw new ApiError(
    'reauth_required',
    `approving ${r.id} needs a sign-in within the last ${formatDuration(window)}${deps.authenticatedMs === undefined ? ` and ${deps.channel} cannot prove one` : ''}: sign in again on the web page, or use \`gate approve ${r.id}\``,
  );
}

function requireRequester(r: RequestRecord, actor: PrincipalRecord, verb: string): void {
  if (!isRequester(actor, r)) throw new ApiError('forbidden', `only the requester (${r.requester.name}) may ${verb} ${r.id}`);
}
