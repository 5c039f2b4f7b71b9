import { lit, signalAction, type Action, type Arg } from './layer.js';

/**
 * GNU sed runs commands with the `e` command and the `e` flag of `s///`. Scripts are scanned
 * command by command (addresses, `s` and `y` with any delimiter, text of a/i/c, file names of
 * r/w); anything the scanner does not recognize fails closed, as does a script from a file.
 */
export function sedActions(program: string, args: readonly Arg[]): Action[] {
  const scripts: Arg[] = [];
  let sandbox = false;
  let i = 1;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    const text = lit(arg);
    if (text === undefined) {
      if (scripts.length > 0) continue;
      return [signalAction('sed-e-command', arg.at.span, `${program} gets a word that is not known statically where its script may be`)];
    }
    if (text === '--') {
      i++;
      break;
    }
    if (!text.startsWith('-') || text === '-') {
      if (scripts.length === 0) {
        scripts.push(arg);
        continue;
      }
      continue;
    }
    if (text === '--sandbox') sandbox = true;
    if (text === '-f' || text.startsWith('--file') || (text.startsWith('-') && !text.startsWith('--') && /^-[nErsuzl]*f/.test(text))) {
      return [signalAction('sed-e-command', arg.at.span, `${program} runs a script from a file gate does not see`)];
    }
    if (text.startsWith('--expression')) {
      const eq = text.indexOf('=');
      const value = eq === -1 ? args[++i] : ({ word: { kind: 'literal', value: text.slice(eq + 1) }, at: arg.at } as Arg);
      if (value !== undefined) scripts.push(value);
      continue;
    }
    if (!text.startsWith('--')) {
      // A cluster: `-ne 'p'`, `-e'p'`, `-i.bak`, `-l 80`.
      for (let k = 1; k < text.length; k++) {
        const c = text[k]!;
        if (c === 'e') {
          const rest = text.slice(k + 1);
          const value = rest !== '' ? ({ word: { kind: 'literal', value: rest }, at: arg.at } as Arg) : args[++i];
          if (value !== undefined) scripts.push(value);
          break;
        }
        if (c === 'i') break;
        if (c === 'l') {
          if (k === text.length - 1) i++;
          break;
        }
      }
    } else if (text === '--line-length') {
      i++;
    }
  }
  if (sandbox) return [];
  for (const script of scripts) {
    const text = lit(script);
    if (text === undefined) return [signalAction('sed-e-command', script.at.span, `${program}'s script is not known statically`)];
    const reason = sedRunsCommands(text);
    if (reason !== null) return [signalAction('sed-e-command', script.at.span, `${program}'s script ${reason}`)];
  }
  return [];
}

/** Why a sed script may run commands, or null when it certainly does not. */
export function sedRunsCommands(script: string): string | null {
  let i = 0;
  const n = script.length;
  const skipBlanks = (): void => {
    while (i < n && (script[i] === ' ' || script[i] === '\t')) i++;
  };
  const toEol = (): void => {
    while (i < n && script[i] !== '\n') i++;
  };
  /** Skips a delimited part starting after its opening delimiter; false if unterminated. */
  const delimited = (d: string): boolean => {
    while (i < n) {
      const c = script[i]!;
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '\n' && d !== '\n') return false;
      i++;
      if (c === d) return true;
    }
    return false;
  };
  const address = (): boolean => {
    const c = script[i];
    if (c === undefined) return true;
    if (/[0-9]/.test(c)) {
      while (i < n && /[0-9~]/.test(script[i]!)) i++;
      return true;
    }
    if (c === '$') {
      i++;
      return true;
    }
    if (c === '/' || c === '\\') {
      const d = c === '\\' ? script[i + 1] : '/';
      if (d === undefined) return false;
      i += c === '\\' ? 2 : 1;
      if (!delimited(d)) return false;
      while (i < n && (script[i] === 'I' || script[i] === 'M')) i++;
      return true;
    }
    return true;
  };

  while (i < n) {
    skipBlanks();
    const c = script[i];
    if (c === undefined) break;
    if (c === '\n' || c === ';' || c === '}') {
      i++;
      continue;
    }
    if (c === '#') {
      toEol();
      continue;
    }
    if (!address()) return 'could not be read (unterminated address)';
    skipBlanks();
    if (script[i] === ',') {
      i++;
      skipBlanks();
      if (script[i] === '+' || script[i] === '~') i++;
      if (!address()) return 'could not be read (unterminated address)';
      skipBlanks();
    }
    while (script[i] === '!') {
      i++;
      skipBlanks();
    }
    const command = script[i];
    if (command === undefined) break;
    i++;
    switch (command) {
      case '{':
      case '}':
      case '=': case 'd': case 'D': case 'g': case 'G': case 'h': case 'H': case 'n': case 'N': case 'p': case 'P':
      case 'x': case 'z': case 'F':
        break;
      case 'e':
        return 'runs a command (the `e` command)';
      case 'q': case 'Q': case 'l': case 'L':
        skipBlanks();
        while (i < n && /[0-9]/.test(script[i]!)) i++;
        break;
      case ':': case 'b': case 't': case 'T': case 'v':
        while (i < n && script[i] !== '\n' && script[i] !== ';') i++;
        break;
      case 'r': case 'R': case 'w': case 'W':
        toEol();
        break;
      case 'a': case 'i': case 'c':
        // Text up to the end of the line; lines ending in a backslash continue it.
        while (i < n && script[i] !== '\n') {
          if (script[i] === '\\') i++;
          i++;
        }
        break;
      case 's': {
        const d = script[i];
        if (d === undefined || d === '\n' || d === '\\') return 'could not be read';
        i++;
        if (!delimited(d) || !delimited(d)) return 'could not be read (unterminated s command)';
        while (i < n && /[gpiImMe0-9w]/.test(script[i]!)) {
          if (script[i] === 'e') return 'runs the result as a command (the `e` flag of s)';
          if (script[i] === 'w') {
            toEol();
            break;
          }
          i++;
        }
        break;
      }
      case 'y': {
        const d = script[i];
        if (d === undefined || d === '\n' || d === '\\') return 'could not be read';
        i++;
        if (!delimited(d) || !delimited(d)) return 'could not be read (unterminated y command)';
        break;
      }
      default:
        return `could not be read (unknown command ${JSON.stringify(command)})`;
    }
  }
  return null;
}
