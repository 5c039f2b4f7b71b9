import '../bundle-layout.js'; // see src/bundle-layout.ts
import { hostname } from 'node:os';
import { isatty } from 'node:tty';
import { say } from '../cli/output.js';
import { gateHome } from '../config/paths.js';
import type { UserConfig } from '../config/resolve.js';
import { gateVersion } from '../config/version.js';
import { parseContextPairs } from '../context/custom.js';
import { osUser } from '../context/os-user.js';
import type { ExecOutcome } from '../exec/run.js';
import type { Decision } from '../policy/index.js';
import { promptReason } from '../ui/prompt.js';
import { openReporter, reporterMode } from '../ui/reporter.js';
import type { WaitControls, WaitReporter } from '../ui/updates.js';
import { ApprovalClient, type CallOptions, type ClientOptions } from './client.js';
import { commandDigest } from './digest.js';
import { ApprovalError } from './errors.js';
import { cancelOnServer, claim, concluded, verify } from './finish.js';
import { pinServerKey, type PinnedKey } from './pin.js';
import type { ApprovalRequest, CommandSpec, LogHeadWire, ReceiptPayload } from './protocol.js';
import { approvalRules, commandSpec, createBody, requestContext, serviceSettings } from './request.js';
import { waitForDecision } from './wait.js';
import { spkiBase64 } from './receipt.js';

/** How long the first call to the approval service retries before gate gives up (exit 125). */
const FIRST_CONTACT_MS = 2_000;

/** What `gate -- cmd` knows when policy says "approve". */
export interface ApprovalInput {
  readonly argv: readonly string[];
  /** argv[0] resolved as exec will run it; part of what the approval is bound to. */
  readonly programPath: string;
  readonly cwd: string;
  /** For `gate sh -c TEXT`: the exact text bash runs (argv is then bash's own argv). */
  readonly shellText?: string;
  readonly decision: Extract<Decision, { kind: 'approve' }>;
  readonly policyDigest: string;
  /** This host's audit log head, sent so the service keeps a signed checkpoint of it. */
  readonly logHead?: LogHeadWire;
  readonly config: UserConfig;
  readonly options: {
    readonly reason?: string;
    readonly onBehalfOf?: string;
    readonly environment?: string;
    readonly context: readonly string[];
    readonly json: boolean;
  };
}

export type ApprovalResult = (
  /** Verified against the pinned key and claimed: run exactly `command`, then reportOutcome. */
  | { readonly kind: 'approved'; readonly request: ApprovalRequest; readonly receipt: ReceiptPayload; readonly command: CommandSpec; readonly session: ApprovalSession }
  | { readonly kind: 'denied'; readonly request: ApprovalRequest; readonly by: string; readonly reason: string; readonly byPolicy: boolean }
  | { readonly kind: 'expired'; readonly request: ApprovalRequest }
  /** `request` is undefined when the user stopped before one was created; `problem` says why the server did not confirm. */
  | { readonly kind: 'cancelled'; readonly request: ApprovalRequest | undefined; readonly problem?: string }
) & {
  /** Which service decided, and the key this host pinned for it (for the audit record). */
  readonly server: { readonly url: string; readonly key: string };
};

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** What the service answered, before the flow adds which service it was. */
export type ServiceAnswer = DistributiveOmit<ApprovalResult, 'server'>;

/** Keeps the connection for the outcome report after the command ran. */
export interface ApprovalSession {
  readonly client: ApprovalClient;
  readonly requestId: string;
  /** POST outcome (with the audit log head once the end is recorded); see reportOutcome. */
  reportOutcome(outcome: ExecOutcome, logHead?: LogHeadWire): Promise<void>;
}

/** Everything the flow takes from the process; tests replace parts of it. */
export interface FlowEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly host: string;
  readonly osUser: string;
  readonly gateVersion: string;
  readonly openReporter: (controls: WaitControls) => Promise<WaitReporter>;
  /** May we ask for a missing reason on the terminal? */
  readonly interactive: boolean;
  readonly promptReason: (rules: readonly string[]) => Promise<string | null>;
  readonly notice: (line: string) => void;
  /** Timeouts, backoff, clock of the HTTP client. */
  readonly client: Omit<ClientOptions, 'baseUrl' | 'token'>;
  /** How long after the expiry gate still waits for the server to say so. */
  readonly graceMs: number;
  /** Cancel on SIGINT/SIGTERM/SIGHUP while waiting. */
  readonly signals: boolean;
}

