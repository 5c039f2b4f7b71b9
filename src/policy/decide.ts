import type { Signal } from '../shell/signals.js';
import { programName, type Invocation } from '../shell/types.js';
import type { CompiledPolicy, CompiledRule } from './compile.js';
import { Subject, evaluate, type MatchContext } from './match.js';
import { mergeNotify, withNotify } from './notify.js';
import { NO, YES } from './tri.js';
import { stricter, type ApprovalRequirement, type DecisionKind, type Escalation } from './types.js';

export interface RuleMatch {
  readonly rule: CompiledRule;
  /** false when the rule matched only because some word or option could not be known for sure. */
  readonly certain: boolean;
  /** Index into the analyzed invocations. */
  readonly invocation: number;
  /**
   * What this match does to the decision: the rule's decision, except that a deny rule matched
   * only possibly (a word gate cannot read, `rm -f *.o` against a rule for `/`) asks a human
   * instead of refusing outright. Uncertainty still never lets anything run unapproved.
   */
  readonly effect: DecisionKind;
}

/** A fail-closed signal of the analysis with the decision the policy gives it. */
export interface SignalOutcome {
  readonly signal: Signal;
  readonly decision: DecisionKind;
  /** Why the signal does not count (an allow_scripts entry whose hash matched), if it does not. */
  readonly waived?: string;
}

interface DecisionBase {
  /** Every rule that fired, in policy order. */
  readonly matches: readonly RuleMatch[];
  /** Invocations no rule matched; the policy's `unmatched` default decided them. */
  readonly unmatched: readonly number[];
  /** Fail-closed signals of the analysis (empty when deciding plain invocations). */
  readonly signals: readonly SignalOutcome[];
}

export type Decision =
  | (DecisionBase & { readonly kind: 'allow' })
  | (DecisionBase & { readonly kind: 'approve'; readonly approval: ApprovalRequirement })
  | (DecisionBase & { readonly kind: 'deny' });

/**
 * Strictest wins: every rule is evaluated against every invocation, deny beats approve beats
 * allow, and an invocation no rule matches gets the policy's `unmatched` default.
 */
export function decide(policy: CompiledPolicy, invocations: readonly Invocation[], ctx: MatchContext): Decision {
  const matches: RuleMatch[] = [];
  const unmatched: number[] = [];
  let kind: DecisionKind = invocations.length === 0 ? policy.set.unmatched : 'allow';

  invocations.forEach((invocation, index) => {
    const prepared = new Subject(invocation, policy.specFor(programName(invocation.argv[0])));
    let fired = false;
    for (const rule of candidates(policy, prepared.program)) {
      // A name the text defines as a function or alias is not the program an allow rule names.
      if (rule.decision === 'allow' && invocation.defined !== undefined) continue;
      if (!rule.programMayMatch(prepared.program)) continue;
      const result = ruleResult(rule, prepared, ctx);
      if (result === null) continue;
      fired = true;
      const certain = result === 'certain';
      const effect: DecisionKind = rule.decision === 'deny' && !certain ? 'approve' : rule.decision;
      matches.push({ rule, certain, invocation: index, effect });
      kind = stricter(kind, effect);
    }
    if (!fired) {
      unmatched.push(index);
      kind = stricter(kind, policy.set.unmatched);
    }
  });

  const requirements = matches.filter((m) => m.effect === 'approve').map((m) => m.rule.approval);
  if (unmatched.length > 0 && policy.set.unmatched === 'approve') requirements.push(policy.set.defaultApproval);
  return toDecision(kind, { matches, unmatched, signals: [] }, requirements, policy.set.defaultApproval);
}

/** The one place a decision kind becomes a Decision; an approval merges every requirement that asked. */
export function toDecision(
  kind: DecisionKind,
  base: DecisionBase,
  requirements: readonly ApprovalRequirement[],
  fallback: ApprovalRequirement,
): Decision {
  switch (kind) {
    case 'allow':
      return { ...base, kind };
    case 'deny':
      return { ...base, kind };
    case 'approve':
      return { ...base, kind, approval: mergeApprovals(requirements, fallback) };
  }
}

