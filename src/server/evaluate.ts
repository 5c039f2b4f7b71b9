import type { ApprovalRequirementWire, ClientDecision, CommandSpec, NotifyTargetsWire, PrincipalKind, RuleRef } from '../approval/protocol.js';
import { mergeApprovals } from '../policy/decide.js';
import { decideAnalysis, type ApprovalRequirement, type CompiledPolicy, type Decision } from '../policy/index.js';
import { stricter, type NotifyTargets, type RuleDoc } from '../policy/types.js';
import { analyzeArgvSync, analyzeTextSync } from '../shell/analyze.js';
import { wordText, type Analysis } from '../shell/types.js';

/**
 * What the server makes of a submitted command: its OWN policy's decision, combined with the
 * client's claim so that the stricter wins (deny > approve > allow). The client can add
 * requirements, never remove them: editing the local policy does not lower the server's bar.
 * Pure: the policy is compiled data; the requester kind comes from the token, not from the body.
 */
export type Evaluation =
  | { readonly kind: 'allow'; readonly rules: readonly RuleRef[] }
  | { readonly kind: 'approve'; readonly rules: readonly RuleRef[]; readonly requirement: ApprovalRequirementWire }
  | { readonly kind: 'deny'; readonly rules: readonly RuleRef[]; readonly reason: string };

export interface EvaluationInput {
  readonly command: CommandSpec;
  readonly env: Readonly<Record<string, string>>;
  readonly requester: PrincipalKind;
  readonly client: ClientDecision;
}

export const toWire = (r: ApprovalRequirement): ApprovalRequirementWire => ({
  from: r.from.map((f) => ({ group: f.group, count: f.count })),
  expires_seconds: r.expiresSeconds,
  reason_required: r.reasonRequired,
  on_behalf_may_approve: r.onBehalfMayApprove,
  ...notifyWire(r.notify),
  ...(r.reauthSeconds !== undefined ? { reauth_seconds: r.reauthSeconds } : {}),
  ...(r.remindBeforeSeconds !== undefined ? { remind_before_seconds: r.remindBeforeSeconds } : {}),
  ...(r.escalate !== undefined
    ? { escalate: { after_seconds: r.escalate.afterSeconds, to: r.escalate.to.map((t) => ({ group: t.group, count: t.count })), ...notifyWire(r.escalate.notify) } }
    : {}),
});

const fromWire = (r: ApprovalRequirementWire): ApprovalRequirement => ({
  from: r.from.map((f) => ({ group: f.group, count: f.count })),
  expiresSeconds: r.expires_seconds,
  reasonRequired: r.reason_required,
  onBehalfMayApprove: r.on_behalf_may_approve,
  // No notify and no reminder: where and when a request is announced is the server's choice.
  ...(r.reauth_seconds !== undefined ? { reauthSeconds: r.reauth_seconds } : {}),
  // A client's escalation is kept only to be merged: mergeApprovals drops it unless the server's
  // requirement has one too, and then it can only make the escalation stricter. Its notify is dropped.
  ...(r.escalate !== undefined ? { escalate: { afterSeconds: r.escalate.after_seconds, to: r.escalate.to.map((t) => ({ group: t.group, count: t.count })) } } : {}),
});

/** Only the kinds that name something, so a requirement without destinations has no `notify`. */
function notifyWire(n: NotifyTargets | undefined): { notify?: NotifyTargetsWire } {
  if (n === undefined) return {};
  const wire: { slack?: string[]; teams?: string[]; webhook?: string[] } = {};
  if (n.slack.length > 0) wire.slack = [...n.slack];
  if (n.teams.length > 0) wire.teams = [...n.teams];
  if (n.webhook.length > 0) wire.webhook = [...n.webhook];
  return Object.keys(wire).length === 0 ? {} : { notify: wire };
}

