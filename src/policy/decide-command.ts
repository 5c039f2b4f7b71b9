import { analyzeArgv, analyzeText } from '../shell/index.js';
import type { Analysis } from '../shell/types.js';
import type { CompiledPolicy } from './compile.js';
import { decideAnalysis, type DecisionContext } from './decide-analysis.js';
import type { Decision } from './decide.js';

/**
 * One call from a command line to a decision: analyze (with the policy's wrappers, the context's
 * environment and working directory), then decide over every layer and signal. The argv form
 * loads the shell parser only when the argv hands a string to a shell.
 */
export interface Decided {
  readonly analysis: Analysis;
  readonly decision: Decision;
}

export async function decideArgv(policy: CompiledPolicy, argv: readonly string[], ctx: DecisionContext): Promise<Decided> {
  const analysis = await analyzeArgv(argv, { env: ctx.env, cwd: ctx.cwd, wrappers: policy.wrappers });
  return { analysis, decision: decideAnalysis(policy, analysis, ctx) };
}

export async function decideText(policy: CompiledPolicy, text: string, ctx: DecisionContext): Promise<Decided> {
  const analysis = await analyzeText(text, { env: ctx.env, cwd: ctx.cwd, wrappers: policy.wrappers });
  return { analysis, decision: decideAnalysis(policy, analysis, ctx) };
}
