import type { ApprovalResult } from '../approval/flow.js';
import { hashFile } from '../exec/hash-file.js';
import { resolveProgram } from '../exec/resolve-program.js';
import { runInherited } from '../exec/run.js';
import { decideArgv, type Decision } from '../policy/index.js';
import { EXIT } from './exit-codes.js';
import { loadDecisionInputs } from './inputs.js';
import { displayCommand, sanitize, say } from './output.js';

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
  const { config, policy, ctx } = await loadDecisionInputs(options.policy);
  // Every layer the argv would run (sudo, env, bash -c '...', find -exec ...) and every fail-closed
  // signal count; the shell parser loads only when the argv hands a string to a shell.
  const { decision } = await decideArgv(policy, argv, { ...ctx, hashFile });
  if (decision.kind === 'deny') {
    reportDenied(decision, argv);
    return EXIT.DENIED;
  }

  const program = resolveProgram(argv[0]!, process.env.PATH, ctx.cwd);
  if (program.kind === 'not-found') {
    say(`command not found: ${sanitize(argv[0]!)}`);
    return EXIT.NOT_FOUND;
  }
  if (program.kind === 'not-executable') {
    say(`cannot execute ${sanitize(program.path)}: ${program.reason}`);
    return EXIT.DENIED;
  }
  let command = { argv, cwd: ctx.cwd, programPath: program.path };

  // Approval (loaded only here, never on the allow path): nothing runs unless the service approved
  // exactly this command, the receipt verified against the pinned key, and our claim succeeded.
  let approval: Extract<ApprovalResult, { kind: 'approved' }> | undefined;
  if (decision.kind === 'approve') {
    if (!options.json) reportApprovalRequired(decision);
    const { obtainApproval } = await import('../approval/flow.js');
    const result = await obtainApproval({ ...command, decision, policyDigest: policy.set.digest, config, options });
    if (result.kind !== 'approved') return reportNotApproved(result, argv);
    approval = result;
    command = { argv: result.command.argv, cwd: result.command.cwd, programPath: result.command.program_path };
  }

  // A path with a slash is executed as typed (relative to the cwd, which is also the child's cwd),
  // as a shell does, so a script's $0 is `./script`, not the absolute path.
  const file = command.argv[0]!.includes('/') ? command.argv[0]! : command.programPath;
  const outcome = await runInherited({ file, argv: command.argv, cwd: command.cwd, env: process.env });
  if (outcome.kind === 'spawn-failed') say(`cannot execute ${sanitize(command.programPath)}: ${outcome.message}`);
  await approval?.session.reportOutcome(outcome);
  return outcome.code;
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
