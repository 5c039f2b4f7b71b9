import type { Word } from '../shell/types.js';
import type { ProgramSpec } from './programs.js';

/**
 * Reads an argv the way the program's option parser would, to tell positionals (subcommands)
 * from options and option values. Where gate cannot know whether an option takes a value, every
 * possible reading is produced; a condition is certain only when all readings agree.
 */

export type Token =
  | { readonly t: 'positional'; readonly word: Word }
  /** A word whose text is unknown: it may be an option, a value, a positional, or several words. */
  | { readonly t: 'unknown'; readonly word: Word }
  | { readonly t: 'long'; readonly name: string; readonly value: Word | null }
  /** A short-option cluster `-abc`: `flags` were read as flags, `option` (if any) took `value`. */
  | {
      readonly t: 'short';
      readonly text: string;
      readonly flags: string;
      readonly option: string | null;
      readonly value: Word | null;
    }
  | { readonly t: 'end-of-options' };

export type Reading = readonly Token[];

/** More readings than this and gate treats every option-dependent condition as uncertain. */
export const MAX_READINGS = 256;

type Arity = 'value' | 'flag' | 'optional' | 'ambiguous';

function arity(spec: ProgramSpec, name: string): Arity {
  if (spec.valueOptions.has(name)) return 'value';
  if (spec.optionalValueOptions.has(name)) return 'optional';
  if (spec.flagOptions.has(name)) return 'flag';
  return 'ambiguous';
}

/** Returns every plausible reading of argv[1..], or `null` when there are too many to enumerate. */
export function readArgv(argv: readonly Word[], spec: ProgramSpec): Reading[] | null {
  const readings: Reading[] = [];

  // Explicit stack instead of recursion: an argv can be long, and each ambiguity forks the path.
  const stack: { i: number; tokens: Token[]; ended: boolean }[] = [{ i: 1, tokens: [], ended: false }];
  while (stack.length > 0) {
    const state = stack.pop()!;
    let { i, ended } = state;
    const tokens = state.tokens;
    while (i < argv.length) {
      const word = argv[i]!;
      if (word.kind === 'unknown') {
        tokens.push({ t: 'unknown', word });
        i++;
        continue;
      }
      const text = word.value;
      if (ended || text === '-' || !text.startsWith('-')) {
        tokens.push({ t: 'positional', word });
        i++;
        continue;
      }
      if (text === '--') {
        tokens.push({ t: 'end-of-options' });
        ended = true;
        i++;
        continue;
      }
      const next = argv[i + 1];
      const isLong = text.startsWith('--') || spec.singleDashLong;
      if (isLong) {
        const eq = text.indexOf('=');
        if (eq !== -1) {
          tokens.push({ t: 'long', name: text.slice(0, eq), value: { kind: 'literal', value: text.slice(eq + 1) } });
          i++;
          continue;
        }
        const kind = arity(spec, canonicalLong(spec, text));
        if (kind === 'value' && next !== undefined) {
          tokens.push({ t: 'long', name: text, value: next });
          i += 2;
          continue;
        }
        if (kind === 'ambiguous' && next !== undefined) {
          // Fork: one reading where the option took the next word as its value.
          if (readings.length + stack.length + 1 >= MAX_READINGS) return null;
          stack.push({ i: i + 2, tokens: [...tokens, { t: 'long', name: text, value: next }], ended });
        }
        tokens.push({ t: 'long', name: text, value: null });
        i++;
        continue;
      }
      // A short cluster: each character is a flag until one takes a value (the rest, or the next word).
      const outcomes = readCluster(text, spec);
      const consuming = outcomes.find((o) => o.consumesNext);
      const staying = outcomes.find((o) => !o.consumesNext);
      if (consuming && next !== undefined) {
        const token: Token = { t: 'short', text, flags: consuming.flags, option: consuming.option, value: next };
        if (staying) {
          if (readings.length + stack.length + 1 >= MAX_READINGS) return null;
          stack.push({ i: i + 2, tokens: [...tokens, token], ended });
        } else {
          tokens.push(token);
          i += 2;
          continue;
        }
      }
      const stay = staying ?? consuming!;
      tokens.push({ t: 'short', text, flags: stay.flags, option: stay.option, value: stay.value === null ? null : { kind: 'literal', value: stay.value } });
      i++;
    }
    readings.push(tokens);
  }
  return readings;
}

interface ClusterOutcome {
  readonly flags: string;
  readonly option: string | null;
  readonly value: string | null;
  readonly consumesNext: boolean;
}

/**
 * The ways a cluster like `-xvf` can be read. Letters known to take a value end the cluster (the
 * rest, or the next word, is the value). Unknown letters are read as flags, except the last one,
 * which may or may not take the next word: both outcomes are returned.
 */
function readCluster(text: string, spec: ProgramSpec): ClusterOutcome[] {
  const chars = text.slice(1);
  for (let k = 0; k < chars.length; k++) {
    const c = chars[k]!;
    const rest = chars.slice(k + 1);
    const flags = chars.slice(0, k);
    const kind = arity(spec, `-${c}`);
    if (kind === 'value') {
      return [rest === '' ? { flags, option: c, value: null, consumesNext: true } : { flags, option: c, value: rest, consumesNext: false }];
    }
    if (kind === 'optional') return [{ flags, option: c, value: rest === '' ? null : rest, consumesNext: false }];
    if (kind === 'ambiguous' && rest === '') {
      return [
        { flags, option: c, value: null, consumesNext: true },
        { flags: chars, option: null, value: null, consumesNext: false },
      ];
    }
  }
  return [{ flags: chars, option: null, value: null, consumesNext: false }];
}

/** For programs that accept unambiguous prefixes, resolves `--force-w` to `--force-with-lease`. */
export function canonicalLong(spec: ProgramSpec, name: string): string {
  if (!spec.longOptionPrefixes || !name.startsWith('--')) return name;
  if (spec.valueOptions.has(name) || spec.flagOptions.has(name) || spec.optionalValueOptions.has(name)) return name;
  let found: string | undefined;
  for (const set of [spec.valueOptions, spec.flagOptions, spec.optionalValueOptions]) {
    for (const known of set) {
      if (known.startsWith(name)) {
        if (found !== undefined && found !== known) return name;
        found = known;
      }
    }
  }
  return found ?? name;
}
