import type { PatternDoc, PatternListDoc } from './types.js';

/** A compiled pattern: tests one whole value (one argv element, one variable, one path). */
export interface Pattern {
  readonly source: string;
  test(value: string): boolean;
}

const GLOB_SPECIAL = /[*?[\\]/;

/**
 * Globs match the whole value; `*` matches any characters, newlines and `/` included, so
 * `*DROP TABLE*` also matches multi-line SQL. Regexes search (anchor them with ^...$ yourself).
 */
export function compilePattern(doc: PatternDoc): Pattern {
  if (typeof doc === 'string') return compileGlob(doc, false);
  if ('glob' in doc) return compileGlob(doc.glob, doc.ignore_case === true);
  const re = new RegExp(doc.regex, doc.ignore_case === true ? 'iu' : 'u');
  return { source: `/${doc.regex}/${doc.ignore_case === true ? 'i' : ''}`, test: (value) => re.test(value) };
}

export function compilePatterns(doc: PatternListDoc): readonly Pattern[] {
  return (Array.isArray(doc) ? (doc as readonly PatternDoc[]) : [doc as PatternDoc]).map(compilePattern);
}

function compileGlob(glob: string, ignoreCase: boolean): Pattern {
  if (!ignoreCase && !GLOB_SPECIAL.test(glob)) return { source: glob, test: (value) => value === glob };
  const re = new RegExp(`^${globToRegexSource(glob)}$`, ignoreCase ? 'isu' : 'su');
  return { source: glob, test: (value) => re.test(value) };
}

/** Translates a glob to regex source. Throws (with the position) on an unterminated `[`. */
export function globToRegexSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      while (glob[i + 1] === '*') i++;
      out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '\\') {
      const next = glob[i + 1];
      if (next === undefined) throw new Error('glob ends with a lone backslash');
      out += escapeRegex(next);
      i++;
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) throw new Error(`unterminated "[" at position ${i} in glob "${glob}"`);
      let body = glob.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

function escapeRegex(c: string): string {
  // Only syntax characters may be escaped under the `u` flag.
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
