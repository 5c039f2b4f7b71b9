import { ApprovalError } from './errors.js';
import type {
  ApprovalRequest,
  ErrorCode,
  RequestEvent,
  RequestEventType,
  RequestStatus,
  ServerKey,
} from './protocol.js';

/**
 * Replies of the approval service are untrusted input: each is checked field by field before any
 * code reads it, and every problem is collected so the error names all of them. Unknown extra
 * fields are tolerated (forward compatibility); missing or mistyped known fields are not.
 */
type Check = (value: unknown, path: string, issues: string[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const str: Check = (v, path, issues) => {
  if (typeof v !== 'string') issues.push(`${path}: expected a string`);
};
const num: Check = (v, path, issues) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) issues.push(`${path}: expected a number`);
};
const bool: Check = (v, path, issues) => {
  if (typeof v !== 'boolean') issues.push(`${path}: expected true or false`);
};
const time: Check = (v, path, issues) => {
  if (typeof v !== 'string' || !Number.isFinite(Date.parse(v))) issues.push(`${path}: expected a timestamp`);
};
const oneOf =
  (values: readonly string[]): Check =>
  (v, path, issues) => {
    if (typeof v !== 'string' || !values.includes(v)) issues.push(`${path}: expected one of ${values.join(', ')}`);
  };
const list =
  (item: Check): Check =>
  (v, path, issues) => {
    if (!Array.isArray(v)) issues.push(`${path}: expected a list`);
    else v.forEach((x, i) => item(x, `${path}[${i}]`, issues));
  };
const dict =
  (value: Check): Check =>
  (v, path, issues) => {
    if (!isObject(v)) issues.push(`${path}: expected an object`);
    else for (const [k, x] of Object.entries(v)) value(x, `${path}.${k}`, issues);
  };
const object =
  (required: Record<string, Check>, optional: Record<string, Check> = {}): Check =>
  (v, path, issues) => {
    if (!isObject(v)) {
      issues.push(`${path || '(reply)'}: expected an object`);
      return;
    }
    const at = (k: string): string => (path ? `${path}.${k}` : k);
    for (const [k, check] of Object.entries(required)) {
      if (!Object.hasOwn(v, k)) issues.push(`${at(k)}: missing`);
      else check(v[k], at(k), issues);
    }
    for (const [k, check] of Object.entries(optional)) if (Object.hasOwn(v, k) && v[k] !== undefined) check(v[k], at(k), issues);
  };

/** Request ids end up in URLs and file names: only plain characters. */
export const REQUEST_ID = /^[A-Za-z0-9_-]{1,128}$/;
const requestId: Check = (v, path, issues) => {
  if (typeof v !== 'string' || !REQUEST_ID.test(v)) issues.push(`${path}: expected a request id`);
};

const STATUSES: readonly RequestStatus[] = ['pending', 'approved', 'denied', 'expired', 'cancelled', 'executing', 'executed'];
const EVENT_TYPES: readonly RequestEventType[] = [
  'created', 'approval', 'question', 'answer', 'approved', 'denied', 'expired', 'cancelled', 'executing', 'executed', 'reminded', 'escalated',
];
const KINDS = ['human', 'agent', 'ci'];
const DECISIONS = ['allow', 'approve', 'deny'];
export const ERROR_CODES: readonly ErrorCode[] = [
  'bad_request', 'unauthenticated', 'forbidden', 'self_approval', 'agent_cannot_approve', 'not_an_approver', 'not_found',
  'already_decided', 'already_voted', 'already_claimed', 'receipt_expired', 'reason_required', 'reauth_required', 'rate_limited', 'internal',
];

const principal = object({ name: str, kind: oneOf(KINDS), groups: list(str) });
const command = object({ argv: list(str), cwd: str, host: str, program_path: str }, { shell_text: str });
const requirement = object({
  from: list(object({ group: str, count: num })),
  expires_seconds: num,
  reason_required: bool,
  on_behalf_may_approve: bool,
});
const context = object(
  { os_user: str, custom: dict(str), env: dict(str), gate_version: str },
  {
    on_behalf_of: str,
    reason: str,
    environment: str,
    ci: object({ provider: str }, { actor: str, repository: str, commit: str, run_url: str }),
  },
);
const rule = object({ id: str, decision: oneOf(DECISIONS), source: oneOf(['server', 'client']) }, { message: str });
const approval = object({ approver: str, kind: oneOf(KINDS), groups: list(str), channel: str, at: time }, { comment: str });
const question = object({ id: str, by: str, question: str, at: time }, { answer: str, answered_at: time });
// The receipt's own fields are checked by verifyReceipt; here only its envelope.
const receipt = object({ payload: object({}), signature: str });

const approvalRequest = object(
  {
    id: requestId,
    status: oneOf(STATUSES),
    created_at: time,
    expires_at: time,
    requester: principal,
    command,
    command_digest: str,
    context,
    requirement,
    rules: list(rule),
    approvals: list(approval),
    questions: list(question),
    progress: str,
    url: str,
  },
  {
    denial: object({ by: str, reason: str, at: time, by_policy: bool }),
    receipt,
    outcome: object({ exit_code: num, duration_ms: num }, { signal: str }),
    decided_at: time,
  },
);

/** Throws a `malformed` ApprovalError listing every problem, or returns the value as T. */
function assertWire<T>(value: unknown, check: Check, what: string): T {
  const issues: string[] = [];
  check(value, '', issues);
  if (issues.length > 0) {
    const shown = issues.slice(0, 5).join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : '');
    throw new ApprovalError('malformed', `the approval service sent a malformed ${what}: ${shown}`, {
      hint: 'the server may run an incompatible gate version; nothing was run',
    });
  }
  return value as T;
}

export const parseApprovalRequest = (v: unknown): ApprovalRequest => assertWire(v, approvalRequest, 'request');

export const parseRequestList = (v: unknown): readonly ApprovalRequest[] =>
  assertWire<{ requests: ApprovalRequest[] }>(v, object({ requests: list(approvalRequest) }), 'request list').requests;

export const parseRequestEvent = (v: unknown): RequestEvent =>
  assertWire(v, object({ seq: num, type: oneOf(EVENT_TYPES), at: time, request: approvalRequest }), 'event');

export const parseServerKey = (v: unknown): ServerKey =>
  assertWire(v, object({ algorithm: oneOf(['ed25519']), public_key: str, key_id: str }), 'server key');

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const parsePolicyEnv = (v: unknown): readonly string[] =>
  assertWire<{ names: string[] }>(
    v,
    object({
      names: list((x, path, issues) => {
        if (typeof x !== 'string' || !ENV_NAME.test(x)) issues.push(`${path}: expected an environment variable name`);
      }),
    }),
    'policy environment list',
  ).names;

/** The `{error: {code, message}}` body of an HTTP error, if the reply has that shape. */
export function parseErrorBody(v: unknown): { code: ErrorCode | undefined; message: string } | undefined {
  if (!isObject(v) || !isObject(v.error)) return undefined;
  const { code, message } = v.error;
  return {
    code: typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : undefined,
    message: typeof message === 'string' ? message : '',
  };
}
