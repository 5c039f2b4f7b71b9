import { lit, scriptFromArg, signalAction, type Action, type Arg, type Dialect } from './layer.js';
import type { Stdin } from './walk.js';

/**
 * Shells: what a shell invocation runs. With `-c` the first operand is a script (parsed again,
 * in the shell's dialect); with a file operand it runs a script gate cannot see; with neither it
 * reads stdin, which is analyzed only when it is a literal here-doc or here-string.
 */
const DIALECTS: Readonly<Record<string, Dialect>> = {
  bash: 'bash', rbash: 'bash',
  sh: 'posix', dash: 'posix', ash: 'posix', ksh: 'posix', ksh93: 'posix', mksh: 'posix', pdksh: 'posix', oksh: 'posix',
  loksh: 'posix', lksh: 'posix', yash: 'posix', posh: 'posix', hush: 'posix',
  zsh: 'zsh',
  fish: 'foreign', csh: 'foreign', tcsh: 'foreign', nu: 'foreign', elvish: 'foreign', xonsh: 'foreign', rc: 'foreign', es: 'foreign',
};

export function shellDialect(program: string): Dialect | undefined {
  return Object.hasOwn(DIALECTS, program) ? DIALECTS[program] : undefined;
}

/** Options that take the next word as a value, per family; every other option letter is a flag. */
const VALUE_OPTIONS: Readonly<Record<Dialect, ReadonlySet<string>>> = {
  bash: new Set(['-o', '+o', '-O', '+O', '--rcfile', '--init-file']),
  posix: new Set(['-o', '+o']),
  zsh: new Set(['-o', '+o', '--emulate']),
  foreign: new Set(['-C', '--init-command', '-d', '--debug', '-o', '--debug-output', '--profile', '--profile-startup', '-e', '-f']),
};

type ShellRun =
  | { readonly mode: 'command'; readonly script: Arg }
  | { readonly mode: 'file'; readonly file: Arg }
  | { readonly mode: 'stdin' }
  /** `--version`, `--help`, or `-c` without a string: runs nothing. */
  | { readonly mode: 'none' }
  /** A word not known statically among the options: it might be `-c`, a script, anything. */
  | { readonly mode: 'dynamic'; readonly arg: Arg };

interface ShellArgs {
  readonly run: ShellRun;
  /** `--rcfile FILE` / fish `-C CODE`: extra code run at startup. */
  readonly startup: Arg[];
}

function readShellArgs(args: readonly Arg[], dialect: Dialect): ShellArgs {
  const values = VALUE_OPTIONS[dialect];
  const startup: Arg[] = [];
  let command = false;
  let stdin = false;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const text = lit(arg);
    // A process substitution is a file operand (/dev/fd/N); any other unknown word could be options.
    if (text === undefined && arg.word.kind === 'unknown' && arg.word.text.startsWith('<(')) return { run: operandRun(arg, command, stdin), startup };
    if (text === undefined) return { run: command ? { mode: 'command', script: arg } : { mode: 'dynamic', arg }, startup };
    if (text === '--' || text === '-') {
      return { run: operandRun(args[i + 1], command, stdin), startup };
    }
    if (text.startsWith('--')) {
      if (text === '--version' || text === '--help') return { run: { mode: 'none' }, startup };
      if (text === '--command' && dialect === 'foreign') command = true;
      if (values.has(text)) {
        const value = args[i + 1];
        if (value !== undefined && (text === '--rcfile' || text === '--init-file' || text === '--init-command')) startup.push(value);
        i++;
      }
      continue;
    }
    if ((text.startsWith('-') || text.startsWith('+')) && text.length > 1) {
      for (let k = 1; k < text.length; k++) {
        const letter = text[k]!;
        const name = `${text[0]}${letter}`;
        if (letter === 'c' && text[0] === '-') command = true;
        else if (letter === 's' && text[0] === '-') stdin = true;
        else if (values.has(name)) {
          // A value option takes the next word (bash does not accept `-opipefail`).
          const value = args[i + 1];
          if (value !== undefined && dialect === 'foreign' && name === '-C') startup.push(value);
          i++;
          break;
        }
      }
      continue;
    }
    return { run: operandRun(arg, command, stdin), startup };
  }
  return { run: command ? { mode: 'none' } : { mode: 'stdin' }, startup };
}

function operandRun(operand: Arg | undefined, command: boolean, stdin: boolean): ShellRun {
  if (command) return operand === undefined ? { mode: 'none' } : { mode: 'command', script: operand };
  if (stdin || operand === undefined) return { mode: 'stdin' };
  return { mode: 'file', file: operand };
}

