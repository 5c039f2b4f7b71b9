import type {
  ApprovalRecord,
  ApprovalRequirementWire,
  ClientDecision,
  CommandSpec,
  ExecutionOutcome,
  Principal,
  PrincipalKind,
  Question,
  RequestContext,
  RequestEventType,
  RequestStatus,
  RuleRef,
  SignedReceipt,
} from '../approval/protocol.js';

/** A token holder, as the server knows it. Groups and kind come from here, never from a client. */
export interface PrincipalRecord {
  readonly id: string;
  readonly name: string;
  readonly kind: PrincipalKind;
  readonly groups: readonly string[];
  readonly created_at: string;
  readonly revoked_at?: string;
}

export interface Denial {
  readonly by: string;
  readonly reason: string;
  readonly at: string;
  readonly by_policy: boolean;
}

/**
 * One approval request as stored: the wire `ApprovalRequest` minus what is derived for display
 * (progress, url), plus what only the server keeps (who exactly asked, the client's claim).
 */
export interface RequestRecord {
  readonly id: string;
  readonly status: RequestStatus;
  readonly created_at: string;
  readonly expires_at: string;
  readonly decided_at?: string;
  /** The principal id: only this token holder may cancel, reply, claim and report. */
  readonly requester_id: string;
  readonly requester: Principal;
  readonly command: CommandSpec;
  readonly command_digest: string;
  readonly context: RequestContext;
  readonly requirement: ApprovalRequirementWire;
  readonly rules: readonly RuleRef[];
  readonly client_decision: ClientDecision;
  /** Digest of the server's policy set that evaluated the request. */
  readonly policy_digest: string;
  readonly approvals: readonly ApprovalRecord[];
  readonly denial?: Denial;
  readonly questions: readonly Question[];
  readonly receipt?: SignedReceipt;
  readonly outcome?: ExecutionOutcome;
}

/** What a state change produced: the new record and the events it emits, oldest first. */
export interface Transition {
  readonly next: RequestRecord;
  readonly events: readonly RequestEventType[];
}
