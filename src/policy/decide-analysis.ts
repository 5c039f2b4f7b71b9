import { posix } from 'node:path';
import type { Analysis } from '../shell/types.js';
import type { Signal } from '../shell/signals.js';
import type { CompiledPolicy } from './compile.js';
import { decide, toDecision, type Decision, type SignalOutcome } from './decide.js';
import type { MatchContext } from './match.js';
import { stricter, type ApprovalRequirement, type DecisionKind } from './types.js';

/**
 * What a decision over a whole analysis needs besides the policy: the match context, and I/O
 * the caller injects so deciding stays pure (reading a script to hash it is the caller's job).
 */
export interface DecisionContext extends MatchContext {
  /** sha256 (hex) of a file's content, or undefined when it cannot be read. */
  readonly hashFile?: (absolutePath: string) => string | undefined;
}

/** Signals an allow_scripts entry can waive: a script file run or sourced by path. */
const SCRIPT_SIGNALS = new Set(['shell-runs-script-file', 'source-file']);

/**
 * The decision for an analyzed command line: strictest over every rule on every invocation
 * (every layer: `sudo`, and the `rm` it runs) and every fail-closed signal. A signal is approve
 * or deny as the policy says, never allow, except a script pinned by path and sha256 in
 * `allow_scripts` whose content still has that hash when the decision is made.
 */
export function decideAnalysis(policy: CompiledPolicy, analysis: Analysis, ctx: DecisionContext): Decision {
  const rules = decide(policy, analysis.invocations, ctx);
  const signals = analysis.signals.map((signal) => signalOutcome(policy, signal, ctx));
  let kind: DecisionKind = rules.kind;
  for (const outcome of signals) kind = stricter(kind, outcome.decision);
  const requirements: ApprovalRequirement[] = rules.kind === 'approve' ? [rules.approval] : [];
  if (signals.some((s) => s.decision === 'approve')) requirements.push(policy.set.defaultApproval);
  return toDecision(kind, { matches: rules.matches, unmatched: rules.unmatched, signals }, requirements, policy.set.defaultApproval);
}

function signalOutcome(policy: CompiledPolicy, signal: Signal, ctx: DecisionContext): SignalOutcome {
  const decision = policy.signalDecision(signal.name);
  if (!SCRIPT_SIGNALS.has(signal.name) || signal.path === undefined || ctx.hashFile === undefined) return { signal, decision };
  const absolute = posix.resolve(ctx.cwd, signal.path);
  const entries = policy.allowScripts.filter((e) => posix.resolve(ctx.cwd, e.path) === absolute);
  if (entries.length === 0) return { signal, decision };
  const actual = ctx.hashFile(absolute)?.toLowerCase();
  const entry = entries.find((e) => e.sha256 === actual);
  if (entry === undefined) {
    const why = actual === undefined ? 'cannot be read' : `has sha256 ${actual}, not the one pinned`;
    return { signal: { ...signal, message: `${signal.message} (allow_scripts lists ${signal.path}, but it ${why})` }, decision };
  }
  return { signal, decision: 'allow', waived: `allow_scripts entry at ${entry.source.file}:${entry.source.line} (sha256 matches)` };
}