const STDIN_PATHS = /^\/+(dev\/+(stdin|fd\/+0)|proc\/+self\/+fd\/+0)$/;
const PIPE_PATHS = /^\/+(dev\/+fd\/+\d+|proc\/+(self|\d+)\/+fd\/+\d+)$/;

/** The actions for one shell invocation. `name` is the program as shown (`bash`, `sh`). */
export function shellActions(name: string, dialect: Dialect, args: readonly Arg[], stdin: Stdin): Action[] {
  const { run, startup } = readShellArgs(args, dialect);
  const actions: Action[] = [];
  for (const file of startup) {
    actions.push(signalAction('shell-runs-script-file', file.at.span, `${name} runs startup code from ${describe(file)}`, lit(file)));
  }
  switch (run.mode) {
    case 'none':
      return actions;
    case 'dynamic':
      actions.push(signalAction('shell-c-dynamic', run.arg.at.span, `${name} gets an argument that is not known statically; it could be a command string`));
      return actions;
    case 'command':
      if (dialect === 'foreign') {
        actions.push(signalAction('dialect-ambiguous', run.script.at.span, `${name} is not a POSIX shell; gate cannot read its command string`));
        return actions;
      }
      actions.push(scriptFromArg(run.script, `${name} -c`, dialect, 'shell-c-dynamic', `${name} -c runs a command string that is not known statically`, stdin));
      return actions;
    case 'file': {
      const path = lit(run.file);
      if (run.file.word.kind === 'unknown' && run.file.word.text.startsWith('<(')) {
        actions.push(signalAction('code-piped-into-shell', run.file.at.span, `${name} runs code from a process substitution`));
      } else if (path !== undefined && STDIN_PATHS.test(path)) {
        actions.push(...stdinActions(name, dialect, stdin, run.file.at.span));
      } else if (path !== undefined && PIPE_PATHS.test(path)) {
        actions.push(signalAction('code-piped-into-shell', run.file.at.span, `${name} runs code from the pipe ${path}`));
      } else {
        actions.push(signalAction('shell-runs-script-file', run.file.at.span, `${name} runs the script ${describe(run.file)}, whose content gate does not see`, path));
      }
      return actions;
    }
    case 'stdin':
      actions.push(...stdinActions(name, dialect, stdin, args[0]!.at.span));
      return actions;
  }
}

/** A shell reading commands from stdin: a literal here-doc is parsed, anything else fails closed. */
export function stdinActions(name: string, dialect: Dialect, stdin: Stdin, span: { start: number; end: number }): Action[] {
  switch (stdin.kind) {
    case 'null':
      return [];
    case 'inherited':
      return [signalAction('shell-reads-stdin', span, `${name} reads commands from standard input (the terminal or whatever gate's caller pipes in)`)];
    case 'text':
      if (stdin.text === null) return [signalAction('code-piped-into-shell', stdin.span, `${name} reads commands from a here-document with expansions`)];
      if (dialect === 'foreign') return [signalAction('dialect-ambiguous', stdin.span, `${name} is not a POSIX shell; gate cannot read its input`)];
      // Commands in the here-document share its stdin: an interpreter started there reads the
      // rest of the document as code, so their stdin is "unknown", not empty.
      return [{ kind: 'text', text: stdin.text, at: { span: stdin.span, inner: (s, e) => (stdin.exact ? { start: stdin.span.start + s, end: stdin.span.start + e } : stdin.span) }, via: `${name} <<`, dialect, stdin: { kind: 'unknown' } }];
    case 'pipe':
      return [signalAction('code-piped-into-shell', span, `${name} runs whatever the previous command in the pipeline prints`)];
    case 'file':
      return [signalAction('code-piped-into-shell', span, `${name} runs commands read from a file redirected to its input`)];
    case 'unknown':
      return [signalAction('code-piped-into-shell', span, `${name} reads commands from an input gate cannot see`)];
  }
}

function describe(arg: Arg): string {
  return arg.word.kind === 'literal' ? arg.word.value : arg.word.text;
}

/** `at TIME` / `batch`: commands from stdin (or `-f FILE`) run later by sh. */
export function atActions(program: string, args: readonly Arg[], stdin: Stdin): Action[] {
  for (let i = 1; i < args.length; i++) {
    const t = lit(args[i]);
    if (t === '-f') {
      const file = args[i + 1];
      return file === undefined ? [] : [signalAction('shell-runs-script-file', file.at.span, `${program} runs the script ${describe(file)} later`, lit(file))];
    }
    if (t === '-l' || t === '-r' || t === '-d' || t === '-c' || t === '-V' || t === '-h') return [];
  }
  return stdinActions(program, 'posix', stdin, args[0]!.at.span);
}
