import { lit, signalAction, type Action, type Arg } from './layer.js';
import type { Stdin } from './walk.js';

/**
 * Interpreters: gate cannot read Python, Perl or JavaScript, so code given on the command line
 * (`python3 -c`, `perl -e`, `node -e`) or read from stdin fails closed. A program file
 * (`python3 manage.py`) is treated like any other program: by name.
 */
interface InterpreterSpec {
  /** Options whose value is program text (the next word, or the rest of a cluster). */
  readonly code?: readonly string[];
  /** Letters in a short cluster that make the cluster inline code (`perl -ne`, `node -pe`). */
  readonly codeLetters?: string;
  /** Options that take a value that is not code. */
  readonly values?: readonly string[];
  /** Cluster letters that take the rest of the cluster, or the next word when nothing is left. */
  readonly restOrNext?: string;
  /** Cluster letters that take only what is attached (`-i.bak`, `-MFoo`). */
  readonly restOnly?: string;
  /** Options after which the remaining words are arguments (`python -m mod`): no program file, no stdin. */
  readonly ends?: readonly string[];
  /** Options after which no program is read at all (`--version`, `node --test`). */
  readonly noProgram?: readonly string[];
  /** Without a program file or code, the program comes from stdin. */
  readonly readsStdin: boolean;
  /** Options are case-insensitive and may be abbreviated (PowerShell). */
  readonly caseInsensitive?: boolean;
}

const PYTHON: InterpreterSpec = {
  code: ['-c'], ends: ['-m'], restOrNext: 'cmWXQ', values: ['--check-hash-based-pycs'],
  noProgram: ['-V', '--version', '-h', '--help', '--help-env', '--help-xoptions', '--help-all', '-VV'], readsStdin: true,
};
const NODE: InterpreterSpec = {
  code: ['-e', '--eval', '-p', '--print'], codeLetters: 'ep',
  values: ['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--input-type',
    '--env-file', '--env-file-if-exists', '--title', '--stack-size', '--max-old-space-size', '--test-reporter',
    '--test-reporter-destination', '--test-name-pattern', '--test-skip-pattern', '--inspect-port', '--watch-path',
    '--disable-warning', '--redirect-warnings', '--cpu-prof-dir', '--heap-prof-dir', '--diagnostic-dir', '--report-dir',
    '--experimental-config-file', '--run'],
  noProgram: ['-v', '--version', '-h', '--help', '--test', '--run', '-c', '--check', '--v8-options'],
  readsStdin: true,
};
const PERL: InterpreterSpec = {
  codeLetters: 'eE', restOrNext: 'I', restOnly: 'Mmxi0ldDFCV',
  noProgram: ['-v', '-V', '-h', '--help', '--version'], readsStdin: true,
};
const RUBY: InterpreterSpec = {
  codeLetters: 'e', restOrNext: 'IrCE', restOnly: 'xF0iKTW', values: ['--encoding', '--external-encoding', '--internal-encoding'],
  noProgram: ['-v', '--version', '-h', '--help'], readsStdin: true,
};
const PHP: InterpreterSpec = {
  code: ['-r', '-B', '-R', '-E', '-d'], values: ['-c', '-f', '-z', '-t', '-S', '-F'],
  noProgram: ['-S', '-v', '-i', '-m', '-h', '-l', '--version', '--help', '--info', '--modules', '--ini', '-f', '-F'],
  readsStdin: true,
};
const LUA: InterpreterSpec = { code: ['-e'], values: ['-l'], noProgram: ['-v'], readsStdin: true };
const R_SCRIPT: InterpreterSpec = { code: ['-e'], values: ['--default-packages'], noProgram: ['--version', '--help'], readsStdin: false };
const R: InterpreterSpec = { code: ['-e'], values: ['-f', '--file'], noProgram: ['-f', '--file', '--version', '--help'], readsStdin: true };
const OSASCRIPT: InterpreterSpec = { code: ['-e'], values: ['-l', '-s'], readsStdin: true };
const PWSH: InterpreterSpec = {
  code: ['-command', '-encodedcommand', '-commandwithargs', '-ec', '-e', '-cwa'], values: ['-file', '-workingdirectory', '-executionpolicy', '-configurationname', '-outputformat', '-inputformat', '-settingsfile', '-custompipename'],
  noProgram: ['-file', '-version', '-help', '-v', '-h'], readsStdin: true, caseInsensitive: true,
};
const EXPECT: InterpreterSpec = { code: ['-c'], values: ['-f', '-D'], noProgram: ['-f', '-v'], readsStdin: true };
const TCL: InterpreterSpec = { readsStdin: true };
const JULIA: InterpreterSpec = {
  code: ['-e', '-E', '--eval', '--print'], values: ['-L', '--load', '-J', '--sysimage', '-p', '--procs', '-t', '--threads', '--project'],
  noProgram: ['-v', '--version', '-h', '--help'], readsStdin: true,
};
const GDB: InterpreterSpec = {
  code: ['-ex', '--ex', '-eval-command', '--eval-command', '-iex', '--init-eval-command', '-x', '--command', '-ix', '--init-command'],
  values: ['-p', '--pid', '-cd', '--cd', '-d', '--directory', '-s', '--symbols', '-e', '--exec', '-se', '-core', '--core', '-c'],
  noProgram: ['-batch', '--batch', '--version', '--help', '--configuration'], readsStdin: true,
};
const VIM: InterpreterSpec = {
  code: ['-c', '--cmd', '-S', '-s', '-u', '-U', '-W', '-w'], values: ['-t', '-q', '-T', '-i', '-r', '--servername', '--remote', '--startuptime', '-o', '-O', '-p'],
  readsStdin: false,
};
const EMACS: InterpreterSpec = {
  code: ['--eval', '-eval', '--execute', '-l', '--load', '-f', '--funcall', '--script', '-x', '--init-directory'],
  values: ['-t', '--terminal', '-d', '--display', '--chdir', '--dir', '-L', '--directory'],
  readsStdin: false,
};
const IPYTHON: InterpreterSpec = { code: ['-c', '--c'], values: ['-m', '--profile'], noProgram: ['--version', '-h', '--help'], readsStdin: true };
const REPL: InterpreterSpec = { readsStdin: true };
const BUN: InterpreterSpec = { code: ['-e', '--eval', '-p', '--print'], readsStdin: false };

