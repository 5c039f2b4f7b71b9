import { analyzeArgvSync, analyzeTextSync } from '../../src/shell/analyze.js';
import type { AnalyzeOptions } from '../../src/shell/engine.js';
import type { Analysis } from '../../src/shell/types.js';

/** Compact views of an analysis for assertions: `?` marks a word not known statically. */
export function parts(analysis: Analysis): string[] {
  return analysis.invocations.map((inv) => inv.argv.map((w) => (w.kind === 'literal' ? w.value : `?${w.text}`)).join(' '));
}

export function signals(analysis: Analysis): string[] {
  return analysis.signals.map((s) => `${s.name}@${analysis.source.slice(s.start, s.end)}`);
}

export function signalNames(analysis: Analysis): string[] {
  return [...new Set(analysis.signals.map((s) => s.name))];
}

export const text = (t: string, options: AnalyzeOptions = {}): Analysis => analyzeTextSync(t, options);
export const argv = (a: readonly string[], options: AnalyzeOptions = {}): Analysis => analyzeArgvSync(a, options);

/** The argvs of layers reached through `via` (e.g. the inner command of sudo). */
export function viaParts(analysis: Analysis): string[] {
  return analysis.invocations.map((inv) => `${inv.via.join(' > ')}: ${inv.argv.map((w) => (w.kind === 'literal' ? w.value : `?${w.text}`)).join(' ')}`);
}
