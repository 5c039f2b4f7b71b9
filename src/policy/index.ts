import { readCachedSet, writeCachedSet } from './cache.js';
import { compilePolicy, type CompiledPolicy } from './compile.js';
import { expandSources } from './sources.js';

export type { CompiledPolicy, CompiledRule } from './compile.js';
export { decide, type Decision, type RuleMatch, type SignalOutcome } from './decide.js';
export { decideAnalysis, type DecisionContext } from './decide-analysis.js';
export { decideArgv, decideText, type Decided } from './decide-command.js';
export { explainAnalysis, formatExplanation, type Explanation, type ExplainedPart, type ExplainedSignal } from './explain-analysis.js';
export type { MatchContext } from './match.js';
export type { DecisionKind, RequesterKind, ApprovalRequirement, FailClosedDecision } from './types.js';

export interface LoadOptions {
  /** Where validated policies are cached; omit to always validate from source. */
  readonly cacheDir?: string;
  readonly version: string;
}

/**
 * Loads, validates and compiles the policy set from files and directories. YAML and the schema
 * validator are imported only on a cache miss, keeping them off the allow path.
 */
export async function loadPolicy(sources: readonly string[], options: LoadOptions): Promise<CompiledPolicy> {
  const roots = expandSources(sources);
  if (options.cacheDir !== undefined) {
    const cached = readCachedSet(options.cacheDir, roots, options.version);
    if (cached !== undefined) return compilePolicy(cached);
  }
  const { readPolicyFiles } = await import('./load-files.js');
  const { buildPolicySet } = await import('./validate.js');
  const files = readPolicyFiles(roots);
  const stamps = files.map((f) => f.stamp);
  const { set, compiled } = buildPolicySet(files);
  if (options.cacheDir !== undefined) writeCachedSet(options.cacheDir, roots, options.version, set, stamps);
  return compiled;
}
