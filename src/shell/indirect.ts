import { splitEnvString } from './env-split.js';
import { isLoaderVariable } from './loader-env.js';
import { joinArgs, lit, scriptFromArg, signalAction, type Action, type Arg, type Dialect } from './layer.js';
import type { Assignment, Word } from './types.js';
import type { Stdin } from './walk.js';
import { readWrapper, type CompiledWrapper, type WrapperReading } from './wrapper-options.js';

/**
 * Programs that run another command given in their arguments: the wrapper table's generic
 * readings, plus what a table cannot say (xargs appends its input, find -exec ends at `;`,
 * `su` hands its arguments to a shell, `watch` joins them into a shell string).
 */
const INPUT: Word = { kind: 'unknown', text: '<input>', why: 'input' };

function synthetic(value: string, near: Arg): Arg {
  return { word: { kind: 'literal', value }, at: near.at };
}

/** The actions of one wrapper invocation, over every reading of its options. */
export function wrapperActions(program: string, specs: readonly CompiledWrapper[], args: readonly Arg[], stdin: Stdin): { actions: Action[]; truncated: boolean } {
  const actions: Action[] = [];
  let truncated = false;
  let readings = 0;
  const splitter = program === 'env' ? splitEnvString : undefined;
  for (const spec of specs) {
    const result = readWrapper(args, spec, splitter);
    truncated ||= result.truncated;
    readings += result.readings.length;
    for (const reading of result.readings) actions.push(...readingActions(program, spec, reading, stdin));
  }
  return { actions: readings > 1 ? dedupe(actions) : actions, truncated };
}

function readingActions(program: string, spec: CompiledWrapper, reading: WrapperReading, stdin: Stdin): Action[] {
  const actions: Action[] = [];
  const doc = spec.doc;
  for (const index of reading.dynamic) {
    const arg = reading.argv[index]!;
    if (arg.word.kind === 'literal') actions.push(signalAction('wrapper-dynamic-arg', arg.at.span, `${program} -S gets a string gate does not split exactly like env does`));
  }
  if (reading.noExec) return actions;
  if (program === 'env') {
    const options = reading.argv.slice(1, reading.commandAt === -1 ? undefined : reading.commandAt);
    const altPath = options.find((a) => /^-P/.test(lit(a) ?? ''));
    if (altPath !== undefined) actions.push(signalAction('loader-env-assignment', altPath.at.span, 'env -P looks up the program in another directory; it may not be the program its name says'));
  }
  const assignments: Assignment[] = [];
  for (const { arg } of reading.assignments) {
    const plain = arg.word.kind === 'unknown' ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(arg.word.text) : null;
    if (plain !== null) {
      // The name is known, the value is not.
      const name = plain[1]!;
      assignments.push({ name, value: arg.word });
      if (isLoaderVariable(name)) actions.push(signalAction('loader-env-assignment', arg.at.span, `${program} sets ${name} for the command it runs; it changes which code runs`));
      continue;
    }
    const text = lit(arg);
    if (text === undefined || !text.includes('=')) {
      actions.push(signalAction('loader-env-assignment', arg.at.span, `${program} sets a variable whose name is not known statically; it could be PATH or LD_PRELOAD`));
      continue;
    }
    const eq = text.indexOf('=');
    const name = text.slice(0, eq);
    assignments.push({ name, value: { kind: 'literal', value: text.slice(eq + 1) } });
    if (isLoaderVariable(name)) actions.push(signalAction('loader-env-assignment', arg.at.span, `${program} sets ${name} for the command it runs; it changes which code runs`));
  }
  for (const { arg } of reading.commandStrings) {
    actions.push(scriptFromArg(arg, `${program} -c`, 'posix', 'shell-c-dynamic', `${program} runs a command string that is not known statically`, stdin));
  }
  const rest = reading.commandAt === -1 ? [] : reading.argv.slice(reading.commandAt);
  let runs = doc.runs ?? 'argv';
  if (program === 'watch' && reading.argv.slice(1, reading.commandAt === -1 ? undefined : reading.commandAt).some((a) => /^-[a-zA-Z]*x|^--exec$/.test(lit(a) ?? ''))) runs = 'argv';
  if (rest.length > 0 && runs === 'argv') {
    actions.push({ kind: 'argv', args: rest, via: program, assignments, stdin });
  } else if (rest.length > 0 && runs === 'shell-string') {
    const joined = joinArgs(rest);
    if (joined === null) actions.push(signalAction('shell-c-dynamic', rest.find((a) => a.word.kind !== 'literal')!.at.span, `${program} runs a shell string that is not known statically`));
    else actions.push({ kind: 'text', text: joined.text, at: joined.at, via: program, dialect: 'posix', stdin });
  } else if (reading.commandStrings.length === 0 && (doc.shell_without_command === true || reading.shell) && rest.length === 0) {
    // No command: an interactive shell reads the terminal (or whatever stdin carries).
    const near = reading.argv[0]!;
    actions.push({ kind: 'argv', args: [synthetic('sh', near)], via: `${program} (shell)`, assignments, stdin });
  }
  return actions;
}

