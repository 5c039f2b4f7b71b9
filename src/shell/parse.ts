import '../bundle-layout.js'; // see src/bundle-layout.ts
/**
 * The one place that loads the bash parser: unbash 6.0.4, exact-pinned in package.json (a new
 * version must be re-measured against test/shell before it ships).
 *
 * MEASUREMENTS (2-core AMD EPYC VM under load, Node 20.20, bash 5.2.15 as the reference)
 * - Correctness, test/shell/bash-cases.ts: 113 texts run by real bash with logging fake programs
 *   on PATH, compared with the analysis: 103 correct, 10 fail closed (all intended: dynamic
 *   program names, `$'\x{72}'`, code piped into bash, eval/`${x@P}`/arithmetic of a variable),
 *   0 unsafe (a command bash ran that the analysis missed without a signal).
 * - Red-team corpus (test/redteam): 566/566 sensitive phrasings need approval or are denied.
 * - unbash divergences from bash found on the way, handled here or in words.ts/walk.ts:
 *   `$'\x{41}'` is left undecoded and `$'a\<newline>b'` loses its backslash-newline (gate decodes
 *   `$'...'` itself, ansi-c.ts); `<<-` bodies keep their leading tabs (stripped in walk.ts);
 *   scripts in escaped backticks index their own decoded text (positions clamped to the
 *   substitution). unbash caps syntax nesting at 256 and reports it as an error.
 * - Cold start: importing the bundled parser chunk (105 KB) takes 4-6 ms, the first parse ~2.2 ms,
 *   later one-liners ~0.15 ms; node + import + one parse: 84 ms vs 73 ms for bare node (median
 *   of 11 processes); RSS 43 MiB vs 39 MiB. Whole analysis (parse, walk, unwrap, signals) of a
 *   typical one-liner: median 0.06 ms, p99 0.33 ms warm (bench/run.mjs, section d).
 *
 * Everything the parser reports is fail-closed: every entry of `errors` (top level and in nested
 * scripts, collected by walk.ts), an exception, the nesting cap. Only this module and the
 * modules it is imported by dynamically touch unbash, so `gate -- true` never loads it.
 */
import { forEachChild, parse, type ParsedScript, type SyntaxNode } from 'unbash';

export type ParseResult = { readonly ok: true; readonly script: ParsedScript } | { readonly ok: false; readonly message: string };

/**
 * The parser as the analyzer uses it. Both functions come from here, so no other module needs a
 * runtime import of unbash (a static one would load the parser on the argv path too).
 */
export interface Parser {
  parse(text: string): ParseResult;
  forEachChild(node: SyntaxNode, callback: (child: SyntaxNode) => void): void;
}

export const bashParser: Parser = {
  parse(text) {
    try {
      return { ok: true, script: parse(text) };
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
  },
  forEachChild,
};
