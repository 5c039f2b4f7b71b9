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
}

export interface CreateRequestBody {
  readonly command: CommandSpec;
  readonly context: RequestContext;
  readonly client_decision: ClientDecision;
  /** The client's audit log head, for anchoring (issue 5); optional until then. */
  readonly log_head?: { readonly seq: number; readonly hash: string };
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
  | 'executed';

/** One SSE message: `id: <seq>`, `event: <type>`, `data: <RequestEvent JSON>`. Carries the full snapshot. */
export interface RequestEvent {
  readonly seq: number;
  readonly type: RequestEventType;
  readonly at: string;
  readonly request: ApprovalRequest;
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
  | 'rate_limited'
  | 'internal';

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}
