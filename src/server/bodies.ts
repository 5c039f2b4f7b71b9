import type {
  ApprovalRequirementWire,
  CiRun,
  ClientDecision,
  CommandSpec,
  CreateRequestBody,
  EscalationWire,
  ExecutionOutcome,
  LogHeadWire,
  RequestContext,
} from '../approval/protocol.js';
import { ApiError, badRequest } from './errors.js';
import { bool, dict, int, list, num, object, oneOf, parseBody, str, type Check } from './validate.js';

/** Request bodies of the protocol, checked field by field (see approval/protocol.ts). */

const NAME = str({ min: 1, max: 200 });
const TEXT = str({ max: 10_000 });
const GROUP = str({ min: 1, max: 100, pattern: /^[A-Za-z0-9._@-]+$/, what: 'a group name (letters, digits, . _ @ -)' });
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Longest approval a client may ask for: a week. The server's own policy is never capped. */
const MAX_EXPIRES = 7 * 86_400;

const command: Check<CommandSpec> = object<CommandSpec>(
  {
    argv: list(str({ max: 100_000 }), { min: 1, max: 10_000 }),
    cwd: str({ min: 1, max: 4096 }),
    host: str({ min: 1, max: 255 }),
    program_path: str({ min: 1, max: 4096 }),
  },
  { shell_text: str({ min: 1, max: 100_000 }) },
);

const ci: Check<CiRun> = object<Pick<CiRun, 'provider'>, Omit<CiRun, 'provider'>>(
  { provider: oneOf(['github-actions', 'gitlab-ci', 'buildkite', 'jenkins', 'circleci', 'unknown'] as const) },
  { actor: NAME, repository: str({ max: 1000 }), commit: str({ max: 200 }), run_url: str({ max: 2000 }) },
);

type ContextRequired = Pick<RequestContext, 'os_user' | 'custom' | 'env' | 'gate_version'>;
const context: Check<RequestContext> = object<ContextRequired, Omit<RequestContext, keyof ContextRequired>>(
  {
    os_user: str({ max: 200 }),
    custom: dict(TEXT, { key: /^[A-Za-z0-9._-]{1,100}$/, max: 100 }),
    env: dict(str({ max: 10_000 }), { key: ENV_NAME, max: 500 }),
    gate_version: str({ max: 100 }),
  },
  { on_behalf_of: NAME, reason: TEXT, environment: str({ max: 100 }), ci },
);

const approvers = list(object({ group: GROUP, count: int(1, 100) }), { max: 50 });

/** A client may state an escalation; the server only ever lets it make its own stricter (evaluate.ts). */
const escalation: Check<EscalationWire> = object<Omit<EscalationWire, 'notify'>>({ after_seconds: int(1, MAX_EXPIRES), to: approvers });

type RequirementOptional = 'reauth_seconds' | 'remind_before_seconds' | 'escalate';
export const requirement: Check<ApprovalRequirementWire> = object<Omit<ApprovalRequirementWire, RequirementOptional | 'notify'>, Pick<ApprovalRequirementWire, RequirementOptional>>(
  {
    from: approvers,
    expires_seconds: int(1, MAX_EXPIRES),
    reason_required: bool,
    on_behalf_may_approve: bool,
  },
  { reauth_seconds: int(1, MAX_EXPIRES), remind_before_seconds: int(0, MAX_EXPIRES), escalate: escalation },
);

const clientDecision: Check<ClientDecision> = object<ClientDecision>({
  decision: oneOf(['allow', 'approve', 'deny'] as const),
  rules: list(str({ min: 1, max: 200 }), { max: 1000 }),
  requirement,
  policy_digest: str({ max: 200 }),
});

/** A host's signed audit log head (see src/audit/anchor/head-signature.ts for what is signed). */
export const logHeadShape = {
  log_id: str({ pattern: /^[0-9a-f]{16}$/, what: '16 hex digits (the log key id)' }),
  seq: int(0, Number.MAX_SAFE_INTEGER),
  hash: str({ pattern: /^[0-9a-f]{64}$/, what: 'a hex SHA-256' }),
  at: str({ min: 1, max: 40 }),
  public_key: str({ min: 1, max: 200 }),
  signature: str({ pattern: /^[A-Za-z0-9+/]{86}==$/, what: 'a base64 Ed25519 signature' }),
};

export const logHead: Check<LogHeadWire> = object<LogHeadWire>(logHeadShape);
const createBody: Check<CreateRequestBody> = object<Omit<CreateRequestBody, 'log_head'>, Pick<CreateRequestBody, 'log_head'>>(
  { command, context, client_decision: clientDecision },
  { log_head: logHead },
);

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash']);

export function parseCreateBody(body: unknown): CreateRequestBody {
  const parsed = parseBody(createBody, body);
  const { argv, shell_text: text } = parsed.command;
  // The policy judges the shell text, so it must be exactly what the shell runs: `<shell> -c TEXT
  // [name args...]`. Anything else (an rcfile option, text that is not the -c argument) would let
  // a client get one thing approved and run another.
  if (text !== undefined) {
    const shell = argv[0]!.slice(argv[0]!.lastIndexOf('/') + 1);
    // Options that only stop startup files from running are allowed before -c (gate sh runs
    // `bash --noprofile --norc -c -- TEXT`); `--` may separate -c from the text.
    let i = 1;
    while (argv[i] === '--noprofile' || argv[i] === '--norc') i++;
    const textAt = argv[i] === '-c' ? (argv[i + 1] === '--' ? i + 2 : i + 1) : -1;
    if (!SHELLS.has(shell) || textAt === -1 || argv[textAt] !== text) {
      throw badRequest(`invalid request body: command.shell_text: argv must be [<shell>, ("--noprofile" | "--norc")..., "-c", ["--"], shell_text, ...] with a shell among ${[...SHELLS].join(', ')}`);
    }
  }
  return parsed;
}

export const parseApproveBody = (body: unknown): { comment?: string } => parseBody(object({}, { comment: TEXT }), body);

/** A denial always says why: a missing or blank reason is `reason_required`, not a shape error. */
export function parseDenyBody(body: unknown): { reason: string } {
  const { reason } = parseBody(object({}, { reason: TEXT }), body);
  if (reason === undefined || reason.trim() === '') throw new ApiError('reason_required', 'a denial needs a reason: send {"reason": "..."}');
  return { reason };
}

export const parseAskBody = (body: unknown): { question: string } => parseBody(object({ question: str({ min: 1, max: 10_000 }) }), body);

export const parseReplyBody = (body: unknown): { answer: string; question_id?: string } =>
  parseBody(object({ answer: str({ min: 1, max: 10_000 }) }, { question_id: str({ min: 1, max: 100 }) }), body);

export const parseCancelBody = (body: unknown): Record<string, never> => parseBody(object({}), body);

export const parseClaimBody = (body: unknown): { receipt_id: string } => parseBody(object({ receipt_id: str({ min: 1, max: 100 }) }), body);

export const parseOutcomeBody = (body: unknown): ExecutionOutcome =>
  parseBody(
    object<Omit<ExecutionOutcome, 'signal' | 'log_head'>, Pick<ExecutionOutcome, 'signal' | 'log_head'>>(
      { exit_code: int(-(2 ** 31), 2 ** 31 - 1), duration_ms: num(0, Number.MAX_SAFE_INTEGER) },
      { signal: str({ min: 1, max: 32 }), log_head: logHead },
    ),
    body,
  );
