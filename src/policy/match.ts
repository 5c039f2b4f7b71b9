import { programName, type Invocation, type Word } from '../shell/types.js';
import { readArgv, type Reading } from './argv.js';
import type { Pattern } from './pattern.js';
import type { ProgramSpec } from './programs.js';
import { MAYBE, NO, YES, agree, and, not, or, type Tri } from './tri.js';
import type { RequesterKind } from './types.js';

/** A rule's conditions after compilation. `null` means "no condition on this". */
export interface Conditions {
  readonly program: readonly Pattern[] | null;
  readonly subcommand: readonly (readonly Pattern[])[] | null;
  readonly flags: readonly string[] | null;
  readonly options: readonly { readonly names: readonly string[]; readonly values: readonly Pattern[] | null }[];
  readonly args: readonly Pattern[] | null;
  readonly env: readonly { readonly name: string; readonly patterns: readonly Pattern[] }[];
  readonly cwd: readonly Pattern[] | null;
  readonly requester: ReadonlySet<RequesterKind> | null;
}

/** Facts about where and by whom the command runs (not part of argv). */
export interface MatchContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly requester: RequesterKind;
}

/** One invocation prepared for matching; the argv readings are computed once, on first need. */
export class Subject {
  readonly program: string | undefined;
  private cachedReadings: Reading[] | null | undefined;

  constructor(
    readonly invocation: Invocation,
    readonly spec: ProgramSpec,
  ) {
    this.program = programName(invocation.argv[0]);
  }

  readings(): Reading[] | null {
    if (this.cachedReadings === undefined) this.cachedReadings = readArgv(this.invocation.argv, this.spec);
    return this.cachedReadings;
  }
}

/** Evaluates `when` and not `unless`; cheap, argv-independent conditions first. */
export function evaluate(when: Conditions, unless: readonly Conditions[], subject: Subject, ctx: MatchContext): Tri {
  let result = evaluateConditions(when, subject, ctx);
  for (const exception of unless) {
    if (result === NO) return NO;
    result = and(result, not(evaluateConditions(exception, subject, ctx)));
  }
  return result;
}

export function evaluateConditions(c: Conditions, subject: Subject, ctx: MatchContext): Tri {
  let result: Tri = YES;
  const step = (value: Tri): boolean => {
    result = and(result, value);
    return result === NO;
  };
  if (c.requester !== null && step(c.requester.has(ctx.requester) ? YES : NO)) return NO;
  if (c.program !== null && step(matchProgram(c.program, subject))) return NO;
  if (c.cwd !== null && step(matchCwd(c.cwd, subject, ctx))) return NO;
  for (const { name, patterns } of c.env) if (step(matchEnv(name, patterns, subject, ctx))) return NO;
  if (c.args !== null && step(matchArgs(c.args, subject.invocation.argv))) return NO;
  if (c.subcommand !== null) {
    const patterns = c.subcommand;
    if (step(overReadings(subject, (r) => subcommandIn(r, patterns)))) return NO;
  }
  if (c.flags !== null) {
    const flags = c.flags;
    if (step(overReadings(subject, (r) => anyFlagIn(r, flags, subject.spec)))) return NO;
  }
  for (const option of c.options) {
    if (step(overReadings(subject, (r) => optionIn(r, option.names, option.values, subject.spec)))) return NO;
  }
  return result;
}

function anyPattern(patterns: readonly Pattern[], value: string): boolean {
  for (const p of patterns) if (p.test(value)) return true;
  return false;
}

function matchWord(patterns: readonly Pattern[], word: Word): Tri {
  if (word.kind === 'unknown') return MAYBE;
  return anyPattern(patterns, word.value) ? YES : NO;
}

function matchProgram(patterns: readonly Pattern[], subject: Subject): Tri {
  if (subject.program === undefined) return subject.invocation.argv.length === 0 ? NO : MAYBE;
  return anyPattern(patterns, subject.program) ? YES : NO;
}

function matchEnv(name: string, patterns: readonly Pattern[], subject: Subject, ctx: MatchContext): Tri {
  // An assignment on the command line (`PGHOST=prod psql`) overrides the inherited environment.
  const assignments = subject.invocation.assignments;
  for (let i = assignments.length - 1; i >= 0; i--) {
    const a = assignments[i]!;
    if (a.name === name) return matchWord(patterns, a.value);
  }
  // The command line itself may set it (`export PGHOST=...; psql`): any value is possible.
  if (subject.invocation.envUnknown?.includes(name) === true) return MAYBE;
  const value = ctx.env[name];
  return value === undefined ? NO : anyPattern(patterns, value) ? YES : NO;
}

