import { hashFile } from '../exec/hash-file.js';
import { decideArgv, decideText, explainAnalysis, formatExplanation, type Decision } from '../policy/index.js';
import { describeApproval } from '../policy/explain.js';
import { loadDecisionInputs } from './inputs.js';
import { displayCommand, sanitize } from '../display.js';

export interface CheckOptions {
  readonly policy: readonly string[];
  readonly json: boolean;
  /** Shell text to analyze (`gate check -c '...'`), instead of an argv after `--`. */
  readonly shell?: string;
}

/**
 * `gate check -- <cmd>` or `gate check -c '<shell text>'`: the decision, each part of the command
 * (with the layers it was reached through) and the rules it hit and why, and every fail-closed
 * signal with its position. Runs nothing.
 */
export async function checkCommand(argv: readonly string[] | undefined, options: CheckOptions): Promise<number> {
  const { policy, ctx } = await loadDecisionInputs(options.policy);
  const decisionCtx = { ...ctx, hashFile };
  const { analysis, decision } =
    options.shell !== undefined ? await decideText(policy, options.shell, decisionCtx) : await decideArgv(policy, argv ?? [], decisionCtx);
  const explanation = explainAnalysis(policy, analysis, decision, decisionCtx);
  const matches = decision.matches.map((m) => {
    const part = explanation.parts[m.invocation];
    const rule = part?.rules.find((r) => r.id === m.rule.id);
    return {
      rule: m.rule.id,
      decision: m.effect,
      rule_decision: m.rule.decision,
      certain: m.certain,
      part: m.invocation,
      source: `${m.rule.source.file}:${m.rule.source.line}`,
      ...(m.rule.message ? { message: m.rule.message } : {}),
      why: rule?.why ?? [],
    };
  });
  const report = {
    decision: decision.kind,
    rules: [...new Set(decision.matches.map((m) => m.rule.id))],
    signals: explanation.signals,
    command: options.shell ?? argv,
    parts: explanation.parts,
    matches,
    unmatched: decision.unmatched.length > 0,
    ...(decision.kind === 'approve' ? { approval: decision.approval } : {}),
    requester: ctx.requester,
    policy: { digest: policy.set.digest, files: policy.set.files.map((f) => f.path), unmatched_default: policy.set.unmatched },
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const lines = [
    `decision: ${decision.kind}`,
    `command:  ${options.shell !== undefined ? sanitize(options.shell) : displayCommand(argv ?? [])}`,
    `requester: ${ctx.requester}`,
    ...formatExplanation(explanation, { all: true, why: true }).slice(1).map(sanitize),
  ];
  if (decision.unmatched.length > 0) lines.push(`no rule matched some part; the policy default for unmatched commands is ${policy.set.unmatched}`);
  if (decision.kind === 'approve') lines.push(`approval: ${describeApproval(decision as Extract<Decision, { kind: 'approve' }>)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
