import type { Arg } from './layer.js';
import type { Word } from './types.js';
import type { WrapperDoc } from './wrappers.js';

/**
 * Reads a wrapper's argv the way its option parser would, to find where the inner command
 * starts. Where the table cannot tell (an unknown option, an option given as an abbreviation, a
 * word not known statically) every plausible reading is returned; the analyzer follows all of
 * them, so a wrong guess costs an extra layer, never a missed command.
 */
export interface WrapperReading {
  /** Index in argv of the inner command's first word, or -1 when there is none. */
  readonly commandAt: number;
  /** Values of options that take a shell command string (`su -c STR`), with their argv index. */
  readonly commandStrings: readonly { readonly arg: Arg; readonly index: number }[];
  /** `NAME=VALUE` words and `-E NAME=VALUE` options. */
  readonly assignments: readonly { readonly arg: Arg; readonly index: number }[];
  /** An option that makes the wrapper run nothing (`command -v`). */
  readonly noExec: boolean;
  /** An option that makes the wrapper run a shell (`sudo -s`). */
  readonly shell: boolean;
  /** Indexes of words not known statically in the options area. */
  readonly dynamic: readonly number[];
  /** Words spliced in by a split-string option (`env -S 'a b'`), replacing argv from `commandAt`. */
  readonly argv: readonly Arg[];
}

type Kind = 'value' | 'flag' | 'optional' | 'command' | 'env' | 'noexec' | 'noexec-value' | 'shell' | 'split';

export interface CompiledWrapper {
  readonly doc: WrapperDoc;
  readonly kinds: ReadonlyMap<string, Kind>;
  readonly longNames: readonly string[];
}

export function compileWrapper(doc: WrapperDoc, split: readonly string[] = []): CompiledWrapper {
  const kinds = new Map<string, Kind>();
  const values = new Set(doc.value_options ?? []);
  for (const name of doc.flag_options ?? []) kinds.set(name, 'flag');
  for (const name of doc.optional_value_options ?? []) kinds.set(name, 'optional');
  for (const name of values) kinds.set(name, 'value');
  for (const name of doc.shell_options ?? []) kinds.set(name, 'shell');
  for (const name of doc.no_exec_options ?? []) kinds.set(name, values.has(name) ? 'noexec-value' : 'noexec');
  for (const name of doc.env_options ?? []) kinds.set(name, 'env');
  for (const name of doc.command_options ?? []) kinds.set(name, 'command');
  for (const name of split) kinds.set(name, 'split');
  return { doc, kinds, longNames: [...kinds.keys()].filter((n) => n.startsWith('--')) };
}

interface State {
  i: number;
  argv: readonly Arg[];
  operands: number;
  phase: 'options' | 'assignments';
  commandStrings: { arg: Arg; index: number }[];
  assignments: { arg: Arg; index: number }[];
  noExec: boolean;
  shell: boolean;
  dynamic: number[];
}

export const MAX_WRAPPER_READINGS = 8;

/** Splits an `env -S` string; returns null for forms gate does not reproduce. */
export type Splitter = (value: string) => readonly Word[] | null;

const attached = (arg: Arg, value: string): Arg => ({ word: { kind: 'literal', value }, at: arg.at });

