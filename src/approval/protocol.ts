/**
 * The approval service's wire contract (JSON over HTTP, version 1). Server and client both build
 * on these types; nothing else defines a field name. Field names are snake_case on the wire.
 *
 * Endpoints (all under /v1, all but health and key need `Authorization: Bearer <token>`):
 *   GET  /v1/health                      -> { ok: true, version }
 *   GET  /v1/key                         -> ServerKey
 *   GET  /v1/policy/env                  -> { names: string[] }  env vars the server's policy reads
 *   POST /v1/requests        CreateRequestBody -> 201 ApprovalRequest (status may already be final: denied by policy)
 *   GET  /v1/requests?status=pending     -> { requests: ApprovalRequest[] }  (approvers: those they may decide)
 *   GET  /v1/requests/:id                -> ApprovalRequest
 *   GET  /v1/requests/:id/events         -> text/event-stream of RequestEvent; honours Last-Event-ID
 *   POST /v1/requests/:id/approve  { comment? }          (human approvers only)
 *   POST /v1/requests/:id/deny     { reason }            (reason required)
 *   POST /v1/requests/:id/ask      { question }
 *   POST /v1/requests/:id/reply    { answer, question_id? }   (requester only)
 *   POST /v1/requests/:id/cancel   {}                    (requester only)
 *   POST /v1/requests/:id/claim    { receipt_id }        (requester; approved -> executing, exactly once)
 *   POST /v1/requests/:id/outcome  ExecutionOutcome      (requester; executing -> executed)
 *   A create or outcome body that carries `log_head` is answered with `checkpoint: SignedCheckpoint` added to the reply.
 * Anchoring and the service's own audit log (docs/audit.md, "Anchoring" and "The approval service's log"):
 *   POST /v1/audit/heads   AnchorHeadBody        -> { checkpoint: SignedCheckpoint }  (any principal; the head signed by its log key)
 *   GET  /v1/audit/heads/:log_id?after=C         -> CheckpointList: the checkpoints of that log in the order received,
 *        1000 per page; `next` (absent on the last page) is the cursor C of the next page
 *   GET  /v1/audit/hosts/:host                   -> HostLogs: every log id anchored for that host name
 *   GET  /v1/audit/log?after_seq=N&limit=M       -> text/plain: the service log's lines with seq > N (default: from
 *        the first), at most M (default 1000, max 10000) and about 2 MiB (a short page is not the end: an empty
 *        one is), byte for byte as stored, so that concatenated pages
 *        verify with `gate audit verify --log FILE --key <server key>`. Headers: x-gate-log-id (the server key
 *        id), x-gate-log-head (seq of the log's last line, -1 if none), x-gate-last-seq (seq of the last line sent,
 *        absent if none). Human principals in group `auditor` only (403 otherwise).
 * Errors: HTTP status + { error: { code: ErrorCode, message } }.
 */

export const API_PREFIX = '/v1';

export type PrincipalKind = 'human' | 'agent' | 'ci';

export interface Principal {
  readonly name: string;
  readonly kind: PrincipalKind;
  readonly groups: readonly string[];
}

export type RequestStatus =
  | 'pending'
  /** Quorum reached; a receipt was issued and may be claimed once before it expires. */
  | 'approved'
  | 'denied'
  | 'expired'
  | 'cancelled'
  /** The receipt was claimed: the command is running. */
  | 'executing'
  /** The requester reported the outcome. */
  | 'executed';

export const FINAL_STATUSES: readonly RequestStatus[] = ['denied', 'expired', 'cancelled', 'executed'];

/** Exactly what will run; its canonical digest is what a receipt is bound to. */
export interface CommandSpec {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly host: string;
  /** The resolved absolute path of argv[0], as gate will execute it. */
  readonly program_path: string;
  /** For `gate sh -c`: the exact shell text that will run (argv is then the shell's argv). */
  readonly shell_text?: string;
}

export interface CiRun {
  readonly provider: 'github-actions' | 'gitlab-ci' | 'buildkite' | 'jenkins' | 'circleci' | 'unknown';
  readonly actor?: string;
  readonly repository?: string;
  readonly commit?: string;
  readonly run_url?: string;
}

export interface RequestContext {
  readonly os_user: string;
  readonly on_behalf_of?: string;
  readonly reason?: string;
  /** Deployment environment name (prod, staging), from --environment or GATE_ENVIRONMENT. */
  readonly environment?: string;
  /** Free-form --context key=value pairs. */
  readonly custom: Readonly<Record<string, string>>;
  readonly ci?: CiRun;
  /** Values of the environment variables the server's policy reads (and nothing else). */
  readonly env: Readonly<Record<string, string>>;
  readonly gate_version: string;
}

