import type { Invocation } from '../shell/types.js';
import { programName } from '../shell/types.js';
import type { CompiledPolicy, CompiledRule } from './compile.js';
import { compileConditions } from './compile.js';
import type { Decision } from './decide.js';
import { formatDuration } from './duration.js';
import { Subject, evaluateConditions, type MatchContext } from './match.js';
import { MAYBE, YES, type Tri } from './tri.js';
import type { ConditionsDoc } from './types.js';

const CONDITION_KEYS = ['requester', 'program', 'cwd', 'env', 'args', 'subcommand', 'flags', 'options'] as const;

/** Why a rule matched: each of its conditions with its outcome ("yes" or "possibly"). */
export function explainRule(policy: CompiledPolicy, rule: CompiledRule, invocation: Invocation, ctx: MatchContext): string[] {
  const doc = policy.set.rules[rule.ordinal]!;
  const subject = new Subject(invocation, policy.specFor(programName(invocation.argv[0])));
  const reasons: string[] = [];
  for (const key of CONDITION_KEYS) {
    if (doc[key] === undefined) continue;
    const single = compileConditions({ [key]: doc[key] } as ConditionsDoc);
    reasons.push(`${key} ${JSON.stringify(doc[key])}: ${triText(evaluateConditions(single, subject, ctx))}`);
  }
  const unless = doc.unless === undefined ? [] : Array.isArray(doc.unless) ? doc.unless : [doc.unless];
  rule.unless.forEach((exception, i) => {
    const outcome = evaluateConditions(exception, subject, ctx);
    reasons.push(`unless ${JSON.stringify(unless[i])}: ${outcome === YES ? 'holds' : outcome === MAYBE ? 'might hold' : 'does not hold'}`);
  });
  if (reasons.length === 0) reasons.push('the rule has no conditions: it matches every command');
  return reasons;
}

function triText(value: Tri): string {
  return value === YES ? 'yes' : value === MAYBE ? 'possibly (a word or option could not be read for certain)' : 'no';
}

/** One line describing what an approval needs, e.g. "2 approvals from dba and 1 from security". */
export function describeApproval(decision: Extract<Decision, { kind: 'approve' }>): string {
  const a = decision.approval;
  const who = a.from.length === 0 ? '1 approval from any approver other than the requester' : a.from.map((f) => `${f.count} from ${f.group}`).join(' and ');
  const reauth = a.reauthSeconds === undefined ? '' : `; approvers on the web must have signed in within ${formatDuration(a.reauthSeconds)}`;
  return `${who}; expires after ${formatDuration(a.expiresSeconds)}${a.reasonRequired ? '; a reason is required' : ''}${reauth}`;
}
