import { lit, signalAction, type Action, type Arg } from './layer.js';

/**
 * awk can run commands: `system()`, `print | "cmd"`, `"cmd" | getline`, gawk's `|&` coprocesses
 * and `@load` extensions. A program is scanned (strings and regex literals skipped) for those;
 * a program from a file (`-f`) or not known statically fails closed.
 */
const VALUE = new Set(['-F', '-v', '--field-separator', '--assign', '-W']);
const PROGRAM_FROM_FILE = new Set(['-f', '--file', '-E', '--exec', '-i', '--include', '-l', '--load']);
const SOURCE = new Set(['-e', '--source']);

export function awkActions(program: string, args: readonly Arg[]): Action[] {
  const programs: Arg[] = [];
  let fromFile: Arg | undefined;
  let i = 1;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    const text = lit(arg);
    if (text === undefined) return [signalAction('awk-exec', arg.at.span, `${program} gets a word that is not known statically where its program may be`)];
    if (text === '--') {
      i++;
      break;
    }
    if (!text.startsWith('-') || text === '-') break;
    const long = text.startsWith('--');
    const eq = long ? text.indexOf('=') : -1;
    const name = long ? (eq === -1 ? text : text.slice(0, eq)) : text.slice(0, 2);
    const attached = long ? (eq === -1 ? undefined : text.slice(eq + 1)) : text.length > 2 ? text.slice(2) : undefined;
    const value: Arg | undefined = attached === undefined ? args[i + 1] : { word: { kind: 'literal', value: attached }, at: arg.at };
    const takes = PROGRAM_FROM_FILE.has(name) || SOURCE.has(name) || VALUE.has(name);
    if (PROGRAM_FROM_FILE.has(name)) fromFile = value ?? arg;
    else if (SOURCE.has(name) && value !== undefined) programs.push(value);
    if (takes && attached === undefined) i++;
  }
  if (fromFile !== undefined) return [signalAction('awk-exec', fromFile.at.span, `${program} runs a program from a file gate does not see`)];
  if (programs.length === 0) {
    const operand = args[i];
    if (operand === undefined) return [];
    programs.push(operand);
  }
  for (const arg of programs) {
    const text = lit(arg);
    if (text === undefined) return [signalAction('awk-exec', arg.at.span, `${program}'s program is not known statically`)];
    const reason = awkRunsCommands(text);
    if (reason !== null) return [signalAction('awk-exec', arg.at.span, `${program}'s program ${reason}`)];
  }
  return [];
}

/** Why an awk program may run commands, or null. Unterminated strings fail closed. */
export function awkRunsCommands(program: string): string | null {
  let previous = '';
  for (let i = 0; i < program.length; i++) {
    const c = program[i]!;
    if (c === '"') {
      const end = skipQuoted(program, i, '"');
      if (end === -1) return 'has an unterminated string';
      i = end;
      previous = 'x';
      continue;
    }
    if (c === '#') {
      const nl = program.indexOf('\n', i);
      if (nl === -1) break;
      i = nl;
      continue;
    }
    if (c === '/' && regexAllowedAfter(previous)) {
      const end = skipQuoted(program, i, '/');
      if (end === -1) return 'has an unterminated regular expression';
      i = end;
      previous = 'x';
      continue;
    }
    if (c === '|') {
      if (program[i + 1] === '|') {
        i++;
        previous = '|';
        continue;
      }
      return 'pipes to or from a command';
    }
    if (c === '@' && /^@(load|include|namespace)\b/.test(program.slice(i))) return 'loads code (@load / @include)';
    if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < program.length && /[A-Za-z0-9_]/.test(program[j]!)) j++;
      const ident = program.slice(i, j);
      if (ident === 'system' && /^\s*\(/.test(program.slice(j))) return 'calls system()';
      i = j - 1;
      previous = 'x';
      continue;
    }
    if (!/\s/.test(c)) previous = c;
  }
  return null;
}

/** A `/` starts a regex unless it follows an operand (then it divides). */
function regexAllowedAfter(previous: string): boolean {
  return previous === '' || !/[x)\]$0-9]/.test(previous);
}

function skipQuoted(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === quote) return i;
    if (quote === '/' && text[i] === '\n') return -1;
  }
  return -1;
}
