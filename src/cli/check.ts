import { decide, type Decision } from '../policy/index.js';
import { describeApproval, explainRule } from '../policy/explain.js';
import { invocationFromArgv } from '../shell/types.js';
import { loadDecisionInputs } from './inputs.js';
import { displayCommand, sanitize } from './output.js';

export interface CheckOptions {
  readonly policy: readonly string[];
  readonly json: boolean;
}

/** `gate check -- <cmd>`: the decision, every rule that matched and why. Runs nothing. */
export async function checkCommand(argv: readonly string[], options: CheckOptions): Promise<number> {
  const { policy, ctx } = await loadDecisionInputs(options.policy);
  const invocations = [invocationFromArgv(argv)];
  const decision = decide(policy, invocations, ctx);
  const matches = decision.matches.map((m) => ({
    rule: m.rule.id,
    decision: m.rule.decision,
    certain: m.certain,
    source: `${m.rule.source.file}:${m.rule.source.line}`,
    ...(m.rule.message ? { message: m.rule.message } : {}),
    why: explainRule(policy, m.rule, invocations[m.invocation]!, ctx),
  }));
  const report = {
    decision: decision.kind,
    rules: [...new Set(decision.matches.map((m) => m.rule.id))],
    command: argv,
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
  const lines = [`decision: ${decision.kind}`, `command:  ${displayCommand(argv)}`, `requester: ${ctx.requester}`];
  for (const m of matches) {
    lines.push(`rule ${m.rule} (${m.decision}${m.certain ? '' : ', possible match'}) at ${m.source}`);
    if (m.message) lines.push(`  message: ${sanitize(m.message)}`);
    for (const why of m.why) lines.push(`  - ${sanitize(why)}`);
  }
  if (decision.unmatched.length > 0) lines.push(`no rule matched; the policy default for unmatched commands is ${policy.set.unmatched}`);
  if (decision.kind === 'approve') lines.push(`approval: ${describeApproval(decision as Extract<Decision, { kind: 'approve' }>)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