/** Interpreter specs by program basename (patterns allow version suffixes: python3.12, perl5.36). */
const BY_PATTERN: readonly [RegExp, InterpreterSpec][] = [
  [/^(python|pypy|pythonw)[0-9.]*$/, PYTHON],
  [/^(node|nodejs)[0-9.]*$/, NODE],
  [/^perl[0-9.]*$/, PERL],
  [/^(ruby|jruby|truffleruby)[0-9.]*$/, RUBY],
  [/^php[0-9.]*(-cli)?$/, PHP],
  [/^(lua|luajit)[0-9.]*$/, LUA],
  [/^Rscript$/, R_SCRIPT],
  [/^R$/, R],
  [/^osascript$/, OSASCRIPT],
  [/^(pwsh|powershell|pwsh-preview)(\.exe)?$/, PWSH],
  [/^expect$/, EXPECT],
  [/^(tclsh|wish|jimsh)[0-9.]*$/, TCL],
  [/^julia$/, JULIA],
  [/^gdb$/, GDB],
  [/^(vim|nvim|vi|view|vimdiff|gvim|ex|rvim)$/, VIM],
  [/^emacs[0-9.-]*$/, EMACS],
  [/^ipython[0-9]*$/, IPYTHON],
  [/^(irb|jshell|bpython|ghci|scala|clj|racket|guile|sbcl|node-repl)$/, REPL],
  [/^bun$/, BUN],
];

