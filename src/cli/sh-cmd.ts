import type { CommandFacts } from '../audit/command-trail.js';
import { GateError } from '../errors.js';
import { hashFile } from '../exec/hash-file.js';
import { resolveBash, shellArgv, shellEnvironment } from '../exec/shell.js';
import { decideText, explainAnalysis, formatExplanation, type Decision } from '../policy/index.js';
import { EXIT } from './exit-codes.js';
import { say } from './output.js';
import { sanitize } from '../display.js';
import { carryOut, decisionInputsOnRecord, mustAudit, recordNotRun } from './run.js';

/**
 * `gate sh -c STRING`: gate as an agent's SHELL. The string is analyzed as bash, decided by the
 * policy, and, when allowed, run exactly as analyzed by bash without profiles, rc files or
 * inherited code (src/exec/shell.ts). `approve` asks the approval service for the whole string
 * (the request carries the exact text; approvers see the parts that triggered it), `deny` exits 126.
 * An agent that uses gate as its SHELL cannot pass --reason: GATE_REASON supplies it.
 */
export interface ShOptions {
  readonly policy: readonly string[];
}

export type ShArgs = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

/**
 * Reads the argument shapes agents use when SHELL points at gate: `-c STRING`, `-lc STRING`,
 * `-ic STRING`, `-l -c STRING` (-l and -i are accepted and ignored), optionally `--` before the
 * string. Extra words after the string would be $0 and arguments: not supported, rejected.
 */
export function parseShArgs(args: readonly string[]): ShArgs {
  let command = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!/^-[a-zA-Z]+$/.test(arg)) break;
    for (const letter of arg.slice(1)) {
      if (letter === 'c') command = true;
      else if (letter !== 'l' && letter !== 'i') return { ok: false, message: `gate sh: unsupported option -${letter} (use: gate sh -c 'command')` };
    }
  }
  if (!command) return { ok: false, message: "gate sh: only `gate sh -c 'command'` is supported" };
  const text = args[i];
  if (text === undefined) return { ok: false, message: 'gate sh: -c needs a command string' };
  if (i + 1 < args.length) return { ok: false, message: 'gate sh: arguments after the command string ($0, $1...) are not supported' };
  return { ok: true, text };
}

export async function shCommand(text: string, options: ShOptions): Promise<number> {
  const requestedAt = new Date();
  const argv = shellArgv(text);
  const runOptions = { context: [], json: false, ...(process.env.GATE_REASON ? { reason: process.env.GATE_REASON } : {}) };
  const inputs = await decisionInputsOnRecord(options.policy, { argv, shellText: text, requestedAt, options: runOptions });
  const { policy, ctx: baseCtx } = inputs;
  // Analyze and match against the environment the shell will actually get.
  const env = shellEnvironment(process.env);
  const ctx = { ...baseCtx, env, hashFile };
  const { analysis, decision } = await decideText(policy, text, ctx);

  const bash = resolveBash(process.env.PATH);
  const facts: CommandFacts = {
    argv,
    cwd: ctx.cwd,
    programPath: bash ?? '',
    shellText: text,
    decision,
    policyDigest: policy.set.digest,
    requester: ctx.requester,
    requestedAt,
    options: runOptions,
  };
  if (decision.kind === 'deny') {
    report(decision, 'denied', explainAnalysis(policy, analysis, decision, ctx));
    say('command not run');
    await recordNotRun(inputs.config, facts, 'denied_by_policy');
    return EXIT.DENIED;
  }
  if (bash === undefined) {
    const message = 'cannot find bash (looked in /bin, /usr/bin, /usr/local/bin, /opt/homebrew/bin and absolute PATH entries)';
    say(message);
    if (mustAudit(decision, policy)) await recordNotRun(inputs.config, facts, 'failed_closed', new Error(message));
    return EXIT.NOT_FOUND;
  }
  if (decision.kind === 'approve') report(decision, 'approval required', explainAnalysis(policy, analysis, decision, ctx));
  // An agent that uses gate as its SHELL cannot pass --reason: GATE_REASON supplies it.
  return carryOut({ facts, decision, inputs, options: runOptions, env, display: [text], quiet: true });
}

/** `gate sh ARGS` and the `gate-sh` executable: parse the sh-style arguments, then shCommand. */
export async function shMain(args: readonly string[]): Promise<number> {
  const parsed = parseShArgs(args);
  if (!parsed.ok) throw new GateError('USAGE', parsed.message, { hint: "gate sh -c 'command' (or set SHELL to gate-sh)" });
  return shCommand(parsed.text, { policy: [] });
}

/** The parts and signals that made the decision, with their positions in the string. */
function report(decision: Decision, headline: string, explanation: ReturnType<typeof explainAnalysis>): void {
  say(`${headline}: ${sanitize(explanation.source.length > 200 ? `${explanation.source.slice(0, 200)}...` : explanation.source)}`);
  const strict = decision.kind;
  const lines = formatExplanation({
    ...explanation,
    parts: explanation.parts.map((p) => ({ ...p, rules: p.rules.filter((r) => r.decision === strict) })),
    signals: explanation.signals.filter((s) => s.decision === strict),
  });
  for (const line of lines.slice(1)) say(sanitize(line));
  if (decision.unmatched.length > 0 && strict !== 'allow' && lines.length === 1) {
    say("no rule matched a part of this command and the policy's default for unmatched commands applies");
  }
}