/** Whether a rule fires: approve/deny rules on a possible match, allow rules only on a certain one. */
export function ruleResult(rule: CompiledRule, subject: Subject, ctx: MatchContext): 'certain' | 'possible' | null {
  const result = evaluate(rule.when, rule.unless, subject, ctx);
  if (result === NO || (rule.decision === 'allow' && result !== YES)) return null;
  return result === YES ? 'certain' : 'possible';
}

function candidates(policy: CompiledPolicy, program: string | undefined): readonly CompiledRule[] {
  // A program name that cannot be known statically could be any program: every rule applies.
  if (program === undefined) return policy.rules;
  const named = policy.byProgram.get(program);
  if (named === undefined) return policy.anyProgram;
  if (policy.anyProgram.length === 0) return named;
  return [...named, ...policy.anyProgram].sort((a, b) => a.ordinal - b.ordinal);
}

/**
 * Several approve rules at once: every group's count is required, the shortest expiry and re-auth
 * window hold, the earliest reminder is sent, and an escalation survives only if every rule has
 * one (see mergeEscalations).
 */
export function mergeApprovals(list: readonly ApprovalRequirement[], fallback: ApprovalRequirement): ApprovalRequirement {
  if (list.length === 0) return fallback;
  const counts = new Map<string, number>();
  for (const req of list) for (const { group, count } of req.from) counts.set(group, Math.max(counts.get(group) ?? 0, count));
  const reauth = list.flatMap((r) => (r.reauthSeconds === undefined ? [] : [r.reauthSeconds]));
  return {
    from: [...counts].map(([group, count]) => ({ group, count })),
    expiresSeconds: Math.min(...list.map((r) => r.expiresSeconds)),
    reasonRequired: list.some((r) => r.reasonRequired),
    onBehalfMayApprove: list.every((r) => r.onBehalfMayApprove),
    ...withNotify(mergeNotify(list.map((r) => r.notify))),
    ...(reauth.length > 0 ? { reauthSeconds: Math.min(...reauth) } : {}),
    ...mergeRemind(list.map((r) => r.remindBeforeSeconds)),
    ...mergeEscalations(list.map((r) => r.escalate)),
  };
}

/**
 * The earliest reminder wins (the longest lead); the reminder is off only if every rule turns it
 * off; an explicit lead beats the default one. A reminder only ever adds a message, so the most
 * eager setting is the safe one.
 */
function mergeRemind(leads: readonly (number | undefined)[]): { remindBeforeSeconds?: number } {
  const explicit = leads.filter((s): s is number => s !== undefined && s > 0);
  if (explicit.length > 0) return { remindBeforeSeconds: Math.max(...explicit) };
  if (leads.some((s) => s === undefined)) return {};
  return { remindBeforeSeconds: 0 };
}

/**
 * An escalation is an easier path, so merging must never add one: if any requirement has none,
 * the merged one has none. If all have one, the merged escalation demands every escalation group
 * (the largest count of each) and waits for the latest delay, so meeting it meets each rule's own
 * escalation; its announcements go to every destination named.
 */
export function mergeEscalations(list: readonly (Escalation | undefined)[]): { escalate?: Escalation } {
  if (list.length === 0 || list.some((e) => e === undefined)) return {};
  const all = list as readonly Escalation[];
  const counts = new Map<string, number>();
  for (const e of all) for (const { group, count } of e.to) counts.set(group, Math.max(counts.get(group) ?? 0, count));
  return {
    escalate: {
      afterSeconds: Math.max(...all.map((e) => e.afterSeconds)),
      to: [...counts].map(([group, count]) => ({ group, count })),
      ...withNotify(mergeNotify(all.map((e) => e.notify))),
    },
  };
}