export function readWrapper(argv: readonly Arg[], wrapper: CompiledWrapper, splitter?: Splitter): { readings: WrapperReading[]; truncated: boolean } {
  const doc = wrapper.doc;
  const readings: WrapperReading[] = [];
  let truncated = false;
  const start: State = { i: 1, argv, operands: doc.operands ?? 0, phase: 'options', commandStrings: [], assignments: [], noExec: false, shell: false, dynamic: [] };
  const stack: State[] = [start];
  const fork = (state: State, changes: Partial<State>): void => {
    if (readings.length + stack.length >= MAX_WRAPPER_READINGS) {
      truncated = true;
      return;
    }
    stack.push({ ...state, commandStrings: [...state.commandStrings], assignments: [...state.assignments], dynamic: [...state.dynamic], ...changes });
  };
  const finish = (s: State, commandAt: number): void => {
    readings.push({ commandAt, commandStrings: s.commandStrings, assignments: s.assignments, noExec: s.noExec, shell: s.shell, dynamic: s.dynamic, argv: s.argv });
  };

  while (stack.length > 0) {
    const s = stack.pop()!;
    for (;;) {
      const word = s.argv[s.i]?.word;
      if (word === undefined) {
        finish(s, -1);
        break;
      }
      if (s.phase === 'options' && word.kind === 'literal' && isOption(word.value, doc)) {
        if (readOption(s, wrapper, splitter, fork) === 'end') s.phase = 'assignments';
        continue;
      }
      if (word.kind === 'unknown' && doc.assignments === true && s.operands === 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(word.text)) {
        // `env NAME="$VALUE" cmd`: the name is written plainly, only the value is unknown.
        s.assignments.push({ arg: s.argv[s.i]!, index: s.i });
        s.phase = 'assignments';
        s.i++;
        continue;
      }
      if (word.kind === 'unknown') {
        // It may be options (of any number), an operand, an assignment or the command itself.
        s.dynamic.push(s.i);
        fork(s, { i: s.i + 1 });
        if (s.operands > 0) {
          s.operands--;
          s.phase = 'assignments';
          s.i++;
          continue;
        }
        finish(s, s.i);
        break;
      }
      if (s.operands > 0) {
        // Options end at the first operand (these wrappers stop at the first non-option).
        s.operands--;
        s.phase = 'assignments';
        s.i++;
        // `flock FILE -c CMD`, `sg GROUP -c CMD`: a command option right after the operands.
        const next = s.argv[s.i]?.word;
        if (s.operands === 0 && next?.kind === 'literal' && wrapper.kinds.get(next.value) === 'command') {
          const value = s.argv[s.i + 1];
          if (value !== undefined) s.commandStrings.push({ arg: value, index: s.i + 1 });
          finish(s, -1);
          break;
        }
        continue;
      }
      if (doc.assignments === true && /^[^=-][^=]*=/.test(word.value)) {
        s.assignments.push({ arg: s.argv[s.i]!, index: s.i });
        s.phase = 'assignments';
        s.i++;
        continue;
      }
      finish(s, s.i);
      break;
    }
  }
  return { readings, truncated };
}

function isOption(text: string, doc: WrapperDoc): boolean {
  if (text === '-') return (doc.flag_options ?? []).includes('-');
  return text.startsWith('-') && text.length > 1;
}

