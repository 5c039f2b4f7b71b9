import '../bundle-layout.js'; // see src/bundle-layout.ts
import type { Word as AstWord, CommandArgument } from 'unbash';
import { composeLocator, fixedLocator, offsetLocator, type Action, type Arg, type Dialect, type Locator } from './layer.js';
import { isLoaderVariable, shellInjectingVariables } from './loader-env.js';
import type { Parser } from './parse.js';
import { peel, type WrapperTable } from './peel.js';
import { shellDialect } from './shells.js';
import { makeSignal, type Signal, type SignalName, type Span } from './signals.js';
import { literal, programName, type Analysis, type Assignment, type Invocation, type Word } from './types.js';
import { walkScript, type CommandSite, type Stdin } from './walk.js';
import { NO_ENV, resolveWord, type WordEnv } from './words.js';
import { basename, writtenPaths } from './written-paths.js';
import type { WrapperDoc } from './wrappers.js';

/**
 * The analysis pipeline (reference: command-analysis.md §3.2): parse, walk every node, resolve
 * words, record each invocation as a layer, peel wrappers/shells/eval into further layers, and
 * raise a signal wherever what runs cannot be known. Pure: no I/O, no clock; the environment is
 * data passed in. Work is a stack, not recursion, and bounded by size, depth and count limits.
 */
export interface AnalyzeOptions {
  /** The environment the command will run with: `$NAME` may be resolved from it (see below). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The working directory the command will run in (resolves `$PWD`). */
  readonly cwd?: string;
  /** Site-specific wrappers from the policy, read in addition to the built-in table. */
  readonly wrappers?: readonly WrapperDoc[];
}

export const LIMITS = {
  /** Largest command text analyzed (larger: the `input-too-large` signal). */
  maxBytes: 64 * 1024,
  /** Nested layers followed: substitutions, wrappers, `bash -c`, eval... */
  maxDepth: 64,
  maxInvocations: 5000,
  /** Total text parsed across all nested layers. */
  maxParsedChars: 1024 * 1024,
} as const;

/** Thrown when argv-form analysis meets a shell string and no parser was loaded. */
export class NeedsParser extends Error {
  constructor() {
    super('a shell string needs the parser');
  }
}

/** What every unit of work carries, whichever form it takes. */
interface WorkBase {
  readonly depth: number;
  readonly via: readonly string[];
  readonly dialect: Dialect;
  readonly stdin: Stdin;
  readonly parent: number | undefined;
  /** Variables may be resolved from the environment (no layer above changed or cleared it). */
  readonly envTrusted: boolean;
  /** Assignments of enclosing layers that reach this text's commands (`PGHOST=x bash -c ...`). */
  readonly inherited: readonly Assignment[];
}

type Work =
  | (WorkBase & { readonly kind: 'text'; readonly text: string; readonly at: Locator })
  | (WorkBase & { readonly kind: 'argv'; readonly args: readonly Arg[]; readonly assignments: readonly Assignment[]; readonly span: Span });

/**
 * Programs whose inner commands see another environment (another user's, a remote machine's, a
 * container's, a service's): variables in their shell strings are never resolved from ours.
 */
const FRESH_ENV = new Set(['ssh', 'docker', 'podman', 'nerdctl', 'kubectl', 'oc', 'tmux', 'screen', 'at', 'batch', 'su', 'runuser',
  'sudo', 'doas', 'pkexec', 'run0', 'systemd-run', 'setpriv', 'gosu', 'su-exec', 'sg', 'chroot', 'nsenter', 'unshare', 'firejail']);

/** Wrappers with an option that changes the working directory (`env -C`, `sudo -D`). */
const CHANGES_DIRECTORY = new Set(['env', 'sudo', 'run0', 'systemd-run', 'nsenter', 'unshare', 'chroot']);

function changesEnvironment(program: string, args: readonly Arg[]): boolean {
  if (FRESH_ENV.has(program)) return true;
  const words = args.map((a) => (a.word.kind === 'literal' ? a.word.value : ''));
  if (program === 'env') return words.some((w) => w === '-' || /^-[a-zA-Z0-9]*[iu]/.test(w) || w.startsWith('--ignore') || w.startsWith('--unset') || w.startsWith('-S') || w.startsWith('--split'));
  if (program === 'exec') return words.some((w) => /^-[a-zA-Z]*c/.test(w));
  return false;
}

