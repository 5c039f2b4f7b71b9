import type { AnalyzeOptions } from './engine.js';
import { runAnalysis } from './run-analysis.js';
import { bashParser } from './parse.js';
import type { Analysis, Invocation } from './types.js';

/**
 * Synchronous analysis with the parser loaded up front: for tests, policy examples and the
 * server. The CLI uses the async functions of index.ts, which load the parser only when needed.
 */
export function analyzeTextSync(text: string, options: AnalyzeOptions = {}): Analysis {
  return runAnalysis(bashParser, { form: 'text', text }, options);
}

export function analyzeArgvSync(argv: readonly string[], options: AnalyzeOptions = {}): Analysis {
  return runAnalysis(bashParser, { form: 'argv', argv }, options);
}

/**
 * The first version's API, kept for callers written against it. `errors` now lists every
 * fail-closed signal (not only parse errors), so a caller that treats errors as "needs approval"
 * keeps failing closed. New code should use analyzeTextSync with decideAnalysis.
 */
export function analyzeShell(text: string): { readonly invocations: readonly Invocation[]; readonly errors: readonly { readonly message: string; readonly pos: number }[] } {
  const analysis = analyzeTextSync(text);
  return { invocations: analysis.invocations, errors: analysis.signals.map((s) => ({ message: `${s.name}: ${s.message}`, pos: s.start })) };
}

export type { AnalyzeOptions };
