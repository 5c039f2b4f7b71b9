/**
 * The shell analysis API: text or argv in, an Analysis out (every layer of every command that
 * could run, and every fail-closed signal). The analyzer and the bash parser are loaded on
 * demand: `gate -- true` (a program nothing unwraps) loads neither.
 */
import type { AnalyzeOptions } from './engine.js';
import { isSpecialProgram } from './special.js';
import { invocationFromArgv, programName, type Analysis } from './types.js';

export type { AnalyzeOptions } from './engine.js';
export type { Analysis, Assignment, Invocation, Word } from './types.js';
export { invocationFromArgv, programName, wordText } from './types.js';
export type { Signal, SignalName, Span } from './signals.js';
export { SIGNAL_INFO, SIGNAL_NAMES, isSignalName } from './signals.js';
export type { WrapperDoc } from './wrappers.js';

/** Mirrors LIMITS.maxBytes of engine.ts (checked by test/shell). */
const MAX_ARGV_BYTES = 64 * 1024;

/** `gate sh -c TEXT`: the whole string, parsed as bash. */
export async function analyzeText(text: string, options: AnalyzeOptions = {}): Promise<Analysis> {
  const [{ runAnalysis }, { bashParser }] = await Promise.all([import('./run-analysis.js'), import('./parse.js')]);
  return runAnalysis(bashParser, { form: 'text', text }, options);
}

/** `gate -- ARGV`: the argv as exec'd; the parser is loaded only for nested shell strings. */
export async function analyzeArgv(argv: readonly string[], options: AnalyzeOptions = {}): Promise<Analysis> {
  const plain = plainArgv(argv, options);
  if (plain !== undefined) return plain;
  const [{ NeedsParser }, { runAnalysis }] = await Promise.all([import('./engine.js'), import('./run-analysis.js')]);
  try {
    return runAnalysis(undefined, { form: 'argv', argv }, options);
  } catch (error) {
    if (!(error instanceof NeedsParser)) throw error;
    const { bashParser } = await import('./parse.js');
    return runAnalysis(bashParser, { form: 'argv', argv }, options);
  }
}

/**
 * The analysis of an argv whose program nothing unwraps: one invocation, no signal. This is
 * exactly what the analyzer returns for it (peel.ts ignores programs that are not special).
 */
function plainArgv(argv: readonly string[], options: AnalyzeOptions): Analysis | undefined {
  const program = programName({ kind: 'literal', value: argv[0] ?? '' });
  if (argv.length === 0 || program === undefined || isSpecialProgram(program)) return undefined;
  if ((options.wrappers ?? []).some((w) => (typeof w.name === 'string' ? w.name === program : w.name.includes(program)))) return undefined;
  const source = argv.join(' ');
  if (source.length > MAX_ARGV_BYTES) return undefined;
  return { form: 'argv', source, invocations: [{ ...invocationFromArgv(argv), span: { start: 0, end: source.length } }], signals: [] };
}
