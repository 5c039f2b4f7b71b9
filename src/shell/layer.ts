import type { Signal, SignalName, Span } from './signals.js';
import type { Assignment, Word } from './types.js';
import type { Stdin } from './walk.js';

/**
 * Shared vocabulary of the unwrapping step: words with their place in the analyzed text, and
 * the actions a program handler asks for (analyze this argv, parse this string, raise this
 * signal). Handlers are pure functions of an argv; the analyzer does the bookkeeping.
 */

/** Maps a range inside a word's value (or a nested script's text) back to the analyzed source. */
export interface Locator {
  readonly span: Span;
  inner(start: number, end: number): Span;
}

export function fixedLocator(span: Span): Locator {
  return { span, inner: () => span };
}

/** The value sits verbatim in the source at `base` (a single-quoted string, a plain word). */
export function offsetLocator(base: number, length: number, outer: Span = { start: base, end: base + length }): Locator {
  return {
    span: outer,
    inner(start, end) {
      const s = Math.min(Math.max(start, 0), length);
      const e = Math.min(Math.max(end, s), length);
      return { start: base + s, end: base + e };
    },
  };
}

/** A locator for a derived text, mapped through the locator of the text it came from. */
export function composeLocator(outer: Locator, inner: Locator): Locator {
  return {
    span: outer.inner(inner.span.start, inner.span.end),
    inner: (start, end) => {
      const mid = inner.inner(start, end);
      return outer.inner(mid.start, mid.end);
    },
  };
}

/** Words joined with single spaces (eval, ssh, watch): each range maps through its own word. */
export function joinedLocator(parts: readonly { readonly at: Locator; readonly length: number }[]): Locator {
  const starts: number[] = [];
  let offset = 0;
  for (const part of parts) {
    starts.push(offset);
    offset += part.length + 1;
  }
  const first = parts[0]?.at.span ?? { start: 0, end: 0 };
  const last = parts[parts.length - 1]?.at.span ?? first;
  const whole = { start: first.start, end: Math.max(first.end, last.end) };
  return {
    span: whole,
    inner(start, end) {
      let result: Span | undefined;
      parts.forEach((part, i) => {
        const from = starts[i]!;
        const to = from + part.length;
        if (end < from || start > to) return;
        const piece = part.at.inner(Math.max(start, from) - from, Math.min(end, to) - from);
        result = result === undefined ? piece : { start: Math.min(result.start, piece.start), end: Math.max(result.end, piece.end) };
      });
      return result ?? whole;
    },
  };
}

/** An argv word with where it came from. */
export interface Arg {
  readonly word: Word;
  readonly at: Locator;
  /** For `NAME=value` arguments of declare/export/local/alias: the name, known even when the value is not. */
  readonly name?: string;
}

/**
 * Which shell reads a command string: bash (what the parser models), a POSIX shell (dash, ash,
 * ksh: bash-only syntax there is a parser differential), zsh, or a foreign language (fish, csh).
 */
export type Dialect = 'bash' | 'posix' | 'zsh' | 'foreign';

export type Action =
  /** Analyze another invocation (the inner command of a wrapper). */
  | { readonly kind: 'argv'; readonly args: readonly Arg[]; readonly via: string; readonly assignments?: readonly Assignment[]; readonly stdin?: Stdin }
  /** Parse a string as a script (`sh -c STR`, `eval`, `ssh host STR`). */
  | { readonly kind: 'text'; readonly text: string; readonly at: Locator; readonly via: string; readonly dialect: Dialect; readonly stdin?: Stdin }
  | { readonly kind: 'signal'; readonly name: SignalName; readonly span: Span; readonly message?: string; readonly path?: string }
  /** Aliases defined by this command: calls to them are not the real programs. */
  | { readonly kind: 'define'; readonly aliases: readonly { readonly name: string; readonly value: string }[] };

export const signalAction = (name: SignalName, span: Span, message?: string, path?: string): Action => ({
  kind: 'signal',
  name,
  span,
  ...(message === undefined ? {} : { message }),
  ...(path === undefined ? {} : { path }),
});

/** The literal text of a word, or undefined. */
export function lit(arg: Arg | undefined): string | undefined {
  return arg?.word.kind === 'literal' ? arg.word.value : undefined;
}

/** A text action for a word whose value is a script, or a signal when the word is not known. */
export function scriptFromArg(arg: Arg, via: string, dialect: Dialect, unknown: SignalName, message?: string, stdin?: Stdin): Action {
  if (arg.word.kind !== 'literal') return signalAction(unknown, arg.at.span, message);
  return { kind: 'text', text: arg.word.value, at: arg.at, via, dialect, ...(stdin === undefined ? {} : { stdin }) };
}

/** Joins words into one script (eval, ssh, watch); null when any word is not known. */
export function joinArgs(args: readonly Arg[]): { text: string; at: Locator } | null {
  const parts: { at: Locator; length: number }[] = [];
  const texts: string[] = [];
  for (const arg of args) {
    if (arg.word.kind !== 'literal') return null;
    texts.push(arg.word.value);
    parts.push({ at: arg.at, length: arg.word.value.length });
  }
  return { text: texts.join(' '), at: joinedLocator(parts) };
}

export type { Signal };