/** `xargs [opts] CMD ARGS`: the command gets its input appended (or substituted for -I's string). */
export function xargsActions(spec: CompiledWrapper, args: readonly Arg[]): Action[] {
  const actions: Action[] = [];
  for (const reading of readWrapper(args, spec).readings) {
    if (reading.noExec) continue;
    const options = reading.argv.slice(1, reading.commandAt === -1 ? undefined : reading.commandAt);
    const replace = replaceString(options);
    const tty = options.some((a) => /^(-[a-zA-Z0-9]*o|--open-tty)$/.test(lit(a) ?? ''));
    const command = reading.commandAt === -1 ? [synthetic('echo', args[0]!)] : reading.argv.slice(reading.commandAt);
    const inner = command.map((a) => (replace !== undefined && a.word.kind === 'literal' && a.word.value.includes(replace) ? { word: INPUT, at: a.at } : a));
    if (replace === undefined) inner.push({ word: INPUT, at: args[args.length - 1]!.at });
    actions.push({ kind: 'argv', args: inner, via: 'xargs', stdin: tty ? { kind: 'inherited' } : { kind: 'null' } });
  }
  return dedupe(actions);
}

/** The replace string of `-I R`, `-iR`, `-i`, `--replace[=R]`. */
function replaceString(options: readonly Arg[]): string | undefined {
  for (let i = 0; i < options.length; i++) {
    const t = lit(options[i]);
    if (t === undefined) continue;
    if (t === '-I') return lit(options[i + 1]) ?? '{}';
    if (t.startsWith('-I') && !t.startsWith('--')) return t.slice(2);
    if (t === '-i' || t === '--replace') return '{}';
    if (t.startsWith('-i') && !t.startsWith('--')) return t.slice(2);
    if (t.startsWith('--replace=')) return t.slice('--replace='.length);
  }
  return undefined;
}

const FIND_EXEC = new Set(['-exec', '-execdir', '-ok', '-okdir']);

/** `find ... -exec CMD ... ;` / `+`: each command, with `{}` (the found paths) unknown. */
export function findActions(args: readonly Arg[], stdin: Stdin): Action[] {
  const actions: Action[] = [];
  let sawUnknown: Arg | undefined;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const text = lit(arg);
    if (text === undefined) {
      sawUnknown ??= arg;
      continue;
    }
    if ((text === ';' || text === '+') && sawUnknown !== undefined) {
      actions.push(signalAction('wrapper-dynamic-arg', sawUnknown.at.span, 'find gets a word that is not known statically; it could start an -exec action'));
    }
    if (!FIND_EXEC.has(text)) continue;
    const command: Arg[] = [];
    let j = i + 1;
    for (; j < args.length; j++) {
      const t = lit(args[j]);
      if (t === ';') break;
      if (t === '+' && lit(args[j - 1]) === '{}' && j > i + 1) break;
      const a = args[j]!;
      command.push(a.word.kind === 'literal' && a.word.value.includes('{}') ? { word: INPUT, at: a.at } : a);
    }
    if (command.length > 0) actions.push({ kind: 'argv', args: command, via: `find ${text}`, stdin });
    i = j;
  }
  return actions;
}

const PARALLEL_SEPARATORS = new Set([':::', '::::', ':::+', '::::+']);

/** GNU parallel: the command words form a shell string; `{}` and friends are its input. */
export function parallelActions(spec: CompiledWrapper, args: readonly Arg[], stdin: Stdin): Action[] {
  const actions: Action[] = [];
  for (const reading of readWrapper(args, spec).readings) {
    if (reading.noExec) continue;
    const rest = reading.commandAt === -1 ? [] : reading.argv.slice(reading.commandAt);
    const sep = rest.findIndex((a) => PARALLEL_SEPARATORS.has(lit(a) ?? ''));
    const command = sep === -1 ? rest : rest.slice(0, sep);
    if (command.length === 0) {
      // No command: every input line (or ::: argument) is itself a command.
      const inputs = sep === -1 ? [] : rest.slice(sep + 1).filter((a) => !PARALLEL_SEPARATORS.has(lit(a) ?? ''));
      if (sep === -1) actions.push(signalAction('code-piped-into-shell', args[0]!.at.span, 'parallel runs each line of its input as a command'));
      for (const input of inputs) actions.push(scriptFromArg(input, 'parallel', 'posix', 'shell-c-dynamic'));
      continue;
    }
    const joined = joinArgs(command);
    if (joined === null) {
      actions.push(signalAction('shell-c-dynamic', command.find((a) => a.word.kind !== 'literal')!.at.span, 'parallel runs a command that is not known statically'));
      continue;
    }
    // Replacement strings stand for input: an expansion gate never resolves.
    let text = joined.text.replace(/\{[^{}\s]*\}/g, '"$__gate_input"');
    if (text === joined.text) text += ' "$__gate_input"';
    actions.push({ kind: 'text', text, at: { span: joined.at.span, inner: () => joined.at.span }, via: 'parallel', dialect: 'posix', stdin });
  }
  return dedupe(actions);
}