/** Reads the option at `s.i`, advancing `s`; returns 'end' for `--`. */
function readOption(s: State, wrapper: CompiledWrapper, splitter: Splitter | undefined, fork: (s: State, c: Partial<State>) => void): 'end' | 'ok' {
  const doc = wrapper.doc;
  const current = s.argv[s.i]!;
  const text = (current.word as { value: string }).value;
  if (text === '--') {
    s.i++;
    return 'end';
  }
  if (text === '-') {
    s.i++;
    return 'ok';
  }
  if (text.startsWith('--')) {
    const eq = text.indexOf('=');
    const name = eq === -1 ? text : text.slice(0, eq);
    const value = eq === -1 ? undefined : text.slice(eq + 1);
    const { kind, exact } = longKind(name, wrapper);
    const takes = kind !== undefined && takesValue(kind);
    if (kind === undefined || !exact) {
      if (doc.unknown_options === 'flag' || value !== undefined) {
        if (kind !== undefined) apply(s, kind, value === undefined ? undefined : attached(current, value), s.i, splitter);
        s.i++;
        return 'ok';
      }
      // Both readings: a flag, or an option that takes the next word.
      if (s.argv[s.i + 1] !== undefined) fork(s, { i: s.i + 2, ...(kind !== undefined && takes ? applied(s, kind, s.argv[s.i + 1]!, s.i + 1, splitter) : {}) });
      if (kind !== undefined && !takes) apply(s, kind, undefined, s.i, splitter);
      s.i++;
      return 'ok';
    }
    if (takes && value === undefined && kind !== 'optional') {
      const next = s.argv[s.i + 1];
      if (next !== undefined) Object.assign(s, applied(s, kind, next, s.i + 1, splitter));
      s.i += 2;
      return 'ok';
    }
    apply(s, kind, value === undefined ? undefined : attached(current, value), s.i, splitter);
    s.i++;
    return 'ok';
  }
  if (doc.numeric_flags === true && /^-\d+$/.test(text)) {
    s.i++;
    return 'ok';
  }
  // A short cluster: letters are flags until one takes a value (the rest, or the next word).
  for (let k = 1; k < text.length; k++) {
    const name = `-${text[k]}`;
    const kind = wrapper.kinds.get(name);
    const rest = text.slice(k + 1);
    if (kind === undefined) {
      if (doc.unknown_options === 'flag') continue;
      // Unknown letter: a flag (keep reading), or an option taking the rest or the next word.
      if (rest !== '') fork(s, { i: s.i + 1 });
      else if (s.argv[s.i + 1] !== undefined) fork(s, { i: s.i + 2 });
      continue;
    }
    if (!takesValue(kind)) {
      apply(s, kind, undefined, s.i, splitter);
      continue;
    }
    if (rest !== '') {
      Object.assign(s, applied(s, kind, attached(current, rest), s.i, splitter));
      s.i++;
      return 'ok';
    }
    if (kind === 'optional') {
      s.i++;
      return 'ok';
    }
    const value = s.argv[s.i + 1];
    if (value !== undefined) Object.assign(s, applied(s, kind, value, s.i + 1, splitter));
    s.i += 2;
    return 'ok';
  }
  s.i++;
  return 'ok';
}

function takesValue(kind: Kind): boolean {
  return kind === 'value' || kind === 'optional' || kind === 'command' || kind === 'env' || kind === 'noexec-value' || kind === 'split';
}

/** A long option's kind: exact, or an unambiguous prefix (GNU getopt_long), flagged as inexact. */
function longKind(name: string, wrapper: CompiledWrapper): { kind: Kind | undefined; exact: boolean } {
  const exact = wrapper.kinds.get(name);
  if (exact !== undefined) return { kind: exact, exact: true };
  if (wrapper.doc.long_option_prefixes === false || name.length < 3) return { kind: undefined, exact: false };
  const candidates = wrapper.longNames.filter((n) => n.startsWith(name));
  if (candidates.length === 0) return { kind: undefined, exact: false };
  const kinds = new Set(candidates.map((c) => wrapper.kinds.get(c)!));
  return { kind: kinds.size === 1 ? [...kinds][0] : undefined, exact: false };
}

function apply(s: State, kind: Kind, value: Arg | undefined, index: number, splitter: Splitter | undefined): void {
  Object.assign(s, applied(s, kind, value, index, splitter));
}

/** The state changes an option makes (a copy, so forks do not share arrays). */
function applied(s: State, kind: Kind, value: Arg | undefined, index: number, splitter: Splitter | undefined): Partial<State> {
  switch (kind) {
    case 'noexec':
    case 'noexec-value':
      return { noExec: true };
    case 'shell':
      return { shell: true };
    case 'command':
      return value === undefined ? {} : { commandStrings: [...s.commandStrings, { arg: value, index }] };
    case 'env':
      return value === undefined ? {} : { assignments: [...s.assignments, { arg: value, index }] };
    case 'split': {
      if (value === undefined) return {};
      const words = value.word.kind === 'literal' && splitter !== undefined ? splitter(value.word.value) : null;
      if (words === null) return { dynamic: [...s.dynamic, index] };
      // `env -S 'A=1 cmd x'` behaves as if the split words stood in place of the option.
      const spliced = words.map((word) => ({ word, at: value.at }));
      const argv = [...s.argv.slice(0, index + 1), ...spliced, ...s.argv.slice(index + 1)];
      return { argv };
    }
    case 'value':
    case 'flag':
    case 'optional':
      return {};
  }
}
