import { analyzeShell } from '../shell/analyze.js';
import { invocationFromArgv, type Invocation } from '../shell/types.js';
import type { CompiledPolicy, CompiledRule } from './compile.js';
import { decide, ruleResult } from './decide.js';
import { Subject, type MatchContext } from './match.js';
import { programName } from '../shell/types.js';
import type { DecisionKind, ExampleDoc, RequesterKind, TestDoc } from './types.js';

/** A sample command with the deterministic context it is evaluated in (empty env, cwd `/`, human). */
export interface Sample {
  readonly invocations: readonly Invocation[];
  readonly ctx: MatchContext;
  readonly display: string;
}

export function toSample(example: ExampleDoc | TestDoc): Sample {
  const spec = typeof example === 'string' || Array.isArray(example) ? { command: example as string | readonly string[] } : (example as Exclude<ExampleDoc, string | readonly string[]>);
  const command = spec.command;
  const ctx: MatchContext = {
    env: { ...(spec.env ?? {}) },
    cwd: spec.cwd ?? '/',
    requester: (spec.requester ?? 'human') as RequesterKind,
  };
  if (typeof command !== 'string') {
    return { invocations: [invocationFromArgv(command)], ctx, display: JSON.stringify(command) };
  }
  const analysis = analyzeShell(command);
  if (analysis.errors.length > 0) {
    throw new Error(`sample does not parse as shell: ${analysis.errors[0]!.message} (at offset ${analysis.errors[0]!.pos})`);
  }
  if (analysis.invocations.length === 0) throw new Error('sample contains no command');
  return { invocations: analysis.invocations, ctx, display: JSON.stringify(command) };
}

/** Does this rule fire on any part of the sample? */
export function ruleFiresOn(policy: CompiledPolicy, rule: CompiledRule, sample: Sample): boolean {
  return sample.invocations.some((inv) => {
    const subject = new Subject(inv, policy.specFor(programName(inv.argv[0])));
    return ruleResult(rule, subject, sample.ctx) !== null;
  });
}

export interface TestOutcome {
  readonly test: TestDoc;
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
      sample = toSample(test);
    } catch (error) {
      return { test, passed: false, expected: test.decision, actual: 'error', rules: [], detail: (error as Error).message };
    }
    const decision = decide(policy, sample.invocations, sample.ctx);
    const rules = [...new Set(decision.matches.map((m) => m.rule.id))];
    const rulesOk = test.rules === undefined || sameSet(test.rules, rules);
    const passed = decision.kind === test.decision && rulesOk;
    const detail = rulesOk ? undefined : `expected rules [${test.rules!.join(', ')}], matched [${rules.join(', ')}]`;
    return { test, passed, expected: test.decision, actual: decision.kind, rules, ...(detail ? { detail } : {}) };
  });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((x) => set.has(x));
}
