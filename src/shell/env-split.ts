import { literal, type Word } from './types.js';

/**
 * Splits the string of GNU `env -S` (`--split-string`) into words, as env does: whitespace
 * separates, single and double quotes group, and a small set of backslash escapes applies.
 * Returns null for what gate does not reproduce exactly (`${VAR}` expansion, `\c`, comments,
 * unknown escapes): the caller then fails closed.
 */
export function splitEnvString(text: string): Word[] | null {
  const words: Word[] = [];
  let current = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else if (c === '\\' && (text[i + 1] === '\\' || text[i + 1] === "'")) current += text[++i];
      else current += c;
      continue;
    }
    if (c === '$') return null;
    if (c === '\\') {
      const next = text[i + 1];
      i++;
      switch (next) {
        case '\\': case '"': case "'": case '#': case '$':
          current += next;
          break;
        case 'n': current += '\n'; break;
        case 't': current += '\t'; break;
        case 'r': current += '\r'; break;
        case 'f': current += '\f'; break;
        case 'v': current += '\v'; break;
        case '_':
          if (quote === '"') current += ' ';
          else if (inWord) {
            words.push(literal(current));
            current = '';
            inWord = false;
          }
          continue;
        default:
          return null;
      }
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else current += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r') {
      if (inWord) words.push(literal(current));
      current = '';
      inWord = false;
      continue;
    }
    if (c === '#' && !inWord) return null;
    current += c;
    inWord = true;
  }
  if (quote !== null) return null;
  if (inWord) words.push(literal(current));
  return words;
}