export function evaluateRequest(policy: CompiledPolicy, input: EvaluationInput): Evaluation {
  // The same analysis as the client's: every layer, wrapper and fail-closed signal. The server has
  // no access to the client's files, so allow_scripts pins cannot waive anything here.
  const ctx = { env: input.env, cwd: input.command.cwd, requester: input.requester };
  const options = { env: input.env, cwd: input.command.cwd, wrappers: policy.wrappers };
  const analysis = input.command.shell_text === undefined ? analyzeArgvSync(input.command.argv, options) : analyzeTextSync(input.command.shell_text, options);
  const decision = decideAnalysis(policy, analysis, ctx);
  const serverKind = decision.kind;
  const serverRules: RuleRef[] = ruleRefs(decision, analysis, input.command.shell_text);
  const serverRequirement: ApprovalRequirement | undefined = decision.kind === 'approve' ? decision.approval : undefined;

  const client = input.client;
  const rules = [...serverRules, ...client.rules.map((id): RuleRef => ({ id, decision: client.decision, source: 'client' }))];
  switch (stricter(serverKind, client.decision)) {
    case 'allow':
      return { kind: 'allow', rules };
    case 'deny':
      return { kind: 'deny', rules, reason: denyReason(policy, decision, serverKind, client) };
    case 'approve': {
      const list: ApprovalRequirement[] = [];
      if (serverRequirement !== undefined) list.push(serverRequirement);
      if (client.decision === 'approve') list.push(fromWire(client.requirement));
      return { kind: 'approve', rules, requirement: toWire(mergeApprovals(list, policy.set.defaultApproval)) };
    }
  }
}

function ruleRefs(decision: Decision, analysis: Analysis, shellText: string | undefined): RuleRef[] {
  const partText = (index: number): string | undefined => {
    const inv = analysis.invocations[index];
    if (inv === undefined) return undefined;
    if (shellText !== undefined && inv.span !== undefined) return shellText.slice(inv.span.start, inv.span.end);
    return inv.argv.map(wordText).join(' ');
  };
  const byId = new Map<string, { ref: Omit<RuleRef, 'parts'>; parts: Set<string> }>();
  const add = (ref: Omit<RuleRef, 'parts'>, part: string | undefined): void => {
    const entry = byId.get(ref.id) ?? { ref, parts: new Set<string>() };
    if (part !== undefined && part !== '') entry.parts.add(part.length > 300 ? `${part.slice(0, 300)}...` : part);
    byId.set(ref.id, entry);
  };
  for (const { rule, invocation, effect } of decision.matches) {
    add({ id: rule.id, decision: effect, ...(rule.message !== undefined ? { message: rule.message } : {}), source: 'server' }, partText(invocation));
  }
  // Fail-closed signals count like rules: the approver sees why the command was not clear-cut.
  for (const { signal, decision: kind, waived } of decision.signals) {
    if (waived !== undefined) continue;
    add({ id: `signal:${signal.name}`, decision: kind, message: signal.message, source: 'server' }, shellText?.slice(signal.start, signal.end));
  }
  return [...byId.values()].map(({ ref, parts }) => (parts.size > 0 ? { ...ref, parts: [...parts] } : ref));
}

function denyReason(policy: CompiledPolicy, decision: Decision, serverKind: Decision['kind'], client: ClientDecision): string {
  if (serverKind !== 'deny') {
    return `the client's policy denies this command${client.rules.length > 0 ? ` (rules: ${client.rules.join(', ')})` : ''}`;
  }
  const denying = decision.matches.filter((m) => m.effect === 'deny').map((m) => m.rule);
  const parts = [...new Map(denying.map((r) => [r.id, r])).values()].map((r) => (r.message ? `${r.id}: ${r.message}` : r.id));
  if (decision.unmatched.length > 0 && policy.set.unmatched === 'deny') {
    parts.push("no rule matches this command and the server policy's default for unmatched commands is deny");
  }
  return `denied by the server's policy: ${parts.join('; ')}`;
}

/** Names of the environment variables the policy's `env` conditions read (also inside `unless`). */
export function policyEnvNames(policy: CompiledPolicy): string[] {
  const names = new Set<string>();
  const add = (doc: Pick<RuleDoc, 'env'>): void => {
    for (const name of Object.keys(doc.env ?? {})) names.add(name);
  };
  for (const rule of policy.set.rules) {
    add(rule);
    if (rule.unless !== undefined) for (const u of Array.isArray(rule.unless) ? rule.unless : [rule.unless]) add(u as Pick<RuleDoc, 'env'>);
  }
  return [...names].sort();
}
