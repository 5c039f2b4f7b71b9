import { FINAL_STATUSES, type ApprovalRequest, type CreateRequestBody, type LogHeadWire, type RequestStatus, type ServerKey, type SignedCheckpoint } from '../approval/protocol.js';
import type { CompiledPolicy } from '../policy/index.js';
import { checkMayDecide, isRequester, mayDecide, mayView, samePerson } from './approvers.js';
import { AuditService } from './audit-service.js';
import { iso, systemClock, type Clock } from './clock.js';
import { ApiError } from './errors.js';
import { evaluateRequest, policyEnvNames, toWire } from './evaluate.js';
import { EventHub } from './hub.js';
import { hashToken, newQuestionId, newReceiptId, newRequestId } from './ids.js';
import type { ServerKeyPair } from './keys.js';
import { createRequest, expireIfDue, step, type Action } from './lifecycle.js';
import { ed25519Signer, type Signer } from './receipts.js';
import { dueNotices, nextNoticeAt, type Notice } from './reminders/notices.js';
import type { RenderedTransition, Store, StoredEvent } from './store/store.js';
import type { PrincipalRecord, RequestRecord, Transition } from './types.js';
import { toApprovalRequest } from './wire.js';

export interface ServiceOptions {
  readonly store: Store;
  readonly policy: CompiledPolicy;
  readonly key: ServerKeyPair;
  /** Base URL approvers use; request urls are `${publicUrl}/requests/<id>`. */
  readonly publicUrl: string;
  readonly receiptTtlSeconds: number;
  readonly clock?: Clock;
  readonly hub?: EventHub;
  /** One line per state change; never given tokens, commands or environment values. */
  readonly log?: (line: string) => void;
}

/** How many pending requests a notice sweep (reminders, escalations) considers. */
const NOTICE_SCAN = 10_000;
/** How many requests a listing considers, newest first. */
const LIST_SCAN = 1000;
const LIST_MAX = 200;
/** setTimeout cannot wait longer than 2^31-1 ms; a farther expiry re-arms on wake-up. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The approval service: authenticates, runs the pure lifecycle inside store transactions, and
 * publishes committed events. HTTP-agnostic: app.ts maps routes onto these methods.
 */
export class ApprovalService {
  readonly hub: EventHub;
  /** Anchored host log heads and the service's own log (audit-service.ts). */
  readonly audit: AuditService;
  private readonly store: Store;
  private readonly policy: CompiledPolicy;
  private readonly key: ServerKeyPair;
  private readonly signer: Signer;
  private readonly publicUrl: string;
  private readonly receiptTtlSeconds: number;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly envNames: readonly string[];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;

  constructor(options: ServiceOptions) {
    this.store = options.store;
    this.policy = options.policy;
    this.key = options.key;
    this.signer = ed25519Signer(options.key.privateKey, options.key.keyId);
    this.publicUrl = options.publicUrl.replace(/\/+$/, '');
    this.receiptTtlSeconds = options.receiptTtlSeconds;
    this.clock = options.clock ?? systemClock;
    this.hub = options.hub ?? new EventHub();
    this.log = options.log ?? (() => undefined);
    this.envNames = policyEnvNames(options.policy);
    this.audit = new AuditService({ store: this.store, key: this.key, clock: this.clock, log: this.log });
  }

  /** `Authorization: Bearer <token>` -> the active principal; anything else is 401. */
  authenticate(authorization: string | undefined): PrincipalRecord {
    const match = /^Bearer ([A-Za-z0-9_.~+/=-]{1,512})$/.exec(authorization?.trim() ?? '');
    if (match === null) throw new ApiError('unauthenticated', 'send Authorization: Bearer <token> (create one with `gate token create` on the server)');
    const principal = this.store.principalByTokenHash(hashToken(match[1]!));
    if (principal === undefined) throw new ApiError('unauthenticated', 'unknown or revoked token');
    return principal;
  }

  serverKey(): ServerKey {
    return this.key.wire;
  }

  policyEnv(): { names: string[] } {
    return { names: [...this.envNames] };
  }