export class Analyzer {
  readonly invocations: Invocation[] = [];
  readonly signals: Signal[] = [];
  /** Variables the analyzed text assigns, unsets or may change. */
  readonly touched = new Set<string>();
  /** The text may assign any variable: never resolve from the environment. */
  blocksResolution = false;
  private readonly functions = new Set<string>();
  private readonly aliases = new Map<string, string>();
  private readonly written = new Set<string>();
  private readonly stack: Work[] = [];
  private parsedChars = 0;
  private arithmetic = false;
  private readonly arithmeticStrings: Span[] = [];
  private shellLayers = false;
  private limitHit = false;

  constructor(
    private readonly parser: Parser | undefined,
    private readonly wrappers: WrapperTable,
    private readonly env: WordEnv,
  ) {}

  signal(name: SignalName, span: Span, message?: string, path?: string): void {
    this.signals.push(makeSignal(name, span, message, path));
  }

  analyzeText(text: string): void {
    const at = offsetLocator(0, text.length);
    if (text.length > LIMITS.maxBytes) {
      this.signal('input-too-large', { start: 0, end: text.length }, `the command text is ${text.length} characters; gate analyzes at most ${LIMITS.maxBytes}`);
      return;
    }
    this.stack.push({ kind: 'text', text, at, depth: 0, via: [], dialect: 'bash', stdin: { kind: 'inherited' }, parent: undefined, envTrusted: true, inherited: [] });
    this.drain();
  }

  analyzeArgv(argv: readonly string[]): void {
    let offset = 0;
    const args: Arg[] = argv.map((value) => {
      const arg = { word: literal(value), at: offsetLocator(offset, value.length) };
      offset += value.length + 1;
      return arg;
    });
    const span = { start: 0, end: Math.max(0, offset - 1) };
    if (span.end > LIMITS.maxBytes) this.signal('input-too-large', span, `the command is ${span.end} characters long; gate analyzes at most ${LIMITS.maxBytes}`);
    if (args.length === 0) return;
    this.stack.push({ kind: 'argv', args, assignments: [], span, depth: 0, via: [], dialect: 'bash', stdin: { kind: 'inherited' }, parent: undefined, envTrusted: true, inherited: [] });
    this.drain();
  }

  private drain(): void {
    while (this.stack.length > 0) {
      const work = this.stack.pop()!;
      if (work.kind === 'text') this.text(work);
      else this.argv(work);
    }
  }

