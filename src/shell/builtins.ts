import { joinArgs, lit, signalAction, type Action, type Arg, type Dialect } from './layer.js';
import { isLoaderVariable } from './loader-env.js';

/**
 * Shell builtins that run text as code (eval, trap, alias, let, mapfile -C), run files
 * (source, .), change what a command name means (hash -p, enable -f), or assign variables by
 * name (read, printf -v, declare, ...).
 */
export type BuiltinResult = { readonly actions: Action[]; readonly assigns: string[]; readonly blocksResolution: boolean };

const NONE: BuiltinResult = { actions: [], assigns: [], blocksResolution: false };

export function builtinActions(name: string, args: readonly Arg[], dialect: Dialect): BuiltinResult | undefined {
  switch (name) {
    case 'eval':
      return evalActions(args, dialect);
    case 'source':
    case '.':
      return sourceActions(name, args);
    case 'trap':
      return trapActions(args, dialect);
    case 'alias':
      return aliasActions(args, dialect);
    case 'let':
      return letActions(args);
    case 'hash':
      return clusterSignal(args, 'p', 'hash-p', '`hash -p` makes a command name run another binary');
    case 'enable':
      return clusterSignal(args, 'f', 'enable-f', '`enable -f` loads a builtin from a shared object');
    case 'read':
      return assignsNames(args, new Set(['-d', '-i', '-n', '-N', '-p', '-t', '-u']), new Set(['-a']));
    case 'mapfile':
    case 'readarray':
      return mapfileActions(args, dialect);
    case 'printf':
      return assignsNames(args.slice(0, optionValueIndex(args, '-v') + 1), new Set(), new Set(['-v']), true);
    case 'getopts':
      return assignsNames([args[0]!, ...args.slice(2, 3)], new Set(), new Set());
    case 'declare':
    case 'typeset':
    case 'local':
    case 'export':
    case 'readonly':
    case 'unset':
      return declareActions(args);
    case 'wait':
      return assignsNames(args.slice(0, optionValueIndex(args, '-p') + 1), new Set(), new Set(['-p']), true);
    case 'cd':
    case 'pushd':
    case 'popd':
      return { actions: [], assigns: ['PWD', 'OLDPWD'], blocksResolution: false };
    default:
      return undefined;
  }
}

function operands(args: readonly Arg[]): readonly Arg[] {
  const rest = args.slice(1);
  return lit(rest[0]) === '--' ? rest.slice(1) : rest;
}

/** `eval ARGS`: the words joined with spaces are parsed again, in the same dialect. */
function evalActions(args: readonly Arg[], dialect: Dialect): BuiltinResult {
  const words = operands(args);
  if (words.length === 0) return NONE;
  const joined = joinArgs(words);
  if (joined === null) {
    const unknown = words.find((w) => w.word.kind !== 'literal')!;
    return { actions: [signalAction('eval-dynamic', unknown.at.span, 'eval runs text that is not known statically')], assigns: [], blocksResolution: true };
  }
  return { actions: [{ kind: 'text', text: joined.text, at: joined.at, via: 'eval', dialect }], assigns: [], blocksResolution: false };
}

function sourceActions(name: string, args: readonly Arg[]): BuiltinResult {
  const file = operands(args)[0];
  if (file === undefined) return NONE;
  const path = lit(file);
  return {
    actions: [signalAction('source-file', file.at.span, `${name} runs ${path ?? 'a file not known statically'} in the current shell; gate does not see its content`, path)],
    assigns: [],
    blocksResolution: true,
  };
}

/** `trap ACTION SIG...`: the action runs later, as code. `trap - SIG` and `trap SIG` reset. */
function trapActions(args: readonly Arg[], dialect: Dialect): BuiltinResult {
  const words = operands(args);
  const first = lit(words[0]);
  if (words.length < 2 || first === '-l' || first === '-p' || first === '-P' || first === '-') return NONE;
  const action = words[0]!;
  if (first === undefined) return { actions: [signalAction('eval-dynamic', action.at.span, 'trap sets an action that is not known statically')], assigns: [], blocksResolution: true };
  if (first === '') return NONE;
  return { actions: [{ kind: 'text', text: first, at: action.at, via: 'trap', dialect }], assigns: [], blocksResolution: false };
}

/** `alias NAME=VALUE`: the value is parsed as a script; calls to NAME are not the real program. */
function aliasActions(args: readonly Arg[], dialect: Dialect): BuiltinResult {
  const actions: Action[] = [];
  const names: { name: string; value: string }[] = [];
  for (const arg of operands(args)) {
    const text = lit(arg);
    if (text === undefined) {
      actions.push(signalAction('eval-dynamic', arg.at.span, 'alias defines a value that is not known statically'));
      continue;
    }
    if (text.startsWith('-')) continue;
    const eq = text.indexOf('=');
    if (eq <= 0) continue;
    const value = text.slice(eq + 1);
    names.push({ name: text.slice(0, eq), value });
    const offset = eq + 1;
    actions.push({ kind: 'text', text: value, at: { span: arg.at.span, inner: (s, e) => arg.at.inner(s + offset, e + offset) }, via: `alias ${text.slice(0, eq)}`, dialect });
  }
  if (names.length > 0) actions.push({ kind: 'define', aliases: names });
  return { actions, assigns: [], blocksResolution: false };
}

