import type { ApprovalRequest, PrincipalKind, RequestEventType, RequestStatus } from '../../approval/protocol.js';
import type { PrincipalRecord, RequestRecord, Transition } from '../types.js';
import type { AuditStore } from '../audit-store.js';
import type { Outbox } from './outbox.js';

/**
 * Everything the approval service persists. Every backend must pass test/server/store.contract.ts.
 * The guarantees callers rely on:
 *  - `transact` runs read, change and event append as ONE write transaction, serialized against
 *    every other writer on the same database (other processes included);
 *  - event `seq` numbers per request start at 1 and increase by one, with no gaps or duplicates;
 *  - whatever a method returned has been committed durably.
 */
export interface Store {
  addPrincipal(input: NewPrincipal, at: string): PrincipalRecord;
  /** The active (not revoked) principal holding the token with this hash. */
  principalByTokenHash(hash: string): PrincipalRecord | undefined;
  /** The active (not revoked) principal with exactly this name, e.g. for a mapped Slack user. */
  principalByName(name: string): PrincipalRecord | undefined;
  listPrincipals(): PrincipalRecord[];
  /** Revokes an active principal (by name or principal/token id) and all its tokens. */
  revokePrincipal(nameOrId: string, at: string): PrincipalRecord | undefined;

  /** Stores a new request and its first events, atomically. */
  insertRequest(transition: RenderedTransition): StoredEvent[];
  getRequest(id: string): RequestRecord | undefined;
  /** Newest first. */
  listRequests(query: { readonly status?: RequestStatus; readonly limit: number }): RequestRecord[];
  /**
   * Reads the request, lets `change` decide (it may return undefined: nothing to do), then writes
   * the new state and its events, all under one write lock. Returns undefined if no such request.
   * If `change` throws, nothing is written.
   */
  transact(id: string, change: (current: RequestRecord) => RenderedTransition | undefined): { record: RequestRecord; events: StoredEvent[] } | undefined;
  /** Stored events of a request with seq > afterSeq, in order. */
  eventsAfter(id: string, afterSeq: number): StoredEvent[];
  /**
   * Ids of requests due to expire at `nowMs`: pending ones whose expiry is at or before it, and
   * approved ones whose receipt's `not_after` is before it (it can no longer be claimed).
   */
  duePending(nowMs: number): string[];
  /** The earliest instant (ms since epoch) at which duePending would return something new. */
  nextExpiry(): number | undefined;
  /** Delivery state of notifications (Slack messages, ...), in the same database. */
  readonly outbox: Outbox;
  /** Signed requests already accepted (replay protection that survives a restart). */
  readonly seen: SeenOnce;
  /**
   * Anchored host log heads and the service's own signed log. A store opened with the server key
   * appends every request event, principal change and anchored head to that log in the same
   * transaction as the change itself.
   */
  readonly audit: AuditStore;
  close(): void;
}

/** Remembers keys (a request's signature) for a while: the second offer of one is a replay. */
export interface SeenOnce {
  /**
   * True the first time `key` is offered, false if it was accepted before and is still remembered.
   * Forgets keys accepted before `forgetBeforeSeconds` (their requests are stale by then anyway).
   */
  firstTime(key: string, atSeconds: number, forgetBeforeSeconds: number): boolean;
}

export interface NewPrincipal {
  readonly name: string;
  readonly kind: PrincipalKind;
  readonly groups: readonly string[];
  readonly tokenHash: string;
}

/** A transition whose events already carry the wire snapshot to publish (rendered by the service). */
export interface RenderedTransition extends Transition {
  readonly at: string;
  readonly snapshot: ApprovalRequest;
}

/** One event as stored: `data` is the exact RequestEvent JSON sent to every subscriber. */
export interface StoredEvent {
  readonly request_id: string;
  readonly seq: number;
  readonly type: RequestEventType;
  readonly at: string;
  readonly data: string;
}

export type StoreErrorCode = 'name_taken' | 'schema_too_new' | 'audit_key_required';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
