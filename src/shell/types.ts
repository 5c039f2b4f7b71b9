/**
 * What the analyzer hands to the policy: every simple command that could run, as words that are
 * either known exactly or explicitly unknown. Matching never guesses what an unknown word holds.
 */

export type Word =
  | { readonly kind: 'literal'; readonly value: string }
  /** A word whose runtime value cannot be known statically (`$x`, `$(cmd)`, a glob). */
  | { readonly kind: 'unknown'; readonly text: string };

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
  readonly span?: { readonly start: number; readonly end: number };
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