  private text(work: Extract<Work, { kind: 'text' }>): void {
    const whole = work.at.span;
    if (work.depth > LIMITS.maxDepth) {
      this.signal('nesting-too-deep', whole);
      return;
    }
    if (this.parser === undefined) throw new NeedsParser();
    this.parsedChars += work.text.length;
    if (this.parsedChars > LIMITS.maxParsedChars) {
      this.limit(whole, 'the nested shell strings add up to more text than gate analyzes');
      return;
    }
    const parsed = this.parser.parse(work.text);
    if (!parsed.ok) {
      this.signal('parse-error', whole, `the bash parser failed: ${parsed.message}`);
      return;
    }
    const walk = walkScript(parsed.script, work.text, work.stdin, work.depth, LIMITS.maxDepth, this.parser.forEachChild);
    const map = (span: Span): Span => work.at.inner(span.start, span.end);
    const env = work.envTrusted ? this.env : NO_ENV;

    for (const error of walk.errors.slice(0, 5)) this.signal('parse-error', map(error.span), `bash would not run this as analyzed: ${error.message}`);
    for (const span of walk.tooDeep) this.signal('nesting-too-deep', map(span));
    for (const span of walk.promptExpansions) this.signal('prompt-expansion', map(span));
    if (work.dialect !== 'bash') this.dialectChecks(work, walk.bashOnly, map);
    for (const name of walk.functions) this.functions.add(name);
    for (const text of walk.arithmeticTexts) {
      for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) this.touched.add(m[0]);
      // `(( $name = 1 ))` assigns whatever variable $name names.
      if (/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?\s*([-+*\/%&|^]|<<|>>)?=(?!=)/.test(text)) this.blocksResolution = true;
    }
    for (const name of walk.fdVariables) this.touched.add(name);
    for (const m of work.text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?=/g)) this.touched.add(m[1]!);
    if (walk.arithmetic) this.arithmetic = true;

    for (const a of walk.assignments) {
      this.touched.add(a.name);
      if (isLoaderVariable(a.name)) this.signal('loader-env-assignment', map(a.span), `${a.name} is assigned; it changes which code runs or how commands are read`);
      const value = a.value === undefined ? undefined : resolveWord(a.value, env, 'assignment');
      if (value?.kind === 'literal' && /\[/.test(value.value) && /\$\(|`/.test(value.value)) this.arithmeticStrings.push(map(a.span));
    }

    for (let i = walk.commands.length - 1; i >= 0; i--) {
      const site = walk.commands[i]!;
      const work2 = this.commandWork(site, work, env);
      if (work2 !== undefined) this.stack.push(work2);
    }
  }

  /** bash-only syntax in a string another shell runs: the two may disagree on what runs. */
  private dialectChecks(work: Extract<Work, { kind: 'text' }>, bashOnly: readonly { what: string; span: Span }[], map: (s: Span) => Span): void {
    const shell = work.dialect === 'zsh' ? 'zsh' : 'a POSIX shell (sh, dash)';
    const first = bashOnly[0];
    if (first !== undefined) {
      const more = bashOnly.length > 1 ? ` (and ${bashOnly.length - 1} more)` : '';
      this.signal('dialect-ambiguous', map(first.span), `${work.via[work.via.length - 1] ?? 'the shell'} is ${shell}, but the string uses bash syntax (${first.what})${more} that it may read differently`);
    }
    if (work.dialect === 'zsh' && /\$\{\(|[=<>]\(|\$[~=^]|\*\(|\(e:|\bnoglob\b/.test(work.text)) {
      this.signal('dialect-ambiguous', work.at.span, 'zsh reads this string with expansions bash does not have');
    }
  }

  /** A parsed simple command as an argv work item. */
  private commandWork(site: CommandSite, work: Extract<Work, { kind: 'text' }>, env: WordEnv): Work | undefined {
    const node = site.node;
    const span = work.at.inner(site.span.start, site.span.end);
    for (const r of node.redirects) {
      if (r.type === 'Redirect' && (r.operator === '>' || r.operator === '>>' || r.operator === '>|' || r.operator === '&>' || r.operator === '&>>') && r.target !== undefined) {
        const target = resolveWord(r.target, env);
        if (target.kind === 'literal') this.written.add(basename(target.value));
      }
    }
    if (node.name === undefined) return undefined;
    const locate = (word: AstWord): Locator => (site.clamped ? fixedLocator(span) : wordLocator(word, work.at));
    const args: Arg[] = [{ word: resolveWord(node.name, env), at: locate(node.name) }];
    for (const arg of node.args) args.push(this.argument(arg, locate, env));
    const assignments: Assignment[] = [];
    for (const p of node.prefix) {
      if (p.type !== 'Assignment') continue;
      const value: Word = p.value.type === 'Word' ? resolveWord(p.value, env, 'assignment') : { kind: 'unknown', text: p.text };
      assignments.push({ name: p.name, value });
    }
    return {
      kind: 'argv',
      args,
      assignments: [...work.inherited, ...assignments],
      span,
      depth: work.depth,
      via: work.via,
      dialect: work.dialect,
      stdin: site.stdin,
      parent: work.parent,
      envTrusted: work.envTrusted,
      inherited: [],
    };
  }

  private argument(arg: CommandArgument, locate: (w: AstWord) => Locator, env: WordEnv): Arg {
    if (arg.type === 'Word') return { word: resolveWord(arg, env), at: locate(arg) };
    // `NAME=value` arguments of declare/export/alias: a literal word when the value is known.
    const at = fixedLocator(arg.value.type === 'Word' ? locate(arg.value).span : { start: arg.pos, end: arg.end });
    const whole = { ...at, span: { start: Math.min(at.span.start, arg.pos), end: at.span.end } };
    if (arg.value.type !== 'Word' || arg.index !== undefined) return { word: { kind: 'unknown', text: arg.text }, at: whole, name: arg.name };
    const value = resolveWord(arg.value, env, 'assignment');
    const valueAt = locate(arg.value);
    if (value.kind !== 'literal') return { word: { kind: 'unknown', text: arg.text }, at: whole, name: arg.name };
    const prefix = `${arg.name}${arg.append === true ? '+' : ''}=`;
    // Offsets into the value map to the value's own place in the source.
    const inner = (s: number, e: number): Span => (s >= prefix.length ? valueAt.inner(s - prefix.length, e - prefix.length) : valueAt.span);
    return { word: literal(prefix + value.value), at: { span: valueAt.span, inner }, name: arg.name };
  }

  private argv(work: Extract<Work, { kind: 'argv' }>): void {
    if (work.depth > LIMITS.maxDepth) {
      this.signal('nesting-too-deep', work.span);
      return;
    }
    if (this.invocations.length >= LIMITS.maxInvocations) {
      this.limit(work.span, `the command line contains more than ${LIMITS.maxInvocations} commands`);
      return;
    }
    const first = work.args[0]!;
    const program = programName(first.word);
    const index = this.invocations.length;
    const defined = program === undefined || (first.word.kind === 'literal' && first.word.value.includes('/'))
      ? undefined
      : this.functions.has(program) ? ('function' as const) : this.aliases.has(program) ? ('alias' as const) : undefined;
    this.invocations.push({
      argv: work.args.map((a) => a.word),
      assignments: work.assignments,
      via: work.via,
      span: work.span,
      ...(work.parent === undefined ? {} : { parent: work.parent }),
      ...(defined === undefined ? {} : { defined }),
    });
    // Assignments from wrappers (`env X=1 cmd`) were checked where they were read.
    for (const a of work.assignments) this.touched.add(a.name);
    if (first.word.kind === 'unknown') {
      const name: SignalName = first.word.why === 'brace' || first.word.why === 'glob' ? 'brace-or-glob-program-name' : 'dynamic-program-name';
      this.signal(name, first.at.span, `the program ${JSON.stringify(first.word.text)} is only known at run time`);
      return;
    }
    if (program === undefined || program === '') return;
    if (defined === 'alias') this.expandAlias(program, work, index);
    if (shellDialect(program) !== undefined) this.shellLayers = true;
    for (const path of writtenPaths(program, work.args)) this.written.add(basename(path));

    const result = peel(program, work.args, { stdin: work.stdin, dialect: work.dialect, wrappers: this.wrappers });
    for (const name of result.assigns) this.touched.add(name);
    if (result.blocksResolution) this.blocksResolution = true;
    const actions = result.actions;
    const fresh = changesEnvironment(program, work.args);
    if (CHANGES_DIRECTORY.has(program) && (program === 'chroot' || work.args.some((a) => a.word.kind === 'literal' && /^(-C|--chdir|-D|--working-directory|-w|--wd)/.test(a.word.value)))) this.touched.add('PWD');
    // The inner command sees the assignments made for this layer, unless its environment is new.
    const inherited = fresh ? [] : work.assignments;
    for (let i = actions.length - 1; i >= 0; i--) this.apply(actions[i]!, work, index, work.envTrusted && !fresh, inherited);
  }

  /**
   * A call to an alias runs the alias's value with the call's words appended: `alias k=kubectl;
   * k delete ns x` is `kubectl delete ns x`. Values that are not one plain command fail closed.
   */
  private expandAlias(name: string, work: Extract<Work, { kind: 'argv' }>, index: number): void {
    const value = this.aliases.get(name)!;
    const parsed = this.parser?.parse(value);
    const commands = parsed?.ok === true ? walkScript(parsed.script, value, { kind: 'null' }, 0, 1, this.parser!.forEachChild).commands : [];
    const only = commands.length === 1 ? commands[0]!.node : undefined;
    const words = only?.name === undefined ? [] : [only.name, ...only.args.filter((a): a is AstWord => a.type === 'Word')];
    const resolved = words.map((w) => resolveWord(w, work.envTrusted ? this.env : NO_ENV));
    if (only === undefined || only.prefix.length > 0 || words.length !== 1 + only.args.length || only.pos !== value.search(/\S/) || resolved.some((w) => w.kind !== 'literal') || value.slice(only.end).trim() !== '') {
      this.signal('eval-dynamic', work.span, `${name} is an alias for ${JSON.stringify(value)}, which gate does not expand with arguments`);
      return;
    }
    const at = work.args[0]!.at;
    const args: Arg[] = [...resolved.map((word) => ({ word, at })), ...work.args.slice(1)];
    this.stack.push({ kind: 'argv', args, assignments: work.assignments, span: work.span, depth: work.depth + 1, via: [...work.via, `alias ${name}`], dialect: work.dialect, stdin: work.stdin, parent: index, envTrusted: work.envTrusted, inherited: [] });
  }

  private apply(action: Action, work: Extract<Work, { kind: 'argv' }>, index: number, envTrusted: boolean, inherited: readonly Assignment[]): void {
    switch (action.kind) {
      case 'signal':
        this.signal(action.name, action.span, action.message, action.path);
        return;
      case 'define':
        for (const { name, value } of action.aliases) this.aliases.set(name, value);
        return;
      case 'argv': {
        if (action.args.length === 0) return;
        const spans = action.args.map((a) => a.at.span);
        const span = { start: Math.min(...spans.map((s) => s.start)), end: Math.max(...spans.map((s) => s.end)) };
        this.stack.push({
          kind: 'argv',
          args: action.args,
          assignments: [...inherited, ...(action.assignments ?? [])],
          span,
          depth: work.depth + 1,
          via: [...work.via, action.via],
          dialect: work.dialect,
          stdin: action.stdin ?? work.stdin,
          parent: index,
          envTrusted,
          inherited: [],
        });
        return;
      }
      case 'text':
        this.stack.push({
          kind: 'text',
          text: action.text,
          at: action.at,
          depth: work.depth + 1,
          via: [...work.via, action.via],
          dialect: action.dialect,
          stdin: action.stdin ?? work.stdin,
          parent: index,
          envTrusted,
          inherited,
        });
        return;
    }
  }

  private limit(span: Span, message: string): void {
    if (this.limitHit) return;
    this.limitHit = true;
    this.signal('analysis-limit', span, message);
  }

  /** Checks that need the whole picture: programs created by the line itself, arithmetic strings. */
  finish(env: Readonly<Record<string, string | undefined>> | undefined, argvForm: boolean): void {
    this.invocations.forEach((inv) => {
      const word = inv.argv[0];
      if (word?.kind !== 'literal') return;
      const name = basename(word.value);
      if (name !== '' && this.written.has(name)) {
        this.signal('program-created-in-script', inv.span ?? { start: 0, end: 0 }, `${word.value} is a file this command line itself writes, copies or links, so gate cannot tell what it is`);
      }
    });
    if (this.arithmetic) {
      for (const span of this.arithmeticStrings) {
        this.signal('arithmetic-code', span, 'a string with a subscripted command substitution is assigned, and arithmetic may evaluate it');
      }
    }
    if (argvForm && env !== undefined && this.shellLayers) {
      const names = shellInjectingVariables(env);
      if (names.length > 0) this.signal('inherited-shell-env', { start: 0, end: 0 }, `the environment sets ${names.join(', ')}, which make shells run extra code`);
    }
  }

  result(form: 'text' | 'argv', source: string): Analysis {
    // Names the line may set: their values (and with PWD, the directory) are unknown per command.
    const envUnknown = [...this.touched].sort();
    const invocations = envUnknown.length === 0 ? this.invocations : this.invocations.map((inv) => ({ ...inv, envUnknown }));
    const seen = new Set<string>();
    const signals = this.signals.filter((s) => {
      const key = `${s.name}\0${s.start}\0${s.end}\0${s.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return { form, source, invocations, signals };
  }
}

/** Maps offsets inside a word's value to the source when the value sits there verbatim. */
function wordLocator(word: AstWord, at: Locator): Locator {
  const whole = at.inner(word.pos, word.end);
  const parts = word.parts;
  let base: number | undefined;
  if (parts === undefined) {
    if (word.text === word.value) base = word.pos;
  } else if (parts.length === 1) {
    const part = parts[0]!;
    if (part.type === 'SingleQuoted') base = part.pos + 1;
    else if (part.type === 'DoubleQuoted' && part.parts.length === 1 && part.parts[0]!.type === 'Literal' && part.parts[0]!.text === part.parts[0]!.value) base = part.pos + 1;
    else if (part.type === 'Literal' && part.text === part.value) base = part.pos;
  }
  if (base === undefined) return { span: whole, inner: () => whole };
  const b = base;
  return composeLocator(at, { span: { start: word.pos, end: word.end }, inner: (s, e) => ({ start: b + s, end: b + e }) });
}
