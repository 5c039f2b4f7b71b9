import type { Word as AstWord, DoubleQuotedChild, WordPart } from 'unbash';
import { decodeAnsiC } from './ansi-c.js';
import type { UnknownReason, Word } from './types.js';

/**
 * Variables the analyzer may replace with their value. The analyzer decides which names are safe
 * (set in gate's own environment, never assigned by the analyzed text); anything else is unknown.
 */
export interface WordEnv {
  lookup(name: string): string | undefined;
}

export const NO_ENV: WordEnv = { lookup: () => undefined };

/**
 * How bash treats the word: `argument` words are split and globbed (a glob or brace is unknown);
 * `assignment` values are not (`X=*` assigns a literal star).
 */
export type WordMode = 'argument' | 'assignment';

/** A value that survives unquoted expansion unchanged: no field splitting, no globbing. */
const SPLIT_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Resolves a parsed word to its exact runtime text when that is statically certain (quotes,
 * escapes and `$'...'` removed exactly as bash does), and to `unknown` otherwise: any expansion
 * gate may not replace, substitution, glob, brace or tilde form it cannot resolve.
 */
export function resolveWord(word: AstWord, env: WordEnv = NO_ENV, mode: WordMode = 'argument'): Word {
  const parts = word.parts;
  if (parts === undefined) return resolveBare(word.text, word.value, env, mode);
  let value = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const piece = partValue(part, env, mode, i === 0, word.text);
    if (typeof piece !== 'string') return { kind: 'unknown', text: word.text, why: piece.why };
    value += piece;
  }
  return { kind: 'literal', value };
}

type Piece = string | { why: UnknownReason };

function partValue(part: WordPart, env: WordEnv, mode: WordMode, first: boolean, wordText: string): Piece {
  switch (part.type) {
    case 'Literal':
      return literalPart(part.text, part.value, env, mode, first, wordText);
    case 'SingleQuoted':
      return part.value;
    case 'AnsiCQuoted':
      return decodeAnsiC(part.text) ?? { why: 'escape' };
    case 'DoubleQuoted': {
      let out = '';
      for (const child of part.parts) {
        const piece = quotedChild(child, env);
        if (typeof piece !== 'string') return piece;
        out += piece;
      }
      return out;
    }
    case 'SimpleExpansion':
    case 'ParameterExpansion': {
      const value = expansionValue(part, env);
      if (value === undefined) return { why: 'expansion' };
      return mode === 'assignment' || SPLIT_SAFE.test(value) ? value : { why: 'expansion' };
    }
    case 'Glob':
    case 'ExtendedGlob':
      return mode === 'assignment' ? part.text : { why: 'glob' };
    case 'BraceExpansion':
      return mode === 'assignment' ? part.text : { why: 'brace' };
    // `$"..."` may be translated through a message catalog; the other parts run code.
    case 'LocaleString':
    case 'CommandExpansion':
    case 'ArithmeticExpansion':
    case 'ProcessSubstitution':
      return { why: 'expansion' };
  }
}

function quotedChild(child: DoubleQuotedChild, env: WordEnv): Piece {
  switch (child.type) {
    case 'Literal':
      return child.value;
    case 'SimpleExpansion':
    case 'ParameterExpansion':
      return expansionValue(child, env) ?? { why: 'expansion' };
    case 'CommandExpansion':
    case 'ArithmeticExpansion':
      return { why: 'expansion' };
  }
}

/** `$NAME` or a plain `${NAME}`; any operator, index or indirection stays unknown. */
export function expansionName(part: WordPart | DoubleQuotedChild): string | undefined {
  if (part.type === 'SimpleExpansion') {
    const name = part.text.slice(1);
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : undefined;
  }
  if (part.type === 'ParameterExpansion') {
    if (part.prefix !== undefined || part.index !== undefined || part.operation !== undefined) return undefined;
    if (part.text !== `\${${part.parameter}}`) return undefined;
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(part.parameter) ? part.parameter : undefined;
  }
  return undefined;
}

function expansionValue(part: WordPart | DoubleQuotedChild, env: WordEnv): string | undefined {
  const name = expansionName(part);
  return name === undefined ? undefined : env.lookup(name);
}

/** A bare word without parts: escapes removed by unbash; a leading tilde is expanded or unknown. */
function resolveBare(text: string, value: string, env: WordEnv, mode: WordMode): Word {
  const piece = literalPart(text, value, env, mode, true, text);
  return typeof piece === 'string' ? { kind: 'literal', value: piece } : { kind: 'unknown', text, why: piece.why };
}

/**
 * Tilde expansion happens on unquoted text at the start of a word, and (bash, not POSIX) after
 * `=` or `:` in assignments and in arguments that look like assignments (`a=~/x`).
 */
function literalPart(text: string, value: string, env: WordEnv, mode: WordMode, first: boolean, wordText: string): Piece {
  if (!text.includes('~')) return value;
  const assignmentLike = mode === 'assignment' || /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(wordText);
  const startsWithTilde = first && text.startsWith('~');
  const afterSeparator = assignmentLike && /[=:]~/.test(text);
  if (!startsWithTilde && !afterSeparator) return value;
  if (afterSeparator || text.includes('\\')) return { why: 'tilde' };
  // Only `~` and `~/...` are resolved (to HOME); `~user`, `~+`, `~-` stay unknown.
  const slash = text.indexOf('/');
  const prefix = slash === -1 ? text : text.slice(0, slash);
  if (prefix !== '~') return { why: 'tilde' };
  const home = env.lookup('HOME');
  if (home === undefined || home === '') return { why: 'tilde' };
  return home + value.slice(1);
}
