import type { UserConfig } from '../config/resolve.js';
import { detectCi } from '../context/ci.js';
import { parseContextPairs } from '../context/custom.js';
import type { ApprovalRequirement, Decision } from '../policy/index.js';
import { ApprovalError } from './errors.js';
import type { ApprovalRequirementWire, CommandSpec, CreateRequestBody, RequestContext } from './protocol.js';

/** What the requester asked to run, exactly as gate will run it. */
export interface CommandInput {
  readonly argv: readonly string[];
  /** argv[0] resolved the way exec will resolve it (absolute). */
  readonly programPath: string;
  readonly cwd: string;
  readonly host: string;
  readonly shellText?: string;
}

export function commandSpec(input: CommandInput): CommandSpec {
  return {
    argv: [...input.argv],
    cwd: input.cwd,
    host: input.host,
    program_path: input.programPath,
    ...(input.shellText !== undefined ? { shell_text: input.shellText } : {}),
  };
}

/** Where the approval service is and who we are to it; either missing means "cannot ask". */
export interface ServiceSettings {
  readonly serverUrl: string;
  readonly token: string;
  readonly serverKey: string | undefined;
}

/**
 * GATE_SERVER / GATE_TOKEN override the config's serverUrl / token. There is no default server:
 * without one, approval fails closed, and the message says exactly how to set one up.
 */
export function serviceSettings(env: NodeJS.ProcessEnv, config: UserConfig, purpose: string): ServiceSettings {
  const serverUrl = env.GATE_SERVER || config.serverUrl;
  const token = env.GATE_TOKEN || config.token;
  if (!serverUrl) {
    throw new ApprovalError('not_configured', `no approval service is configured: ${purpose}`, {
      hint: 'point gate at the approval service: `gate config set serverUrl http://127.0.0.1:8787` (or GATE_SERVER), and give it your token: `gate config set token <token>` (or GATE_TOKEN); tokens come from `gate token create` on the server host',
    });
  }
  let url: URL;
  try {
    url = new URL(serverUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ApprovalError('not_configured', `the approval service URL "${serverUrl}" is not an http(s) URL`, {
      hint: 'fix it: `gate config set serverUrl http://127.0.0.1:8787` (or GATE_SERVER)',
    });
  }
  if (!token) {
    throw new ApprovalError('not_configured', `no token for the approval service at ${serverUrl} is configured: ${purpose}`, {
      hint: 'set your token: `gate config set token <token>` (or GATE_TOKEN); tokens come from `gate token create` on the server host',
    });
  }
  return { serverUrl: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, token, serverKey: config.serverKey };
}

export interface ContextInput {
  readonly osUser: string;
  readonly onBehalfOf: string | undefined;
  readonly reason: string | undefined;
  readonly environment: string | undefined;
  readonly custom: readonly string[];
  /** Names the server's policy reads (GET /v1/policy/env). */
  readonly envNames: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly gateVersion: string;
}

/** Never sent even if asked for: the token already travels in the Authorization header. */
const NEVER_SENT = new Set(['GATE_TOKEN']);

export function requestContext(input: ContextInput): RequestContext {
  const env: Record<string, string> = {};
  for (const name of input.envNames) {
    const value = input.env[name];
    if (value !== undefined && !NEVER_SENT.has(name)) env[name] = value;
  }
  const ci = detectCi(input.env);
  const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s.trim() === '' ? undefined : s);
  const onBehalfOf = nonEmpty(input.onBehalfOf);
  const reason = nonEmpty(input.reason);
  const environment = nonEmpty(input.environment);
  return {
    os_user: input.osUser,
    ...(onBehalfOf !== undefined ? { on_behalf_of: onBehalfOf } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(environment !== undefined ? { environment } : {}),
    custom: parseContextPairs(input.custom),
    ...(ci !== undefined ? { ci } : {}),
    env,
    gate_version: input.gateVersion,
  };
}

export function requirementWire(r: ApprovalRequirement): ApprovalRequirementWire {
  return {
    from: r.from.map(({ group, count }) => ({ group, count })),
    expires_seconds: r.expiresSeconds,
    reason_required: r.reasonRequired,
    on_behalf_may_approve: r.onBehalfMayApprove,
    ...(r.reauthSeconds !== undefined ? { reauth_seconds: r.reauthSeconds } : {}),
  };
}

export function createBody(
  command: CommandSpec,
  context: RequestContext,
  decision: Extract<Decision, { kind: 'approve' }>,
  policyDigest: string,
): CreateRequestBody {
  return {
    command,
    context,
    client_decision: {
      decision: 'approve',
      rules: approvalRules(decision),
      requirement: requirementWire(decision.approval),
      policy_digest: policyDigest,
    },
  };
}

/** The ids of the rules that ask for approval (none when the policy's default for unmatched commands did). */
export function approvalRules(decision: Extract<Decision, { kind: 'approve' }>): string[] {
  return [...new Set(decision.matches.filter((m) => m.effect === 'approve').map((m) => m.rule.id))];
}