/** What the client's own policy said; the server takes the stricter of this and its own. */
export interface ClientDecision {
  readonly decision: 'allow' | 'approve' | 'deny';
  readonly rules: readonly string[];
  readonly requirement: ApprovalRequirementWire;
  /** sha256 of the client's policy files, for the record. */
  readonly policy_digest: string;
}

export interface ApprovalRequirementWire {
  readonly from: readonly { readonly group: string; readonly count: number }[];
  readonly expires_seconds: number;
  readonly reason_required: boolean;
  readonly on_behalf_may_approve: boolean;
  /**
   * Where the server announces the request (from its own policy only; a client's value is ignored).
   * Slack channels; Teams and webhook destinations by the names the server config gives them.
   */
  readonly notify?: NotifyTargetsWire;
  /**
   * High-risk rules: approving needs a sign-in at most this many seconds old. The service checks it
   * for every channel: an API call with a bearer token is fresh, the web page counts from its
   * sign-in, and a Slack click cannot prove one (it is refused with `reauth_required`).
   */
  readonly reauth_seconds?: number;
  /**
   * Remind the request's channels this many seconds before it expires; 0: no reminder. Absent:
   * the default, min(20% of the request's lifetime, 5 minutes). From the server's policy only.
   */
  readonly remind_before_seconds?: number;
  /** A second way to satisfy the requirement once the request has waited long enough (server's policy only). */
  readonly escalate?: EscalationWire;
}

/**
 * From `after_seconds` after creation, while still pending: the quorum is met by `from` OR by `to`
 * (each a set of {group, count} slots). Members of the `to` groups may then approve, deny and ask.
 * The request records an `escalated` event, and `notify` (if any) gets a new post.
 */
export interface EscalationWire {
  readonly after_seconds: number;
  readonly to: readonly { readonly group: string; readonly count: number }[];
  readonly notify?: NotifyTargetsWire;
}

export interface NotifyTargetsWire {
  readonly slack?: readonly string[];
  readonly teams?: readonly string[];
  readonly webhook?: readonly string[];
}

export interface CreateRequestBody {
  readonly command: CommandSpec;
  readonly context: RequestContext;
  readonly client_decision: ClientDecision;
  /** The client's audit log head: the service keeps signed checkpoints of it (anchoring). */
  readonly log_head?: LogHeadWire;
}

/** A host audit log's last record as its owner reports it: log id (key id), seq and hex SHA-256 of the line. */
export interface LogHeadWire {
  readonly log_id: string;
  readonly seq: number;
  readonly hash: string;
  /** When the host made this statement (the service refuses one more than 5 minutes off). */
  readonly at: string;
  /** base64 SPKI of the log's key: its key id must be `log_id`. */
  readonly public_key: string;
  /** base64 Ed25519 over canonical {type: "gate.audit.head", v: 1, log_id, seq, hash, at}: only the key holder anchors a log. */
  readonly signature: string;
}

export interface RuleRef {
  readonly id: string;
  readonly decision: 'allow' | 'approve' | 'deny';
  readonly message?: string;
  /** 'server' when the server's own copy of the policy matched it. */
  readonly source: 'server' | 'client';
  /**
   * The parts of the command this rule (or `signal:<name>`) applied to, as text: for shell text the
   * exact slices of it, so an approver sees which part of a long string asked for approval.
   */
  readonly parts?: readonly string[];
}

export interface ApprovalRecord {
  readonly approver: string;
  readonly kind: PrincipalKind;
  readonly groups: readonly string[];
  readonly channel: string;
  readonly at: string;
  readonly comment?: string;
}

export interface Question {
  readonly id: string;
  readonly by: string;
  readonly question: string;
  readonly at: string;
  readonly answer?: string;
  readonly answered_at?: string;
}

export interface ReceiptPayload {
  readonly v: 1;
  /** Unique per receipt; a receipt can be claimed once. */
  readonly receipt_id: string;
  readonly request_id: string;
  /** `sha256:<hex>` of canonicalJson(CommandSpec plus requester name), see approval/digest.ts. */
  readonly command_digest: string;
  readonly requester: string;
  readonly approvers: readonly { readonly name: string; readonly at: string }[];
  readonly decided_at: string;
  /** The receipt must be claimed (and the command started) before this instant. */
  readonly not_after: string;
  readonly key_id: string;
}

export interface SignedReceipt {
  readonly payload: ReceiptPayload;
  /** base64 Ed25519 signature over canonicalBytes(payload). */
  readonly signature: string;
}

