import { awkActions } from './awk.js';
import { builtinActions } from './builtins.js';
import { gitActions } from './git.js';
import { findActions, multicallActions, packageExecActions, parallelActions, suActions, wrapperActions, xargsActions } from './indirect.js';
import { denoActions, interpreterActions, interpreterSpec } from './interpreters.js';
import { lit, signalAction, type Action, type Arg, type Dialect } from './layer.js';
import { containerExecActions, execOptionActions, hasExecOptions, kubeExecActions, multiplexerActions, sshActions } from './remote.js';
import { sedActions } from './sed.js';
import { atActions, shellActions, shellDialect } from './shells.js';
import { isSpecialProgram } from './special.js';
import type { Stdin } from './walk.js';
import { compileWrapper, type CompiledWrapper } from './wrapper-options.js';
import { BUILTIN_WRAPPERS, indexWrappers, type WrapperDoc } from './wrappers.js';

/**
 * One step of unwrapping: given an invocation's argv, what else it runs (inner commands, shell
 * strings, code gate cannot read). The analyzer applies the actions and calls this again on each
 * inner command, so `sudo env X=1 bash -c 'kubectl delete ns x'` is peeled layer by layer.
 */
export interface PeelContext {
  readonly stdin: Stdin;
  /** The dialect of the script this command appears in (eval and trap keep it). */
  readonly dialect: Dialect;
  readonly wrappers: WrapperTable;
}

export interface PeelResult {
  readonly actions: readonly Action[];
  /** Variable names the command assigns by name (read, declare, cd for PWD). */
  readonly assigns: readonly string[];
  /** The command may assign anything (eval of unknown text, source): never resolve variables from the environment. */
  readonly blocksResolution: boolean;
}

export class WrapperTable {
  private readonly index: Map<string, CompiledWrapper[]>;

  constructor(extra: readonly WrapperDoc[] = []) {
    // A policy's entry for a built-in wrapper is read as well as the built-in one, never instead.
    const docs = indexWrappers([...BUILTIN_WRAPPERS, ...extra]);
    this.index = new Map([...docs].map(([name, list]) => [name, list.map((doc) => compileWrapper(doc, name === 'env' ? ['-S', '--split-string'] : []))]));
  }

  get(name: string): readonly CompiledWrapper[] | undefined {
    return this.index.get(name);
  }
}

const AWKS = new Set(['awk', 'gawk', 'mawk', 'nawk', 'busybox-awk']);
const SEDS = new Set(['sed', 'gsed']);
const CONTAINERS = new Set(['docker', 'podman', 'nerdctl']);
const KUBE_VALUE = new Set(['-n', '--namespace', '--context', '--cluster', '--kubeconfig', '-s', '--server', '--token', '--as', '--as-group', '--user', '--request-timeout', '--cache-dir', '-v', '--v', '--profile', '--profile-output', '--log-file', '--vmodule', '--tls-server-name', '--certificate-authority', '--client-certificate', '--client-key', '--username', '--password', '--as-uid']);
const NONE: PeelResult = { actions: [], assigns: [], blocksResolution: false };
/** Database clients and the option that gives them SQL on the command line. */
const SQL_CLIENTS: ReadonlyMap<string, string | null> = new Map([
  ['psql', '-c'], ['pgcli', '-c'], ['mysql', '-e'], ['mariadb', '-e'], ['sqlite3', null], ['mongosh', '--eval'], ['mongo', '--eval'],
]);