/** `let EXPR...`: arithmetic evaluates subscripts, and `a[$(cmd)]` in a string runs cmd. */
function letActions(args: readonly Arg[]): BuiltinResult {
  const actions: Action[] = [];
  let blocks = false;
  for (const arg of operands(args)) {
    const text = lit(arg);
    // `let "$name=1"` assigns whatever variable $name names.
    if (text === undefined) blocks = true;
    if (text !== undefined && /\$\(|`/.test(text)) {
      actions.push({ kind: 'text', text: `(( ${text} ))`, at: { span: arg.at.span, inner: () => arg.at.span }, via: 'let', dialect: 'bash' });
    }
  }
  return { actions, assigns: [], blocksResolution: blocks };
}

/** `mapfile -C CALLBACK`: the callback is evaluated as a command. */
function mapfileActions(args: readonly Arg[], dialect: Dialect): BuiltinResult {
  const result = assignsNames(args, new Set(['-d', '-n', '-O', '-s', '-u', '-c', '-C']), new Set());
  const at = args.findIndex((a) => lit(a) === '-C');
  if (at === -1) return result;
  const callback = args[at + 1];
  if (callback === undefined) return result;
  const text = lit(callback);
  const action: Action = text === undefined
    ? signalAction('eval-dynamic', callback.at.span, 'mapfile -C runs a callback that is not known statically')
    : { kind: 'text', text, at: callback.at, via: 'mapfile -C', dialect };
  return { ...result, actions: [...result.actions, action] };
}

function clusterSignal(args: readonly Arg[], letter: string, name: 'hash-p' | 'enable-f', message: string): BuiltinResult {
  for (const arg of args.slice(1)) {
    const text = lit(arg);
    if (text === undefined) return { actions: [signalAction(name, arg.at.span, `${message} (an option is not known statically)`)], assigns: [], blocksResolution: true };
    if (text === '--' || !text.startsWith('-')) break;
    if (text.slice(1).includes(letter)) return { actions: [signalAction(name, arg.at.span, message)], assigns: [], blocksResolution: true };
  }
  return NONE;
}

function optionValueIndex(args: readonly Arg[], option: string): number {
  const i = args.findIndex((a) => lit(a) === option);
  return i === -1 ? -1 : i + 1;
}

/**
 * Builtins that assign variables named by their operands. A loader variable fails closed; a name
 * not known statically could be any variable, so it fails closed too.
 */
function assignsNames(args: readonly Arg[], skipValue: ReadonlySet<string>, nameValue: ReadonlySet<string>, onlyNameValues = false): BuiltinResult {
  const actions: Action[] = [];
  const assigns: string[] = [];
  let blocks = false;
  const check = (arg: Arg): void => {
    const name = lit(arg);
    if (name === undefined) {
      actions.push(signalAction('loader-env-assignment', arg.at.span, 'a variable whose name is not known statically is assigned; it could be PATH or BASH_ENV'));
      blocks = true;
      return;
    }
    assigns.push(name);
    if (isLoaderVariable(name)) actions.push(signalAction('loader-env-assignment', arg.at.span, `${name} is assigned; it changes which code runs`));
  };
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    const text = lit(arg);
    if (text !== undefined && nameValue.has(text)) {
      const value = args[++i];
      if (value !== undefined) check(value);
      continue;
    }
    if (text !== undefined && skipValue.has(text)) {
      i++;
      continue;
    }
    if (text !== undefined && text.startsWith('-')) continue;
    if (!onlyNameValues) check(arg);
  }
  return { actions, assigns, blocksResolution: blocks };
}

/**
 * declare/export/local/... take `NAME=VALUE` (checked where the assignment is parsed) or bare
 * names; a word not known statically may assign anything. `declare -n ref=PATH` aliases PATH.
 */
function declareActions(args: readonly Arg[]): BuiltinResult {
  const actions: Action[] = [];
  const assigns: string[] = [];
  let blocks = false;
  let nameref = false;
  for (const arg of args.slice(1)) {
    const text = lit(arg);
    if (text === undefined) {
      if (arg.name !== undefined) {
        assigns.push(arg.name);
        continue;
      }
      actions.push(signalAction('loader-env-assignment', arg.at.span, 'a variable whose name is not known statically is assigned; it could be PATH or BASH_ENV'));
      blocks = true;
      continue;
    }
    if (text.startsWith('-') || text.startsWith('+')) {
      // A nameref makes later assignments to one name change another: resolve nothing.
      if (/^-[a-zA-Z]*n/.test(text)) {
        nameref = true;
        blocks = true;
      }
      continue;
    }
    const eq = text.indexOf('=');
    const name = eq === -1 ? text : text.slice(0, eq).replace(/\[.*$/, '').replace(/\+$/, '');
    assigns.push(name);
    if (nameref && eq !== -1 && isLoaderVariable(text.slice(eq + 1))) {
      actions.push(signalAction('loader-env-assignment', arg.at.span, `${name} becomes another name for ${text.slice(eq + 1)}`));
    }
  }
  return { actions, assigns, blocksResolution: blocks };
}
