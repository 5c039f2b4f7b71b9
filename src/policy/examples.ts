import { analyzeArgvSync, analyzeTextSync } from '../shell/analyze.js';
import type { Analysis, Invocation } from '../shell/types.js';
import type { WrapperDoc } from '../shell/wrappers.js';
import type { CompiledPolicy, CompiledRule } from './compile.js';
import { decideAnalysis } from './decide-analysis.js';
import { ruleResult } from './decide.js';
import { Subject, type MatchContext } from './match.js';
import { programName } from '../shell/types.js';
import type { DecisionKind, ExampleDoc, PolicySet, RequesterKind, TestDoc } from './types.js';

/** A sample command with the deterministic context it is evaluated in (empty env, cwd `/`, human). */
export interface Sample {
  /** Every layer of every command in the sample (`sudo rm` gives `sudo rm` and `rm`). */
  readonly invocations: readonly Invocation[];
  readonly analysis: Analysis;
  readonly ctx: MatchContext;
  readonly display: string;
}

/** Analyzes an example the way gate analyzes a real command (unwrapping, signals), in a fixed context. */
export function toSample(example: ExampleDoc | TestDoc, wrappers: readonly WrapperDoc[] = []): Sample {
  const spec = typeof example === 'string' || Array.isArray(example) ? { command: example as string | readonly string[] } : (example as Exclude<ExampleDoc, string | readonly string[]>);
  const command = spec.command;
  const ctx: MatchContext = {
    env: { ...(spec.env ?? {}) },
    cwd: spec.cwd ?? '/',
    requester: (spec.requester ?? 'human') as RequesterKind,
  };
  const options = { env: ctx.env, cwd: ctx.cwd, wrappers };
  if (typeof command !== 'string') {
    const analysis = analyzeArgvSync(command, options);
    return { invocations: analysis.invocations, analysis, ctx, display: JSON.stringify(command) };
  }
  const analysis = analyzeTextSync(command, options);
  const error = analysis.signals.find((s) => s.name === 'parse-error');
  if (error !== undefined) throw new Error(`sample does not parse as shell: ${error.message} (at offset ${error.start})`);
  if (analysis.invocations.length === 0) throw new Error('sample contains no command');
  return { invocations: analysis.invocations, analysis, ctx, display: JSON.stringify(command) };
}

/** Does this rule fire on any part of the sample? */
export function ruleFiresOn(policy: CompiledPolicy, rule: CompiledRule, sample: Sample): boolean {
  return sample.invocations.some((inv) => {
    const subject = new Subject(inv, policy.specFor(programName(inv.argv[0])));
    return ruleResult(rule, subject, sample.ctx) !== null;
  });
}

export interface TestOutcome {
  readonly test: PolicySet['tests'][number];
  readonly passed: boolean;
  readonly expected: DecisionKind;
  readonly actual: DecisionKind | 'error';
  readonly rules: readonly string[];
  readonly detail?: string;
}

/** Runs the table-driven `tests:` of a policy set against the merged policy. */
export function runPolicyTests(policy: CompiledPolicy): TestOutcome[] {
  return policy.set.tests.map((test) => {
    let sample: Sample;
    try {
      sample = toSample(test, policy.wrappers);
    } catch (error) {
      return { test, passed: false, expected: test.decision, actual: 'error', rules: [], detail: (error as Error).message };
    }
    // Tests check the real decision: every layer, every rule, and the fail-closed signals.
    const decision = decideAnalysis(policy, sample.analysis, sample.ctx);
    const rules = [...new Set(decision.matches.map((m) => m.rule.id))];
    const rulesOk = test.rules === undefined || sameSet(test.rules, rules);
    const passed = decision.kind === test.decision && rulesOk;
    const signals = decision.signals.filter((o) => o.decision !== 'allow').map((o) => o.signal.name);
    const details = [
      ...(rulesOk ? [] : [`expected rules [${test.rules!.join(', ')}], matched [${rules.join(', ')}]`]),
      ...(decision.kind !== test.decision && signals.length > 0 ? [`signals: ${[...new Set(signals)].join(', ')}`] : []),
    ];
    const detail = details.length === 0 ? undefined : details.join('; ');
    return { test, passed, expected: test.decision, actual: decision.kind, rules, ...(detail ? { detail } : {}) };
  });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((x) => set.has(x));
}