export function peel(program: string, args: readonly Arg[], ctx: PeelContext): PeelResult {
  // Programs not in the special list are never unwrapped (see special.ts), except site wrappers.
  if (!isSpecialProgram(program) && ctx.wrappers.get(program) === undefined) return NONE;
  const only = (actions: readonly Action[]): PeelResult => ({ actions, assigns: [], blocksResolution: false });

  const dialect = shellDialect(program);
  if (dialect !== undefined) return only(shellActions(program, dialect, args, ctx.stdin));

  const builtin = builtinActions(program, args, ctx.dialect);
  if (builtin !== undefined) return builtin;

  if (program === 'busybox' || program === 'toybox') return only(multicallActions(program, args, ctx.stdin));
  if (program === 'find') return only(findActions(args, ctx.stdin));
  if (program === 'xargs') return only(xargsActions(ctx.wrappers.get('xargs')![0]!, args));
  if (program === 'parallel') return only(parallelActions(ctx.wrappers.get('parallel')![0]!, args, ctx.stdin));
  if (program === 'su' || (program === 'runuser' && !args.some((a) => /^(-u|--user)(=|$)/.test(lit(a) ?? '')))) {
    return only(suActions(program, args, ctx.stdin));
  }
  if (program === 'ssh') return only(sshActions(args, ctx.stdin));
  if (hasExecOptions(program)) return only(execOptionActions(program, args));
  if (CONTAINERS.has(program)) return only(containerExecActions(program, args, ctx.stdin));
  if (program === 'kubectl' || program === 'oc') return only(kubeExecActions(program, args, ctx.stdin, kubeSubcommand(args)));
  if (program === 'git') return only(gitActions(args));
  if (AWKS.has(program)) return only(awkActions(program, args));
  if (SEDS.has(program)) return only(sedActions(program, args));
  if (program === 'npm' || program === 'pnpm' || program === 'yarn') return only(packageExecActions(program, args, ctx.stdin, ctx.dialect));
  if (SQL_CLIENTS.has(program)) return only([...clientEscapes(program, args, ctx.stdin), ...sqlFromStdin(program, args, ctx.stdin)]);

  if (program === 'deno') return only(denoActions(args, ctx.stdin));
  if (program === 'tmux' || program === 'screen') return only(multiplexerActions(program, args, ctx.stdin));
  if (program === 'at' || program === 'batch') return only(atActions(program, args, ctx.stdin));
  const interpreter = interpreterSpec(program);
  if (interpreter !== undefined) return only(interpreterActions(program, interpreter, args, ctx.stdin));

  const specs = ctx.wrappers.get(program);
  if (specs !== undefined) {
    const { actions, truncated } = wrapperActions(program, specs, args, ctx.stdin);
    if (truncated) return only([...actions, signalAction('analysis-limit', args[0]!.at.span, `${program}'s options can be read in too many ways`)]);
    return only(actions);
  }
  return NONE;
}

/** kubectl's subcommand: the first positional after its global options. */
function kubeSubcommand(args: readonly Arg[]): string | undefined {
  for (let i = 1; i < args.length; i++) {
    const t = lit(args[i]);
    if (t === undefined) return undefined;
    if (!t.startsWith('-')) return t;
    if (KUBE_VALUE.has(t)) i++;
  }
  return undefined;
}

/**
 * SQL in a here-document is the same SQL as on the command line: `psql <<'EOF' DROP ... EOF` is
 * analyzed as a second layer `psql -c 'DROP ...'`, so rules about `-c` hold for both spellings.
 */
function sqlFromStdin(program: string, args: readonly Arg[], stdin: Stdin): Action[] {
  if (stdin.kind !== 'text') return [];
  const near = { span: stdin.span, inner: () => stdin.span };
  const sql: Arg = { word: stdin.text === null ? { kind: 'unknown', text: '<here-document>', why: 'expansion' } : { kind: 'literal', value: stdin.text }, at: near };
  const option = SQL_CLIENTS.get(program);
  const extra: Arg[] = option === null || option === undefined ? [sql] : [{ word: { kind: 'literal', value: option }, at: near }, sql];
  return [{ kind: 'argv', args: [...args, ...extra], via: `${program} <<`, stdin: { kind: 'null' } }];
}

/** `psql -c '\! cmd'`, `sqlite3 db '.shell cmd'`, and the same fed as a here-document. */
function clientEscapes(program: string, args: readonly Arg[], stdin: Stdin): Action[] {
  const pattern = program === 'sqlite3' ? /(^|\n)\s*\.(shell|system)\b/ : /\\!|(^|[;\n])\s*system\s/i;
  for (const arg of args.slice(1)) {
    const text = lit(arg);
    if (text !== undefined && pattern.test(text)) return [signalAction('client-shell-escape', arg.at.span, `${program} is told to run a shell command`)];
  }
  if (stdin.kind === 'text' && stdin.text !== null && pattern.test(stdin.text)) {
    return [signalAction('client-shell-escape', stdin.span, `${program} reads a shell command from a here-document`)];
  }
  return [];
}