const SU_VALUE = new Set(['-s', '--shell', '-g', '--group', '-G', '--supp-group', '-w', '--whitelist-environment']);
const SU_COMMAND = new Set(['-c', '--command', '--session-command']);
const SU_NO_EXEC = new Set(['-h', '--help', '-V', '--version']);

/**
 * `su [opts] [-] [USER [ARGS...]]`: options may come anywhere; ARGS go to the user's shell, so
 * `su root -c CMD` is `sh -c CMD`. The target shell is unknown unless `-s` names it, so the
 * string is read as POSIX sh.
 */
export function suActions(program: string, args: readonly Arg[], stdin: Stdin): Action[] {
  let shell: Arg | undefined;
  let command: Arg | undefined;
  const operands: Arg[] = [];
  let ended = false;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const t = lit(arg);
    if (t === undefined) {
      if (operands.length === 0 && !ended) return [signalAction('wrapper-dynamic-arg', arg.at.span, `${program} gets a word that is not known statically; gate cannot tell which command runs`)];
      operands.push(arg);
      continue;
    }
    if (!ended && t === '--') {
      ended = true;
      continue;
    }
    if (ended || !t.startsWith('-') || t === '-') {
      if (t !== '-' || ended) operands.push(arg);
      continue;
    }
    if (SU_NO_EXEC.has(t)) return [];
    const eq = t.indexOf('=');
    const name = t.startsWith('--') && eq !== -1 ? t.slice(0, eq) : t;
    const value = (): Arg | undefined => (t.startsWith('--') && eq !== -1 ? synthetic(t.slice(eq + 1), arg) : args[++i]);
    if (SU_COMMAND.has(name)) command = value();
    else if (SU_VALUE.has(name)) {
      const v = value();
      if (name === '-s' || name === '--shell') shell = v;
    } else if (!t.startsWith('--')) {
      // A cluster: -lc CMD, -ms SHELL, -cCMD.
      for (let k = 1; k < t.length; k++) {
        const c = t[k]!;
        const rest = t.slice(k + 1);
        if (c === 'c' || c === 's' || c === 'g' || c === 'G' || c === 'w') {
          const v = rest !== '' ? synthetic(rest, arg) : args[++i];
          if (c === 'c') command = v;
          if (c === 's') shell = v;
          break;
        }
      }
    }
  }
  const shellArg = shell ?? synthetic('sh', args[0]!);
  const shellArgs = operands.slice(1);
  const inner = command !== undefined ? [shellArg, synthetic('-c', command), command, ...shellArgs] : [shellArg, ...shellArgs];
  return [{ kind: 'argv', args: inner, via: program, stdin }];
}

/** `busybox APPLET ARGS`: the applet is the program. */
export function multicallActions(program: string, args: readonly Arg[], stdin: Stdin): Action[] {
  const applet = args[1];
  if (applet === undefined || lit(applet)?.startsWith('-')) return [];
  return [{ kind: 'argv', args: args.slice(1), via: program, stdin }];
}

/** `npm exec -c CMD` / `npx -c CMD` / `pnpm exec`: the string runs in a shell. */
export function packageExecActions(program: string, args: readonly Arg[], stdin: Stdin, dialect: Dialect): Action[] {
  const sub = lit(args[1]);
  if (program !== 'npx' && sub !== 'exec' && sub !== 'x') return [];
  const actions: Action[] = [];
  for (let i = 1; i < args.length; i++) {
    const t = lit(args[i]);
    if (t === '-c' || t === '--call') {
      const value = args[i + 1];
      if (value !== undefined) actions.push(scriptFromArg(value, `${program} -c`, dialect === 'bash' ? 'posix' : dialect, 'shell-c-dynamic', undefined, stdin));
      i++;
    } else if (t?.startsWith('--call=')) {
      actions.push(scriptFromArg(synthetic(t.slice(7), args[i]!), `${program} --call`, 'posix', 'shell-c-dynamic', undefined, stdin));
    }
  }
  return actions;
}

/** Removes actions repeated by several readings that agree. */
function dedupe(actions: readonly Action[]): Action[] {
  const seen = new Set<string>();
  const out: Action[] = [];
  for (const action of actions) {
    const key = JSON.stringify(action, (k, v: unknown) => (k === 'at' ? (v as { span: unknown }).span : v));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(action);
  }
  return out;
}
