import type { Word as AstWord, WordPart } from 'unbash';
import type { Word } from './types.js';

/**
 * Resolves a parsed word to its exact runtime text when that is statically certain (quotes,
 * escapes and `$'...'` removed exactly as bash does), and to `unknown` otherwise: any expansion,
 * substitution, glob, brace or tilde form.
 */
export function resolveWord(word: AstWord): Word {
  if (word.parts === undefined) {
    return word.value.startsWith('~') ? { kind: 'unknown', text: word.text } : { kind: 'literal', value: word.value };
  }
  for (const part of word.parts) if (!isLiteralPart(part)) return { kind: 'unknown', text: word.text };
  if (word.parts[0]?.type === 'Literal' && word.parts[0].value.startsWith('~')) return { kind: 'unknown', text: word.text };
  return { kind: 'literal', value: word.value };
}

function isLiteralPart(part: WordPart): boolean {
  switch (part.type) {
    case 'Literal':
    case 'SingleQuoted':
    case 'AnsiCQuoted':
      return true;
    case 'DoubleQuoted':
    case 'LocaleString':
      return part.parts.every((child) => child.type === 'Literal');
    default:
      return false;
  }
}