  /** With the body's `log_head`, the reply also carries its signed checkpoint. */
  create(actor: PrincipalRecord, body: CreateRequestBody): WithCheckpoint<ApprovalRequest> {
    const now = this.clock();
    const evaluation = evaluateRequest(this.policy, {
      command: body.command,
      env: body.context.env,
      requester: actor.kind,
      client: body.client_decision,
    });
    const transition = createRequest({
      id: newRequestId(),
      now,
      requester: actor,
      body,
      evaluation,
      policyDigest: this.policy.set.digest,
      defaultRequirement: toWire(this.policy.set.defaultApproval),
    });
    const events = this.store.insertRequest(this.render(transition, now));
    this.hub.publish(events);
    this.log(`${transition.next.id} created by ${actor.name} (${actor.kind}): ${transition.next.status}`);
    if (transition.next.status === 'pending') this.arm(Math.min(Date.parse(transition.next.expires_at), nextNoticeAt(transition.next, new Set()) ?? Infinity));
    return { ...this.wire(transition.next), ...this.audit.anchorAlong(actor, body.log_head, body.command.host) };
  }

  get(actor: PrincipalRecord, id: string): ApprovalRequest {
    return this.wire(this.visible(actor, id));
  }

  /** Requests the caller may see: approvers get what they may still decide (for pending), requesters their own. */
  list(actor: PrincipalRecord, status: RequestStatus | undefined): ApprovalRequest[] {
    this.expireDue();
    const out: ApprovalRequest[] = [];
    const now = this.clock();
    for (const r of this.store.listRequests({ ...(status !== undefined ? { status } : {}), limit: LIST_SCAN })) {
      const show = isRequester(actor, r) || (r.status === 'pending' ? mayDecide(actor, r, now) && !r.approvals.some((a) => samePerson(a.approver, actor.name)) : mayView(actor, r, now));
      if (show) out.push(this.wire(r));
      if (out.length >= LIST_MAX) break;
    }
    return out;
  }

  /**
   * `channel` records how a vote arrived: `api` (gate approve), `slack`, `web`. `signedInMs` is
   * when the actor last proved who they are there, for rules with `reauth`: the web passes its
   * session's sign-in; an API call presents its bearer token, so it is fresh; any other channel
   * that passes none (a Slack click) cannot prove a sign-in and cannot approve such a rule.
   */
  act(actor: PrincipalRecord, id: string, reported: Action, channel = 'api', signedInMs?: number): WithCheckpoint<ApprovalRequest> {
    const now = this.clock();
    const authenticatedMs = signedInMs ?? (channel === 'api' ? now.getTime() : undefined);
    // An outcome's log head is anchored, not kept in the request's outcome.
    const { action, head } = splitHead(reported);
    let refusal: ApiError | undefined;
    const result = this.store.transact(id, (current) => {
      // An escalation the timer has not recorded yet is recorded first: a vote it enables must not precede it.
      const notices = dueNotices(current, now, this.recorded(id)).filter((n) => n === 'escalated');
      const outcome = step(current, actor, action, {
        now,
        receiptTtlSeconds: this.receiptTtlSeconds,
        signer: this.signer,
        newReceiptId,
        newQuestionId,
        channel,
        ...(authenticatedMs !== undefined ? { authenticatedMs } : {}),
      });
      refusal = outcome.refusal;
      const transition = withNotices(notices, current, outcome.transition);
      return transition === undefined ? undefined : this.render(transition, now);
    });
    if (result === undefined) throw notFound(id);
    this.hub.publish(result.events);
    if (result.events.length > 0) this.log(`${id} ${result.events.map((e) => e.type).join(', ')} (${actor.name}): ${result.record.status}`);
    // An unclaimed receipt expires too: wake up once it can no longer be claimed.
    if (result.record.status === 'approved' && result.record.receipt !== undefined) this.arm(Date.parse(result.record.receipt.payload.not_after) + 1);
    const anchored = this.audit.anchorAlong(actor, head, result.record.command.host);
    if (refusal !== undefined) throw refusal;
    return { ...this.wire(result.record), ...anchored };
  }

  /**
   * Throws the refusal that deciding `id` would meet right now (not an approver, self-approval,
   * already decided, ...), for a UI that asks for a reason before it decides. Writes nothing;
   * the decision itself is checked again by act().
   */
  assertMayDecide(actor: PrincipalRecord, id: string): void {
    const record = this.store.getRequest(id);
    if (record === undefined) throw notFound(id);
    checkMayDecide(actor, record, this.clock());
    const status = expireIfDue(record, this.clock())?.next.status ?? record.status;
    if (status !== 'pending') throw new ApiError('already_decided', `request ${id} is already ${status}`);
  }

  /** For an event stream: the stored events after `afterSeq`, and whether the request is final. */
  events(actor: PrincipalRecord, id: string, afterSeq: number): { replay: StoredEvent[]; final: boolean } {
    const record = this.visible(actor, id);
    return { replay: this.store.eventsAfter(id, afterSeq), final: FINAL_STATUSES.includes(record.status) };
  }

