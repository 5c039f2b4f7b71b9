import { FINAL_STATUSES, type ApprovalRequest, type CreateRequestBody, type RequestStatus, type ServerKey } from '../approval/protocol.js';
import type { CompiledPolicy } from '../policy/index.js';
import { isRequester, mayDecide, mayView, samePerson } from './approvers.js';
import { iso, systemClock, type Clock } from './clock.js';
import { ApiError } from './errors.js';
import { evaluateRequest, policyEnvNames, toWire } from './evaluate.js';
import { EventHub } from './hub.js';
import { hashToken, newQuestionId, newReceiptId, newRequestId } from './ids.js';
import type { ServerKeyPair } from './keys.js';
import { createRequest, expireIfDue, step, type Action } from './lifecycle.js';
import { ed25519Signer, type Signer } from './receipts.js';
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

  create(actor: PrincipalRecord, body: CreateRequestBody): ApprovalRequest {
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
    if (transition.next.status === 'pending') this.arm(Date.parse(transition.next.expires_at));
    return this.wire(transition.next);
  }

  get(actor: PrincipalRecord, id: string): ApprovalRequest {
    return this.wire(this.visible(actor, id));
  }

  /** Requests the caller may see: approvers get what they may still decide (for pending), requesters their own. */
  list(actor: PrincipalRecord, status: RequestStatus | undefined): ApprovalRequest[] {
    this.expireDue();
    const out: ApprovalRequest[] = [];
    for (const r of this.store.listRequests({ ...(status !== undefined ? { status } : {}), limit: LIST_SCAN })) {
      const show = isRequester(actor, r) || (r.status === 'pending' ? mayDecide(actor, r) && !r.approvals.some((a) => samePerson(a.approver, actor.name)) : mayView(actor, r));
      if (show) out.push(this.wire(r));
      if (out.length >= LIST_MAX) break;
    }
    return out;
  }

  act(actor: PrincipalRecord, id: string, action: Action): ApprovalRequest {
    const now = this.clock();
    let refusal: ApiError | undefined;
    const result = this.store.transact(id, (current) => {
      const outcome = step(current, actor, action, {
        now,
        receiptTtlSeconds: this.receiptTtlSeconds,
        signer: this.signer,
        newReceiptId,
        newQuestionId,
        channel: 'api',
      });
      refusal = outcome.refusal;
      return outcome.transition === undefined ? undefined : this.render(outcome.transition, now);
    });
    if (result === undefined) throw notFound(id);
    this.hub.publish(result.events);
    if (result.events.length > 0) this.log(`${id} ${result.events.map((e) => e.type).join(', ')} (${actor.name}): ${result.record.status}`);
    // An unclaimed receipt expires too: wake up once it can no longer be claimed.
    if (result.record.status === 'approved' && result.record.receipt !== undefined) this.arm(Date.parse(result.record.receipt.payload.not_after) + 1);
    if (refusal !== undefined) throw refusal;
    return this.wire(result.record);
  }

  /** For an event stream: the stored events after `afterSeq`, and whether the request is final. */
  events(actor: PrincipalRecord, id: string, afterSeq: number): { replay: StoredEvent[]; final: boolean } {
    const record = this.visible(actor, id);
    return { replay: this.store.eventsAfter(id, afterSeq), final: FINAL_STATUSES.includes(record.status) };
  }

  /** Expires what is due now and arms the timer for the next expiry (also after a restart). */
  start(): void {
    this.stopped = false;
    this.expireDue();
    this.rearm();
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
    if (!mayView(actor, record)) throw new ApiError('forbidden', `${actor.name} is neither the requester nor an approver of ${id}`);
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
    return toApprovalRequest(record, this.publicUrl);
  }

  private arm(at: number): void {
    if (!this.stopped && at < this.timerAt) this.schedule(at);
  }

  private rearm(): void {
    const next = this.store.nextExpiry();
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
        this.expireDue();
        this.rearm();
      } catch (error) {
        // A timer must not crash the server; the next read or transition expires lazily anyway.
        this.log(`expiry sweep failed: ${(error as Error).message}`);
      }
    }, delay);
    this.timer.unref();
  }
}

const notFound = (id: string): ApiError => new ApiError('not_found', `no request ${id}`);
