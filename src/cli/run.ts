import { resolveProgram } from '../exec/resolve-program.js';
import { runInherited } from '../exec/run.js';
import { decide, type Decision } from '../policy/index.js';
import { invocationFromArgv } from '../shell/types.js';
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
  const { policy, ctx } = await loadDecisionInputs(options.policy);
  const decision = decide(policy, [invocationFromArgv(argv)], ctx);

  switch (decision.kind) {
    case 'deny':
      reportDenied(decision, argv);
      return EXIT.DENIED;
    case 'approve':
      // Fails closed until an approval service is configured (see `gate serve`).
      reportApprovalUnavailable(decision, argv);
      return EXIT.GATE_FAILED;
    case 'allow':
      break;
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

  // A path with a slash is executed as typed (relative to ctx.cwd, which is also the child's cwd),
  // as a shell does, so a script's $0 is `./script`, not the absolute path.
  const file = argv[0]!.includes('/') ? argv[0]! : program.path;
  const outcome = await runInherited({ file, argv, cwd: ctx.cwd, env: process.env });
  if (outcome.kind === 'spawn-failed') say(`cannot execute ${sanitize(program.path)}: ${outcome.message}`);
  return outcome.code;
}

function reportDenied(decision: Extract<Decision, { kind: 'deny' }>, argv: readonly string[]): void {
  const denying = decision.matches.filter((m) => m.rule.decision === 'deny');
  if (denying.length === 0) {
    say(`denied: no rule matches this command and the policy's default for unmatched commands is deny`);
  }
  for (const { rule, certain } of denying) {
    say(`denied by rule "${rule.id}" (${rule.source.file}:${rule.source.line})${certain ? '' : ' (possible match: part of the command could not be read for certain)'}`);
    if (rule.message) say(`  ${sanitize(rule.message)}`);
  }
  say(`command not run: ${displayCommand(argv)}`);
}

function reportApprovalUnavailable(decision: Extract<Decision, { kind: 'approve' }>, argv: readonly string[]): void {
  const asking = decision.matches.filter((m) => m.rule.decision === 'approve');
  for (const { rule } of asking) {
    say(`approval required by rule "${rule.id}" (${rule.source.file}:${rule.source.line})`);
    if (rule.message) say(`  ${sanitize(rule.message)}`);
  }
  if (asking.length === 0) say(`approval required: no rule matches this command and the policy's default for unmatched commands is approve`);
  say(`command not run: ${displayCommand(argv)}`);
  say('no approval service is available, so the command cannot be approved (failing closed)');
  say('hint: `gate check -- <command>` shows which rules ask for approval and why');
}