export function interpreterSpec(program: string): InterpreterSpec | undefined {
  for (const [pattern, spec] of BY_PATTERN) if (pattern.test(program)) return spec;
  return undefined;
}

type Found =
  | { kind: 'code'; arg: Arg }
  | { kind: 'file'; arg: Arg; ambiguous: boolean }
  | { kind: 'none' }
  | { kind: 'stdin'; arg: Arg | undefined; ambiguous: boolean };

/** What the interpreter runs: inline code, a program file, nothing, or stdin. */
function readInterpreter(spec: InterpreterSpec, args: readonly Arg[]): Found {
  const norm = (text: string): string => (spec.caseInsensitive === true ? text.toLowerCase() : text);
  const code = new Set((spec.code ?? []).map(norm));
  const values = new Set((spec.values ?? []).map(norm));
  const ends = new Set(spec.ends ?? []);
  const noProgram = new Set((spec.noProgram ?? []).map(norm));
  let ambiguous = false;
  let noStdin = false;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const raw = lit(arg);
    // A word not known statically could be `-c` with code after it; alone it can only be a file.
    if (raw === undefined) return i === args.length - 1 ? { kind: 'file', arg, ambiguous } : { kind: 'code', arg };
    if (raw === '--') return operand(args[i + 1], ambiguous);
    if (raw === '-' || !raw.startsWith('-')) {
      if (raw.startsWith('+') && spec === VIM && !/^\+(\d*|\/.*)$/.test(raw)) return { kind: 'code', arg };
      if (spec === VIM) continue;
      return operand(arg, ambiguous);
    }
    const text = norm(raw);
    const eq = text.indexOf('=');
    const name = text.startsWith('--') && eq !== -1 ? text.slice(0, eq) : text;
    if (code.has(name) || (spec.caseInsensitive === true && isPrefixOfAny(name, code))) return { kind: 'code', arg: args[i + 1] ?? arg };
    // `--version`, `gdb -batch`: nothing read from stdin; code options later still count.
    if (noProgram.has(name)) {
      noStdin = true;
      if (values.has(name) && eq === -1) i++;
      continue;
    }
    if (ends.has(name)) return { kind: 'none' };
    if (values.has(name)) {
      if (eq === -1) i++;
      continue;
    }
    if (text.startsWith('--') || spec.caseInsensitive === true) {
      // An option gate does not know may take the next word: the reading is uncertain.
      if (eq === -1) ambiguous = true;
      continue;
    }
    const cluster = readCluster(raw, spec);
    if (cluster === 'code') return { kind: 'code', arg: raw.length > 2 ? arg : args[i + 1] ?? arg };
    if (cluster === 'end') return { kind: 'none' };
    if (cluster === 'next') i++;
    if (cluster === 'unknown') ambiguous = true;
  }
  return noStdin ? { kind: 'none' } : { kind: 'stdin', arg: undefined, ambiguous };
}

function isPrefixOfAny(name: string, set: ReadonlySet<string>): boolean {
  if (name.length < 2) return false;
  for (const option of set) if (option.startsWith(name)) return true;
  return false;
}

function operand(arg: Arg | undefined, ambiguous: boolean): Found {
  if (arg === undefined) return { kind: 'stdin', arg: undefined, ambiguous };
  if (lit(arg) === '-') return { kind: 'stdin', arg, ambiguous };
  return { kind: 'file', arg, ambiguous };
}