export interface ExecutionOutcome {
  readonly exit_code: number;
  readonly signal?: string;
  readonly duration_ms: number;
  /** The audit log head after the command's end was recorded (anchoring). */
  readonly log_head?: LogHeadWire;
}

export interface Denial {
  readonly by: string;
  readonly reason: string;
  readonly at: string;
  /** True when the server's policy denied it (no human was asked). */
  readonly by_policy: boolean;
}

export interface ApprovalRequest {
  readonly id: string;
  readonly status: RequestStatus;
  readonly created_at: string;
  readonly expires_at: string;
  readonly requester: Principal;
  readonly command: CommandSpec;
  readonly command_digest: string;
  readonly context: RequestContext;
  /** The bar the server enforces: stricter of its policy and the client's. */
  readonly requirement: ApprovalRequirementWire;
  readonly rules: readonly RuleRef[];
  readonly approvals: readonly ApprovalRecord[];
  readonly denial?: Denial;
  readonly questions: readonly Question[];
  readonly receipt?: SignedReceipt;
  readonly outcome?: ExecutionOutcome;
  readonly decided_at?: string;
  /** Human-readable progress, e.g. "1 of 2 approvals from dba; 0 of 1 from security". */
  readonly progress: string;
  /** Where an approver can look at the request. */
  readonly url: string;
}

export type RequestEventType =
  | 'created'
  | 'approval'
  | 'question'
  | 'answer'
  | 'approved'
  | 'denied'
  | 'expired'
  | 'cancelled'
  | 'executing'
  | 'executed'
  /** Nothing changed but the time: the request's channels were reminded that it expires soon. */
  | 'reminded'
  /** The escalation delay passed: the escalation groups may now decide it too. */
  | 'escalated';

/** One SSE message: `id: <seq>`, `event: <type>`, `data: <RequestEvent JSON>`. Carries the full snapshot. */
export interface RequestEvent {
  readonly seq: number;
  readonly type: RequestEventType;
  readonly at: string;
  readonly request: ApprovalRequest;
}

/** A signed checkpoint is signed over canonicalBytes(payload); `type` keeps it apart from receipts. */
export const CHECKPOINT_TYPE = 'gate.audit.checkpoint';

/** What the service answers for a host log head it received: its signed word that it saw it, and when. */
export interface CheckpointPayload {
  readonly type: typeof CHECKPOINT_TYPE;
  readonly v: 1;
  readonly log_id: string;
  /** The host name the head was reported for (the request's command.host, or the heads body). */
  readonly host: string;
  readonly seq: number;
  readonly hash: string;
  /** The principal whose token sent the head. */
  readonly by: string;
  readonly received_at: string;
  /** The head contradicts one anchored earlier: the log went back (`regressed`) or differs at this seq (`forked`). */
  readonly conflict?: HeadConflict;
  readonly key_id: string;
}

export interface HeadConflict {
  readonly kind: 'regressed' | 'forked';
  /** The earlier head this one contradicts. */
  readonly seq: number;
  readonly hash: string;
  readonly received_at: string;
}

export interface SignedCheckpoint {
  readonly payload: CheckpointPayload;
  /** base64 Ed25519 signature over canonicalBytes(payload), by the server key. */
  readonly signature: string;
}

export interface AnchorHeadBody extends LogHeadWire {
  readonly host: string;
}

export interface CheckpointList {
  readonly log_id: string;
  readonly checkpoints: readonly SignedCheckpoint[];
  /** Pass as `after` for the next page; absent on the last one. */
  readonly next?: number;
}

export interface HostLogs {
  readonly host: string;
  readonly logs: readonly {
    readonly log_id: string;
    readonly first_received_at: string;
    /** How many checkpoints the service holds for the log. */
    readonly checkpoints: number;
    /** The checkpoint of the highest head received (the latest of those). */
    readonly latest: SignedCheckpoint;
  }[];
}

export interface ServerKey {
  readonly algorithm: 'ed25519';
  /** base64 SPKI DER. */
  readonly public_key: string;
  /** First 16 hex chars of sha256(SPKI DER). */
  readonly key_id: string;
}

export type ErrorCode =
  | 'bad_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'self_approval'
  | 'agent_cannot_approve'
  | 'not_an_approver'
  | 'not_found'
  | 'already_decided'
  | 'already_voted'
  | 'already_claimed'
  | 'receipt_expired'
  | 'reason_required'
  /** Approving this request needs a fresher sign-in than the channel can prove (web: sign in again; Slack: use the web page). */
  | 'reauth_required'
  | 'rate_limited'
  | 'internal';

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}
