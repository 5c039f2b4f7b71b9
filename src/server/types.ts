import type {
  ApprovalRequest,
  ClientDecision,
  Denial,
  PrincipalKind,
  RequestEventType,
} from '../approval/protocol.js';

export type { Denial };

/** A token holder, as the server knows it. Groups and kind come from here, never from a client. */
export interface PrincipalRecord {
  readonly id: string;
  readonly name: string;
  readonly kind: PrincipalKind;
  readonly groups: readonly string[];
  readonly created_at: string;
  readonly revoked_at?: string;
}

/**
 * One approval request as stored: the wire `ApprovalRequest` minus what is derived for display
 * (progress, url), plus what only the server keeps (who exactly asked, the client's claim).
 */
export interface RequestRecord extends Omit<ApprovalRequest, 'progress' | 'url'> {
  /** The principal id: only this token holder may cancel, reply, claim and report. */
  readonly requester_id: string;
  readonly client_decision: ClientDecision;
  /** Digest of the server's policy set that evaluated the request. */
  readonly policy_digest: string;
}

/** What a state change produced: the new record and the events it emits, oldest first. */
export interface Transition {
  readonly next: RequestRecord;
  readonly events: readonly RequestEventType[];
}
