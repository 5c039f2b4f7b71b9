import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolveBash, runShell, shellEnvironment } from '../exec/shell.js';
import { decideText, explainAnalysis, formatExplanation, type Decision } from '../policy/index.js';
import { EXIT } from './exit-codes.js';
import { loadDecisionInputs } from './inputs.js';
import { sanitize, say } from './output.js';

/**
 * `gate sh -c STRING`: gate as an agent's SHELL. The string is analyzed as bash, decided by the
 * policy, and, when allowed, run exactly as analyzed by bash without profiles, rc files or
 * inherited code (src/exec/shell.ts). Approval is not wired here yet: an `approve` decision
 * prints what asked for it and fails closed (125); `deny` exits 126.
 */
export interface ShOptions {
  readonly policy: readonly string[];
  /** One JSON object on stdout describing the decision (nothing runs unless allowed). */
  readonly json?: boolean;
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

/** sha256 of a file, for allow_scripts: read at decision time, undefined when unreadable. */
export function hashFile(path: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}

export async function shCommand(text: string, options: ShOptions): Promise<number> {
  const { policy, ctx: baseCtx } = await loadDecisionInputs(options.policy);
  // Analyze and match against the environment the shell will actually get.
  const env = shellEnvironment(process.env);
  const ctx = { ...baseCtx, env, hashFile };
  const { analysis, decision } = await decideText(policy, text, ctx);

  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(explainAnalysis(policy, analysis, decision, ctx))}\n`);
    if (decision.kind !== 'allow') return decision.kind === 'deny' ? EXIT.DENIED : EXIT.GATE_FAILED;
  }
  switch (decision.kind) {
    case 'deny':
      report(decision, 'denied', explainAnalysis(policy, analysis, decision, ctx));
      return EXIT.DENIED;
    case 'approve':
      report(decision, 'approval required', explainAnalysis(policy, analysis, decision, ctx));
      say('no approval service is available here, so the command cannot be approved (failing closed)');
      return EXIT.GATE_FAILED;
    case 'allow':
      break;
  }
  const bash = resolveBash(process.env.PATH);
  if (bash === undefined) {
    say('cannot find bash (looked in /bin, /usr/bin, /usr/local/bin, /opt/homebrew/bin and absolute PATH entries)');
    return EXIT.NOT_FOUND;
  }
  const outcome = await runShell({ text, cwd: ctx.cwd, env: process.env, bash });
  if (outcome.kind === 'spawn-failed') say(`cannot execute ${sanitize(bash)}: ${outcome.message}`);
  return outcome.code;
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
  say('command not run');
}