function processEnvironment(json: boolean): FlowEnvironment {
  // isatty, not process.stdin.isTTY: creating process.stdin is left to the views that read it.
  const tty = isatty(0) && isatty(2);
  return {
    env: process.env,
    home: gateHome(),
    host: hostname(),
    osUser: osUser(process.env),
    gateVersion: gateVersion(),
    openReporter: (controls) => openReporter(reporterMode(json, process.stderr, process.env), controls),
    interactive: tty && !json,
    promptReason: (rules) => promptReason(rules, process.stdin, process.stderr),
    notice: say,
    client: { userAgent: `gate/${gateVersion()}`, retryBudgetMs: 15_000 },
    graceMs: 5_000,
    signals: true,
  };
}

/**
 * Asks the approval service to approve this command and waits for the decision. Returns the
 * decision; throws an ApprovalError (exit 125, nothing runs) whenever the answer cannot be trusted:
 * no service, unreachable, malformed replies, a key that is not the pinned one, a receipt that
 * does not verify for exactly this request, command and requester, or a refused claim.
 */
export async function obtainApproval(input: ApprovalInput, overrides: Partial<FlowEnvironment> = {}): Promise<ApprovalResult> {
  const io: FlowEnvironment = { ...processEnvironment(input.options.json), ...overrides };
  const rules = approvalRules(input.decision);
  const asking = rules.length > 0 ? `rule ${rules.map((r) => `"${r}"`).join(', ')} requires approval` : 'this command requires approval';
  const settings = serviceSettings(io.env, input.config, `${asking}, so the command was not run`);
  parseContextPairs(input.options.context); // bad --context fails before anyone is bothered
  const client = new ApprovalClient({ ...io.client, baseUrl: settings.serverUrl, token: settings.token });
  let keepClient = false;
  // Before the request exists, retries are silent work the user waits for: say so, now and then.
  const retrying = { onRetry: (error: ApprovalError, attempt: number) => (attempt % 4 === 1 ? io.notice(`${error.message}; retrying`) : undefined) };
  try {
    // First contact: nothing exists on the server yet, so a service that is not there (refused,
    // unknown host) fails within a couple of seconds, saying what to check, instead of retrying long.
    const key = await client.key({ ...retrying, deadline: client.now() + FIRST_CONTACT_MS });
    const pinned = pinServerKey(settings.serverUrl, key, settings.serverKey, io.home, new Date(client.now()));
    if (pinned.source === 'first-use') io.notice(`trusting the approval service's key ${pinned.keyId} for ${settings.serverUrl} from now on (first use)`);
    const command = commandSpec({ argv: input.argv, programPath: input.programPath, cwd: input.cwd, host: io.host, ...(input.shellText !== undefined ? { shellText: input.shellText } : {}) });
    const server = { url: settings.serverUrl, key: spkiBase64(pinned.key) };
    const reason = await reasonFor(input, io, rules);
    if (reason === null) return { kind: 'cancelled', request: undefined, server };
    const context = requestContext({
      osUser: io.osUser,
      onBehalfOf: input.options.onBehalfOf ?? io.env.GATE_ON_BEHALF_OF,
      reason,
      environment: input.options.environment ?? io.env.GATE_ENVIRONMENT,
      custom: input.options.context,
      envNames: await client.policyEnv(retrying),
      env: io.env,
      gateVersion: io.gateVersion,
    });
    const body = { ...createBody(command, context, input.decision, input.policyDigest), ...(input.logHead !== undefined ? { log_head: input.logHead } : {}) };
    const result = await submitAndWait(client, body, pinned, io, retrying);
    keepClient = result.kind === 'approved';
    return { ...result, server };
  } finally {
    if (!keepClient) await client.close();
  }
}