  /** Does what is due now (expiry, reminders, escalations) and arms the timer for what is next (also after a restart). */
  start(): void {
    this.stopped = false;
    this.sweep();
    this.rearm();
  }

  /** Everything time alone does: expire what is past its deadline, then record due reminders and escalations. */
  sweep(): void {
    this.expireDue();
    this.recordNotices();
  }

  /** Records each due reminder and escalation as an event of its request, once (notify/ delivers them). */
  recordNotices(): void {
    const now = this.clock();
    for (const pending of this.store.listRequests({ status: 'pending', limit: NOTICE_SCAN })) {
      if (dueNotices(pending, now, this.recorded(pending.id)).length === 0) continue;
      const result = this.store.transact(pending.id, (current) => {
        // Checked again under the write lock: another process may have recorded it meanwhile.
        const notices = dueNotices(current, now, this.recorded(current.id));
        return notices.length === 0 ? undefined : this.render({ next: current, events: notices }, now);
      });
      if (result !== undefined && result.events.length > 0) {
        this.hub.publish(result.events);
        this.log(`${pending.id} ${result.events.map((e) => e.type).join(', ')}`);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Moves every pending request past its deadline (and every unclaimable approval) to `expired`, each in its own transaction. */
  expireDue(): void {
    const now = this.clock();
    for (const id of this.store.duePending(now.getTime())) {
      const result = this.store.transact(id, (current) => {
        const t = expireIfDue(current, now);
        return t === undefined ? undefined : this.render(t, now);
      });
      if (result !== undefined && result.events.length > 0) {
        this.hub.publish(result.events);
        this.log(`${id} expired`);
      }
    }
  }

  private visible(actor: PrincipalRecord, id: string): RequestRecord {
    let record = this.store.getRequest(id);
    if (record === undefined) throw notFound(id);
    if (!mayView(actor, record, this.clock())) throw new ApiError('forbidden', `${actor.name} is neither the requester nor an approver of ${id}`);
    if (expireIfDue(record, this.clock()) !== undefined) {
      this.expireDue();
      record = this.store.getRequest(id) ?? record;
    }
    return record;
  }

  private render(t: Transition, now: Date): RenderedTransition {
    return { ...t, at: iso(now), snapshot: this.wire(t.next) };
  }

  private wire(record: RequestRecord): ApprovalRequest {
    return toApprovalRequest(record, this.publicUrl, this.clock());
  }

  /** The notices already in the request's stored events: the durable memory that makes each one happen once. */
  private recorded(id: string): Set<Notice> {
    const out = new Set<Notice>();
    for (const e of this.store.eventsAfter(id, 0)) if (e.type === 'reminded' || e.type === 'escalated') out.add(e.type);
    return out;
  }

  /** The earliest expiry or notice still to come, over every request. */
  private nextWake(): number | undefined {
    let next = this.store.nextExpiry() ?? Infinity;
    for (const r of this.store.listRequests({ status: 'pending', limit: NOTICE_SCAN })) {
      const at = nextNoticeAt(r, this.recorded(r.id));
      if (at !== undefined && at < next) next = at;
    }
    return Number.isFinite(next) ? next : undefined;
  }

  private arm(at: number): void {
    if (!this.stopped && at < this.timerAt) this.schedule(at);
  }

  private rearm(): void {
    const next = this.nextWake();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    if (next !== undefined && !this.stopped) this.schedule(next);
  }

  private schedule(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    const delay = Math.min(Math.max(0, at - this.clock().getTime()), MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      try {
        this.sweep();
        this.rearm();
      } catch (error) {
        // A timer must not crash the server; the next read or transition expires lazily anyway.
        this.log(`timer sweep failed: ${(error as Error).message}`);
      }
    }, delay);
    this.timer.unref();
  }
}

/** A reply that may carry the signed checkpoint of a log head sent along with the call. */
export type WithCheckpoint<T> = T & { readonly checkpoint?: SignedCheckpoint };

function splitHead(action: Action): { action: Action; head?: LogHeadWire } {
  if (action.type !== 'outcome' || action.outcome.log_head === undefined) return { action };
  const { log_head: head, ...outcome } = action.outcome;
  return { action: { type: 'outcome', outcome }, head };
}

/** A step's transition with the notices recorded before it (or on their own when the step changed nothing). */
function withNotices(notices: readonly Notice[], current: RequestRecord, t: Transition | undefined): Transition | undefined {
  if (notices.length === 0) return t;
  return t === undefined ? { next: current, events: notices } : { next: t.next, events: [...notices, ...t.events] };
}

const notFound = (id: string): ApiError => new ApiError('not_found', `no request ${id}`);
