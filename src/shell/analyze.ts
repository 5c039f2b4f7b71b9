import type { AnalyzeOptions } from './engine.js';
import { runAnalysis } from './run-analysis.js';
import { bashParser } from './parse.js';
import type { Analysis } from './types.js';

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

export type { AnalyzeOptions };