function matchCwd(patterns: readonly Pattern[], subject: Subject, ctx: MatchContext): Tri {
  // `cd /srv/prod && terraform apply`: the directory is only known at run time.
  if (subject.invocation.envUnknown?.includes('PWD') === true) return MAYBE;
  return anyPattern(patterns, ctx.cwd) ? YES : NO;
}

function matchArgs(patterns: readonly Pattern[], argv: readonly Word[]): Tri {
  let result: Tri = NO;
  for (let i = 1; i < argv.length; i++) {
    result = or(result, matchWord(patterns, argv[i]!));
    if (result === YES) return YES;
  }
  return result;
}

function overReadings(subject: Subject, test: (reading: Reading) => Tri): Tri {
  const readings = subject.readings();
  if (readings === null) return MAYBE;
  let result: Tri | undefined;
  for (const reading of readings) {
    const value = test(reading);
    result = result === undefined ? value : agree(result, value);
    if (result === MAYBE) return MAYBE;
  }
  return result ?? NO;
}

function subcommandIn(reading: Reading, patterns: readonly (readonly Pattern[])[]): Tri {
  let j = 0;
  for (const token of reading) {
    if (j === patterns.length) return YES;
    if (token.t === 'unknown') return MAYBE;
    if (token.t !== 'positional') continue;
    if (matchWord(patterns[j]!, token.word) !== YES) return NO;
    j++;
  }
  return j === patterns.length ? YES : NO;
}

/** Strips dashes for go-style programs, where `-auto-approve` and `--auto-approve` are the same. */
function longKey(name: string, spec: ProgramSpec): string {
  return spec.singleDashLong ? name.replace(/^--?/, '') : name;
}

function longNameMatches(tokenName: string, wanted: string, spec: ProgramSpec): boolean {
  const token = longKey(tokenName, spec);
  const want = longKey(wanted, spec);
  if (token === want) return true;
  // git-style unambiguous prefixes: `--force-w` may mean `--force-with-lease`.
  return spec.longOptionPrefixes && tokenName.startsWith('--') && tokenName.length >= 4 && want.startsWith(token);
}

/** A one-letter option (`-f`); go-style programs have none: there `-f` is the long option `f`. */
function isShortName(name: string, spec: ProgramSpec): boolean {
  return !spec.singleDashLong && name.length === 2 && name[0] === '-' && name[1] !== '-';
}

function flagPresent(reading: Reading, flag: string, spec: ProgramSpec): Tri {
  let result: Tri = NO;
  const short = isShortName(flag, spec) ? flag[1]! : undefined;
  for (const token of reading) {
    switch (token.t) {
      case 'unknown':
        result = MAYBE;
        break;
      case 'long':
        if (short === undefined && longNameMatches(token.name, flag, spec)) return YES;
        break;
      case 'short':
        if (short !== undefined ? token.flags.includes(short) || token.option === short : token.text === flag) return YES;
        break;
      case 'positional':
      case 'end-of-options':
        break;
    }
  }
  return result;
}

function anyFlagIn(reading: Reading, flags: readonly string[], spec: ProgramSpec): Tri {
  let result: Tri = NO;
  for (const flag of flags) {
    result = or(result, flagPresent(reading, flag, spec));
    if (result === YES) return YES;
  }
  return result;
}

function optionIn(reading: Reading, names: readonly string[], values: readonly Pattern[] | null, spec: ProgramSpec): Tri {
  let result: Tri = NO;
  const valueTri = (value: Word | null): Tri => (values === null ? YES : value === null ? NO : matchWord(values, value));
  for (const token of reading) {
    if (token.t === 'unknown') {
      result = or(result, MAYBE);
      continue;
    }
    for (const name of names) {
      if (token.t === 'long' && !isShortName(name, spec) && longNameMatches(token.name, name, spec)) {
        result = or(result, valueTri(token.value));
      } else if (token.t === 'short' && isShortName(name, spec)) {
        const letter = name[1]!;
        if (token.option === letter) result = or(result, valueTri(token.value));
        else if (token.flags.includes(letter)) result = or(result, valueTri(null));
      } else if (token.t === 'short' && token.text.startsWith(`${name}=`)) {
        result = or(result, valueTri({ kind: 'literal', value: token.text.slice(name.length + 1) }));
      }
      if (result === YES) return YES;
    }
  }
  return result;
}