/** A short cluster `-abc`: 'code' if it holds a code letter before anything takes a value. */
function readCluster(text: string, spec: InterpreterSpec): 'code' | 'end' | 'next' | 'flags' | 'unknown' {
  const codeLetters = spec.codeLetters ?? '';
  const codeOptions = spec.code ?? [];
  for (let k = 1; k < text.length; k++) {
    const c = text[k]!;
    if (codeLetters.includes(c) || codeOptions.includes(`-${c}`)) return 'code';
    if ((spec.ends ?? []).includes(`-${c}`)) return 'end';
    if ((spec.restOrNext ?? '').includes(c)) return k === text.length - 1 ? 'next' : 'flags';
    if ((spec.restOnly ?? '').includes(c)) {
      // perl -l and -0 take digits only; the rest of the cluster goes on.
      if (c === 'l' || c === '0') {
        while (k + 1 < text.length && /[0-9a-fA-FxX]/.test(text[k + 1]!) && !(codeLetters.includes(text[k + 1]!))) k++;
        continue;
      }
      return 'flags';
    }
    if ((spec.values ?? []).includes(`-${c}`)) return k === text.length - 1 ? 'next' : 'flags';
  }
  return codeLetters === '' && spec.restOrNext === undefined ? 'unknown' : 'flags';
}

const STDIN_PATHS = /^\/+(dev\/+(stdin|fd\/+\d+)|proc\/+(self|\d+)\/+fd\/+\d+)$/;

/** The actions for an interpreter invocation; empty when it runs a program file. */
export function interpreterActions(program: string, spec: InterpreterSpec, args: readonly Arg[], stdin: Stdin): Action[] {
  const found = readInterpreter(spec, args);
  switch (found.kind) {
    case 'none':
      return [];
    case 'code':
      return [signalAction('interpreter-inline-code', found.arg.at.span, `${program} runs code given on the command line; gate cannot read ${program} code`)];
    case 'file': {
      const path = lit(found.arg);
      if (found.arg.word.kind === 'unknown' && found.arg.word.text.startsWith('<(')) {
        return [signalAction('code-piped-into-interpreter', found.arg.at.span, `${program} runs code from a process substitution`)];
      }
      if (path !== undefined && STDIN_PATHS.test(path)) return stdinCode(program, stdin, found.arg.at.span);
      // After an option gate does not know, the "file" may be that option's value and the
      // program may come from stdin: fail closed when stdin carries code from elsewhere.
      if (found.ambiguous && stdin.kind !== 'inherited') return stdinCode(program, stdin, found.arg.at.span);
      return [];
    }
    case 'stdin':
      if (!spec.readsStdin && found.arg === undefined && !found.ambiguous) return [];
      return stdinCode(program, stdin, (found.arg ?? args[0]!).at.span);
  }
}

function stdinCode(program: string, stdin: Stdin, span: { start: number; end: number }): Action[] {
  switch (stdin.kind) {
    case 'null':
      return [];
    case 'inherited':
      return [signalAction('interpreter-reads-stdin', span, `${program} reads its program from standard input (the terminal or whatever gate's caller pipes in)`)];
    case 'text':
      return [signalAction('interpreter-inline-code', stdin.span, `${program} runs code from a here-document; gate cannot read ${program} code`)];
    case 'pipe':
      return [signalAction('code-piped-into-interpreter', span, `${program} runs whatever the previous command in the pipeline prints`)];
    case 'file':
    case 'unknown':
      return [signalAction('code-piped-into-interpreter', span, `${program} reads its program from an input gate cannot see`)];
  }
}

/** `deno eval CODE`, `deno repl`, `deno run -`: subcommands decide what deno runs. */
export function denoActions(args: readonly Arg[], stdin: Stdin): Action[] {
  const at = args.findIndex((a, i) => i > 0 && !(lit(a) ?? '-').startsWith('-'));
  const sub = at === -1 ? undefined : lit(args[at]);
  if (at === -1 || sub === 'repl') return stdinCode('deno', stdin, args[0]!.at.span);
  const rest = args.slice(at + 1);
  if (sub === 'eval') {
    const code = rest.find((a) => !(lit(a) ?? '').startsWith('-')) ?? args[at]!;
    return [signalAction('interpreter-inline-code', code.at.span, 'deno eval runs code given on the command line; gate cannot read it')];
  }
  const operand = rest.find((a) => { const t = lit(a); return t === undefined || t === '-' || !t.startsWith('-'); });
  if (operand !== undefined && lit(operand) === '-') return stdinCode('deno', stdin, operand.at.span);
  return [];
}
