/**
 * Fail-closed signals: the places where gate cannot know statically what a command line runs.
 * Each signal has a stable kebab-case name (policies refer to it under `defaults.signals`), a
 * message for the human who approves, and the offsets of the text that caused it. A signal never
 * allows anything: its decision is `approve` (default) or `deny`, set by the policy.
 */

/** Every signal name with the sentence shown when the analysis carries no more specific message. */
export const SIGNAL_INFO = {
  'parse-error': 'the text does not parse cleanly as bash; gate does not guess what an invalid script runs',
  'input-too-large': 'the command text is larger than gate analyzes (64 KiB)',
  'nesting-too-deep': 'commands are nested deeper than gate follows (64 layers)',
  'analysis-limit': 'the command expands into more commands or readings than gate analyzes',
  'analysis-error': 'gate failed while analyzing this command',
  'dynamic-program-name': 'the program to run is computed at run time (variable, substitution or unknown word)',
  'brace-or-glob-program-name': 'the program name contains a brace expansion or a glob, so its value is only known at run time',
  'loader-env-assignment': 'a variable that changes which code runs (PATH, LD_PRELOAD, BASH_ENV, PAGER, ...) is assigned',
  'inherited-shell-env': 'the environment makes shells run extra code (BASH_ENV, ENV, SHELLOPTS, PS4 or exported functions)',
  'shell-c-dynamic': 'a shell runs a command string that is not known statically',
  'dialect-ambiguous': 'a shell other than bash gets syntax that it may read differently from bash',
  'shell-runs-script-file': 'a shell runs a script file, whose content gate does not see',
  'shell-reads-stdin': 'a shell reads its commands from standard input or the terminal',
  'code-piped-into-shell': 'a shell reads its commands from a pipe, a file or a substitution',
  'code-piped-into-interpreter': 'an interpreter reads its program from a pipe, a file or a substitution',
  'interpreter-reads-stdin': 'an interpreter reads its program from standard input or the terminal',
  'interpreter-inline-code': 'an interpreter runs code given on the command line',
  'eval-dynamic': 'eval (or trap, alias) gets text that is not known statically',
  'source-file': 'source / . runs a script file in the current shell',
  'prompt-expansion': '${var@P} runs the command substitutions found in a variable\'s value',
  'arithmetic-code': 'a string that is evaluated as arithmetic may run command substitutions in array subscripts',
  'awk-exec': 'an awk program may run commands (system(), pipes, getline from a command) or comes from a file',
  'sed-e-command': 'a sed script may run commands (GNU sed `e` command or `s///e` flag) or comes from a file',
  'git-config-exec': 'git configuration given on the command line may run commands (aliases, pager, ssh command, hooks, ...)',
  'program-option-exec': 'an option makes the program run a command gate cannot read',
  'client-shell-escape': 'a database client is told to run a shell command (psql \\!, sqlite3 .shell, mysql system)',
  'hash-p': '`hash -p` maps a command name to another binary',
  'enable-f': '`enable -f` loads a builtin from a shared object',
  'wrapper-dynamic-arg': 'a wrapper gets a word that is not known statically, so gate cannot tell which command it runs',
  'remote-command-dynamic': 'a remote command is not known statically',
  'remote-shell-stdin': 'a remote shell reads its commands from standard input or the terminal',
  'exec-unparsed': 'a command for a container is given without `--`, so gate cannot tell it from options',
  'program-created-in-script': 'the program is a file that this command line itself writes, copies or links',
} as const;

export type SignalName = keyof typeof SIGNAL_INFO;

export const SIGNAL_NAMES = Object.keys(SIGNAL_INFO) as readonly SignalName[];

export function isSignalName(name: string): name is SignalName {
  return Object.hasOwn(SIGNAL_INFO, name);
}

/** Offsets into the analyzed source (UTF-16 code units, half-open). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface Signal extends Span {
  readonly name: SignalName;
  readonly message: string;
  /** For script files and sourced files: the literal path, so a policy can pin it by hash. */
  readonly path?: string;
}

export function makeSignal(name: SignalName, span: Span, message?: string, path?: string): Signal {
  const signal: Signal = { name, message: message ?? SIGNAL_INFO[name], start: span.start, end: span.end };
  return path === undefined ? signal : { ...signal, path };
}