/** --reason, else a prompt on a terminal when a rule requires one; null means the user cancelled. */
async function reasonFor(input: ApprovalInput, io: FlowEnvironment, rules: readonly string[]): Promise<string | undefined | null> {
  const given = input.options.reason?.trim();
  if (given) return given;
  if (!input.decision.approval.reasonRequired) return undefined;
  const which = rules.length > 0 ? `rule ${rules.map((r) => `"${r}"`).join(', ')} requires` : 'the policy requires';
  const missing = (): never => {
    throw new ApprovalError('reason_required', `${which} a reason for this command, and none was given (nothing was run)`, {
      hint: 'say why with --reason "<text>"; approvers see it',
    });
  };
  if (!io.interactive) return missing();
  const typed = await io.promptReason(rules);
  if (typed === null) return null;
  return typed === '' ? missing() : typed;
}

async function submitAndWait(
  client: ApprovalClient,
  body: ReturnType<typeof createBody>,
  pinned: PinnedKey,
  io: FlowEnvironment,
  retrying: CallOptions,
): Promise<ServiceAnswer> {
  const cancel = new AbortController();
  const force = new AbortController();
  const stopSignals = io.signals ? onSignals(() => (cancel.signal.aborted ? force.abort() : cancel.abort())) : () => undefined;
  let reporter: WaitReporter | undefined;
  let current: ApprovalRequest | undefined;
  try {
    // Not abortable: once sent, we need its id to cancel it.
    const created = await client.create(body, retrying);
    const startedAt = client.now();
    current = created;
    const requester = created.requester.name;
    if (created.command_digest !== commandDigest(body.command, requester)) {
      throw new ApprovalError('malformed', `the approval service recorded a different command for ${created.id} than the one gate sent (digest mismatch)`, {
        hint: 'nothing was run; the server may be misconfigured or tampered with',
      });
    }
    reporter = await io.openReporter({
      answer: async (questionId, text) => {
        await client.reply(created.id, text, questionId, { deadline: client.now() + 10_000 });
      },
      cancel: () => cancel.abort(),
    });
    reporter.update({ type: 'created', request: created });
    const until = startedAt + Math.max(0, Date.parse(created.expires_at) - Date.parse(created.created_at)) + io.graceMs;
    const waited = cancel.signal.aborted
      ? ({ kind: 'aborted', request: created } as const)
      : await waitForDecision(client, created, { until, signal: cancel.signal, reporter });
    current = waited.request;
    if (waited.kind === 'aborted') return await cancelOnServer(client, waited.request, reporter, force.signal);
    if (waited.kind === 'timed_out') return { kind: 'expired', request: waited.request };
    const request = waited.request;
    if (request.status !== 'approved') return concluded(request);
    const receipt = verify(request, body.command, requester, created.id, pinned, client.now());
    if (cancel.signal.aborted) return await cancelOnServer(client, request, reporter, force.signal);
    const claimed = await claim(client, request, receipt);
    current = claimed;
    reporter.update({ type: 'approved', request });
    reporter.update({ type: 'executing', request: claimed });
    const session: ApprovalSession = { client, requestId: created.id, reportOutcome: (outcome, logHead) => reportOutcome(session, outcome, io.notice, logHead) };
    return { kind: 'approved', request: claimed, receipt, command: body.command, session };
  } catch (error) {
    if (reporter !== undefined && error instanceof Error) {
      reporter.update({ type: 'error', request: current, code: error instanceof ApprovalError ? error.problem : 'internal', message: error.message });
    }
    throw error;
  } finally {
    stopSignals();
    await reporter?.close();
  }
}

/** After the command ran: POST outcome. A failure is a warning; the command already ran. */
export async function reportOutcome(session: ApprovalSession, outcome: ExecOutcome, notice: (line: string) => void = say, logHead?: LogHeadWire): Promise<void> {
  const { client, requestId } = session;
  try {
    await client.outcome(requestId, {
      exit_code: outcome.code,
      ...(outcome.kind === 'signaled' ? { signal: outcome.signal } : {}),
      duration_ms: outcome.durationMs,
      ...(logHead !== undefined ? { log_head: logHead } : {}),
    }, { deadline: client.now() + 10_000 });
  } catch (error) {
    notice(`warning: could not report the outcome of ${requestId} to the approval service: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.close();
  }
}

function onSignals(handler: () => void): () => void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}

