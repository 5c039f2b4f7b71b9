import type { ApprovalResult } from '../approval/flow.js';
import type { CommandFacts, CommandTrail, ServiceFacts } from '../audit/command-trail.js';
import type { LogHead, NotRunOutcome } from '../audit/log/record.js';
import { gateHome } from '../config/paths.js';
import { readUserConfig, type UserConfig } from '../config/resolve.js';
import { detectRequester } from '../context/requester.js';
import { hashFile } from '../exec/hash-file.js';
import { resolveProgram } from '../exec/resolve-program.js';
import { runInherited } from '../exec/run.js';
import { decideArgv, type CompiledPolicy, type Decision } from '../policy/index.js';
import { EXIT } from './exit-codes.js';
import { loadDecisionInputs, type DecisionInputs } from './inputs.js';
import { say } from './output.js';
import { displayCommand, sanitize } from '../display.js';

export interface RunOptions {
  readonly policy: readonly string[];
  readonly reason?: string;
  readonly onBehalfOf?: string;
  readonly environment?: string;
  /** `key=value` pairs from --context. */
  readonly context: readonly string[];
  /** JSON event lines (for agents) instead of the live view while waiting. */
  readonly json: boolean;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = { policy: [], context: [], json: false };

/**
 * `gate -- <cmd> [args...]`: the whole path of one command, top to bottom. Returns the exit code.
 * Anything thrown on the way is reported by the caller and exits 125 without running anything.
 */
export async function runCommand(argv: readonly string[], options: RunOptions): Promise<number> {
  const requestedAt = new Date();
  const inputs = await decisionInputsOnRecord(options.policy, { argv, requestedAt, options });
  const { policy, ctx } = inputs;
  // Every layer the argv would run (sudo, env, bash -c '...', find -exec ...) and every fail-closed
  // signal count; the shell parser loads only when the argv hands a string to a shell.
  const { decision } = await decideArgv(policy, argv, { ...ctx, hashFile });
  const facts: CommandFacts = { argv, cwd: ctx.cwd, programPath: '', decision, policyDigest: policy.set.digest, requester: ctx.requester, requestedAt, options };
  const program = resolveProgram(argv[0]!, process.env.PATH, ctx.cwd);
  if (decision.kind === 'deny') {
    reportDenied(decision, argv);
    await recordNotRun(inputs.config, { ...facts, programPath: program.kind === 'not-found' ? '' : program.path }, 'denied_by_policy');
    return EXIT.DENIED;
  }

  if (program.kind !== 'found') {
    const message = program.kind === 'not-found' ? `command not found: ${sanitize(argv[0]!)}` : `cannot execute ${sanitize(program.path)}: ${program.reason}`;
    say(message);
    if (mustAudit(decision, policy)) await recordNotRun(inputs.config, facts, 'failed_closed', new Error(message));
    return program.kind === 'not-found' ? EXIT.NOT_FOUND : EXIT.DENIED;
  }
  return carryOut({ facts: { ...facts, programPath: program.path }, decision, inputs, options, env: process.env, display: argv });
}

/** A decided command that may run: what carryOut needs (gate sh builds the same for shell text). */
export interface Plan {
  readonly facts: CommandFacts;
  readonly decision: Extract<Decision, { kind: 'allow' | 'approve' }>;
  readonly inputs: DecisionInputs;
  readonly options: Omit<RunOptions, 'policy'>;
  /** The child's environment. */
  readonly env: NodeJS.ProcessEnv;
  /** How the command is shown in messages. */
  readonly display: readonly string[];
  /** gate sh reports the parts that asked for approval itself. */
  readonly quiet?: boolean;
}

/**
 * Approval when the policy asks for it, the audit record (on disk before anything starts), the
 * command itself, and its end on the record. Nothing runs unless every step before it succeeded.
 */
export async function carryOut(plan: Plan): Promise<number> {
  const { facts, decision, inputs } = plan;
  // Denied, approved and failed commands are always recorded; allowed ones when the policy asks.
  const trail = mustAudit(decision, inputs.policy) ? await openTrail(inputs.config, facts) : undefined;
  let command = { argv: facts.argv, cwd: facts.cwd, programPath: facts.programPath };
  let approval: Extract<ApprovalResult, { kind: 'approved' }> | undefined;
  let service: ServiceFacts | undefined;
  try {
    // Approval (loaded only here, never on the allow path): nothing runs unless the service approved
    // exactly this command, the receipt verified against the pinned key, and our claim succeeded.
    if (decision.kind === 'approve') {
      if (!plan.options.json && plan.quiet !== true) reportApprovalRequired(decision);
      const { obtainApproval } = await import('../approval/flow.js');
      const head = trail?.head();
      const result = await obtainApproval({
        argv: facts.argv,
        cwd: facts.cwd,
        programPath: facts.programPath,
        ...(facts.shellText !== undefined ? { shellText: facts.shellText } : {}),
        decision,
        policyDigest: facts.policyDigest,
        ...(head !== undefined && trail !== undefined ? { logHead: trail.signedHead(head) } : {}),
        config: inputs.config,
        options: plan.options,
      });
      service = result.request !== undefined ? { request: result.request, serverUrl: result.server.url, serverKey: result.server.key } : undefined;
      if (result.kind !== 'approved') {
        // Not run either way: a failure to record it is a warning, not a different exit code.
        const head = warnOnFailure(() => trail?.notRun(NOT_RUN[result.kind], service !== undefined ? { service } : {}));
        if (head !== undefined) await trail?.anchorIfDue(head);
        return reportNotApproved(result, plan.display);
      }
      approval = result;
      command = { argv: result.command.argv, cwd: result.command.cwd, programPath: result.command.program_path };
    }
    // Like sudo's I/O log: no record on disk, no command.
    trail?.started(service);
  } catch (error) {
    recordFailed(trail, service, error);
    // The service saw the claim; say that nothing ran (125: gate failed) rather than leave it executing.
    await approval?.session.reportOutcome({ kind: 'exited', code: EXIT.GATE_FAILED, durationMs: 0 });
    throw error;
  }

  // A path with a slash is executed as typed (relative to the cwd, which is also the child's cwd),
  // as a shell does, so a script's $0 is `./script`, not the absolute path.
  const file = command.argv[0]!.includes('/') && facts.shellText === undefined ? command.argv[0]! : command.programPath;
  const outcome = await runInherited({ file, argv: command.argv, cwd: command.cwd, env: plan.env });
  if (outcome.kind === 'spawn-failed') say(`cannot execute ${sanitize(command.programPath)}: ${outcome.message}`);
  let head: ReturnType<CommandTrail['ended']> | undefined;
  try {
    head = trail?.ended(outcome);
  } catch (error) {
    say(`warning: the command ran, but its end could not be recorded in the audit log: ${error instanceof Error ? error.message : String(error)}`);
  }
  // An approved command's head travels with its outcome; an audited allowed one is anchored when due.
  if (approval !== undefined) await approval.session.reportOutcome(outcome, head !== undefined && trail !== undefined ? trail.signedHead(head) : undefined);
  else if (head !== undefined) await trail?.anchorIfDue(head);
  return outcome.code;
}

/** Denied, approved and failed commands are always on the record; allowed ones when a rule or the policy's defaults ask. */
export function mustAudit(decision: Decision, policy: CompiledPolicy): boolean {
  return decision.kind !== 'allow' || policy.set.auditAllowed || decision.matches.some((m) => m.rule.audit);
}

const NOT_RUN: Record<Exclude<ApprovalResult['kind'], 'approved'>, NotRunOutcome> = {
  denied: 'denied_by_approver',
  expired: 'expired',
  cancelled: 'cancelled',
};

async function openTrail(config: UserConfig, facts: CommandFacts): Promise<CommandTrail> {
  const { CommandTrail, openHostLog } = await import('../audit/command-trail.js');
  const home = gateHome();
  return new CommandTrail(home, openHostLog(home, process.env, config), facts, process.env, config);
}

/** A record of a command that did not run; if even that fails, say so (the command was not run either way). */
export async function recordNotRun(config: UserConfig, facts: CommandFacts, outcome: NotRunOutcome, error?: unknown): Promise<void> {
  let trail: CommandTrail;
  let head: LogHead;
  try {
    trail = await openTrail(config, facts);
    head = trail.notRun(outcome, error !== undefined ? { error } : {});
  } catch (failure) {
    return warnNotRecorded(failure);
  }
  await trail.anchorIfDue(head);
}

function warnOnFailure<T>(write: () => T): T | undefined {
  try {
    return write();
  } catch (failure) {
    warnNotRecorded(failure);
    return undefined;
  }
}

function warnNotRecorded(failure: unknown): void {
  say(`warning: could not write the audit record: ${failure instanceof Error ? failure.message : String(failure)}`);
}

/**
 * The policy and config a decision needs. When they cannot be loaded there is no decision and
 * nothing runs (the error goes on to exit 125), but the attempt is on the record all the same.
 */
export async function decisionInputsOnRecord(policyFlags: readonly string[], attempt: Pick<CommandFacts, 'argv' | 'shellText' | 'requestedAt' | 'options'>): Promise<DecisionInputs> {
  try {
    return await loadDecisionInputs(policyFlags);
  } catch (error) {
    let config: UserConfig = {};
    try {
      config = readUserConfig(gateHome());
    } catch {
      // The broken config is what is being reported; the log falls back to its default place.
    }
    await recordNotRun(config, { ...attempt, cwd: process.cwd(), programPath: '', policyDigest: '', requester: detectRequester(process.env, {}) }, 'failed_closed', error);
    throw error;
  }
}

function recordFailed(trail: CommandTrail | undefined, service: ServiceFacts | undefined, error: unknown): void {
  try {
    trail?.notRun('failed_closed', { error, ...(service !== undefined ? { service } : {}) });
  } catch {
    // The audit log itself failed (that is usually the error being reported).
  }
}

/** The fail-closed signals that led to `kind`, one line each, with where they are. */
export function reportSignals(decision: Decision, kind: Decision['kind']): void {
  for (const { signal, decision: outcome, waived } of decision.signals) {
    if (outcome !== kind || waived !== undefined) continue;
    say(`${kind === 'deny' ? 'denied' : 'approval required'}: ${signal.name}: ${sanitize(signal.message)}`);
  }
}

function reportDenied(decision: Extract<Decision, { kind: 'deny' }>, argv: readonly string[]): void {
  const denying = decision.matches.filter((m) => m.effect === 'deny');
  reportSignals(decision, 'deny');
  if (denying.length === 0 && !decision.signals.some((s) => s.decision === 'deny' && s.waived === undefined)) {
    say(`denied: no rule matches this command and the policy's default for unmatched commands is deny`);
  }
  for (const { rule, certain } of denying) {
    say(`denied by rule "${rule.id}" (${rule.source.file}:${rule.source.line})${certain ? '' : ' (possible match: part of the command could not be read for certain)'}`);
    if (rule.message) say(`  ${sanitize(rule.message)}`);
  }
  say(`command not run: ${displayCommand(argv)}`);
}

function reportApprovalRequired(decision: Extract<Decision, { kind: 'approve' }>): void {
  const asking = decision.matches.filter((m) => m.effect === 'approve');
  reportSignals(decision, 'approve');
  for (const { rule, certain } of asking) {
    const possibleDeny = rule.decision === 'deny' && !certain ? ' (a possible match of a deny rule: part of the command could not be read for certain, so a human decides)' : '';
    say(`approval required by rule "${rule.id}" (${rule.source.file}:${rule.source.line})${possibleDeny}`);
    if (rule.message) say(`  ${sanitize(rule.message)}`);
  }
  if (asking.length === 0 && decision.unmatched.length > 0) say(`approval required: no rule matches this command and the policy's default for unmatched commands is approve`);
}

/** Denied, expired or cancelled: say so (an approver's words verbatim, made terminal-safe) and pick the exit code. */
export function reportNotApproved(result: Exclude<ApprovalResult, { kind: 'approved' }>, argv: readonly string[]): number {
  const id = result.request ? sanitize(result.request.id) : undefined;
  let code: number;
  switch (result.kind) {
    case 'denied': {
      const [first = '', ...rest] = result.reason.split(/\r?\n/);
      say(`${result.byPolicy ? "denied by the approval service's policy" : 'denied by'} ${sanitize(result.by)}: ${sanitize(first)}`);
      for (const line of rest) say(`  ${sanitize(line)}`);
      code = EXIT.DENIED;
      break;
    }
    case 'expired':
      if (result.request.receipt !== undefined) {
        // Approved, but the receipt passed not_after before this gate could claim it.
        say(`approval request ${id} was approved, but its approval expired at ${sanitize(result.request.receipt.payload.not_after)} before it could be used`);
      } else {
        say(`approval request ${id} expired at ${sanitize(result.request.expires_at)} before enough approvers decided`);
      }
      code = EXIT.EXPIRED;
      break;
    case 'cancelled':
      say(id === undefined ? 'cancelled; no approval request was sent' : `approval request ${id} cancelled`);
      if (result.problem !== undefined) say(`  (the server did not confirm the cancellation: ${sanitize(result.problem)}; the request expires on its own)`);
      code = EXIT.CANCELLED;
      break;
  }
  say(`command not run: ${displayCommand(argv)}`);
  return code;
}
