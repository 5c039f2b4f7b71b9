/**
 * What the analyzer hands to the policy: every simple command that could run, as words that are
 * either known exactly or explicitly unknown. Matching never guesses what an unknown word holds.
 */
import type { Signal, Span } from './signals.js';

export type Word =
  | { readonly kind: 'literal'; readonly value: string }
  /** A word whose runtime value cannot be known statically (`$x`, `$(cmd)`, a glob). */
  | { readonly kind: 'unknown'; readonly text: string; readonly why?: UnknownReason };

/** Why a word is unknown; `brace` and `glob` make a different program-name signal. */
export type UnknownReason = 'expansion' | 'brace' | 'glob' | 'tilde' | 'escape' | 'input';

/** A `NAME=value` assignment that applies to one invocation (`PGHOST=prod psql`, `env X=1 cmd`). */
export interface Assignment {
  readonly name: string;
  readonly value: Word;
}

export interface Invocation {
  /** argv[0] is the program as written (`rm`, `/usr/bin/rm`, `./rm`). */
  readonly argv: readonly Word[];
  readonly assignments: readonly Assignment[];
  /** How this invocation was reached, outermost first (`sudo`, `bash -c`), for explanations. */
  readonly via: readonly string[];
  /** Where in the analyzed text this invocation starts and ends; absent for argv form. */
  readonly span?: Span;
  /** Index of the invocation this one was unwrapped from (`sudo` for the `rm` of `sudo rm`). */
  readonly parent?: number;
  /** The program name is also defined in the analyzed text as a function or alias. */
  readonly defined?: 'function' | 'alias';
  /**
   * Variables the command line itself may set (export, read, a loop, cd for PWD...) to values
   * gate cannot tell apart per command: for this invocation their values are unknown.
   */
  readonly envUnknown?: readonly string[];
}

/**
 * The result of analyzing one command line: every layer of every command that could run, and
 * every place where gate could not see what runs. Spans index `source`: the text itself, or for
 * argv form the argv joined with single spaces.
 */
export interface Analysis {
  readonly form: 'text' | 'argv';
  readonly source: string;
  readonly invocations: readonly Invocation[];
  readonly signals: readonly Signal[];
}

export const literal = (value: string): Word => ({ kind: 'literal', value });

export function invocationFromArgv(argv: readonly string[]): Invocation {
  return { argv: argv.map(literal), assignments: [], via: [] };
}

/** The program's name for matching: the basename, so `/usr/bin/rm`, `./rm` and `rm` are alike. */
export function programName(word: Word | undefined): string | undefined {
  if (word === undefined || word.kind !== 'literal') return undefined;
  const value = word.value;
  const slash = value.lastIndexOf('/');
  return slash === -1 ? value : value.slice(slash + 1);
}

export function wordText(word: Word): string {
  return word.kind === 'literal' ? word.value : word.text;
}
