import '../bundle-layout.js'; // see src/bundle-layout.ts
import { Analyzer, NeedsParser, type AnalyzeOptions } from './engine.js';
import type { Parser } from './parse.js';
import { WrapperTable } from './peel.js';
import type { Analysis } from './types.js';
import type { WordEnv } from './words.js';
import type { WrapperDoc } from './wrappers.js';

/**
 * Variables never resolved from the environment: the shell sets or changes them itself, or they
 * change how words split or where programs come from.
 */
const NEVER_RESOLVED = new Set([
  'IFS', 'PATH', 'BASH_ENV', 'ENV', 'PS1', 'PS2', 'PS4', 'PROMPT_COMMAND', 'SHELLOPTS', 'BASHOPTS', 'CDPATH', 'GLOBIGNORE',
  'OLDPWD', 'RANDOM', 'SRANDOM', 'SECONDS', 'LINENO', 'BASHPID', 'PPID', 'SHLVL', 'HOSTNAME', 'HOSTTYPE', 'MACHTYPE',
  'OSTYPE', 'UID', 'EUID', 'GROUPS', 'BASH', 'BASH_VERSION', 'BASH_COMMAND', 'BASH_SOURCE', 'FUNCNAME', 'DIRSTACK',
  'PIPESTATUS', 'EPOCHREALTIME', 'EPOCHSECONDS', 'REPLY', 'OPTARG', 'OPTIND', 'COLUMNS', 'LINES', 'HISTCMD', 'SHELL',
]);

/** Records which variables the text looks up, and resolves only those it is told are safe. */
class EnvLookup implements WordEnv {
  readonly requested = new Set<string>();
  readonly resolved = new Set<string>();

  constructor(private readonly values: ReadonlyMap<string, string>) {}

  lookup(name: string): string | undefined {
    this.requested.add(name);
    const value = this.values.get(name);
    if (value !== undefined) this.resolved.add(name);
    return value;
  }
}

const NO_WRAPPERS: readonly WrapperDoc[] = [];
const tables = new WeakMap<readonly WrapperDoc[], WrapperTable>();

/** Compiled wrapper tables are reused per list of site wrappers (a policy's list is one array). */
function wrapperTable(extra: readonly WrapperDoc[]): WrapperTable {
  let table = tables.get(extra);
  if (table === undefined) {
    table = new WrapperTable(extra);
    tables.set(extra, table);
  }
  return table;
}

type Input = { readonly form: 'text'; readonly text: string } | { readonly form: 'argv'; readonly argv: readonly string[] };

/**
 * Runs the analysis. `$NAME` is resolved from `options.env` only in a second pass, and only for
 * names the first pass saw the text read but never assign (nor anything that may assign any
 * name: eval, source, read of an unknown name); a second pass that turns out to assign a resolved
 * name is discarded. Without this, `-v "$PWD":/app` and `rm "$HOME/x"` would be unknown words.
 */
export function runAnalysis(parser: Parser | undefined, input: Input, options: AnalyzeOptions = {}): Analysis {
  const wrappers = wrapperTable(options.wrappers ?? NO_WRAPPERS);
  const source = input.form === 'text' ? input.text : input.argv.join(' ');
  const pass = (values: ReadonlyMap<string, string>): { analyzer: Analyzer; lookup: EnvLookup } => {
    const lookup = new EnvLookup(values);
    const analyzer = new Analyzer(parser, wrappers, lookup);
    try {
      if (input.form === 'text') analyzer.analyzeText(input.text);
      else analyzer.analyzeArgv(input.argv);
    } catch (error) {
      if (error instanceof NeedsParser) throw error;
      analyzer.signal('analysis-error', { start: 0, end: source.length }, `gate failed while analyzing this command: ${error instanceof Error ? error.message : String(error)}`);
    }
    analyzer.finish(options.env, input.form === 'argv');
    return { analyzer, lookup };
  };

  const first = pass(new Map());
  const env = options.env;
  // A text that assigns IFS splits unquoted values differently: resolve nothing then.
  if (env === undefined || first.analyzer.blocksResolution || first.analyzer.touched.has('IFS') || first.lookup.requested.size === 0) {
    return first.analyzer.result(input.form, source);
  }
  const values = new Map<string, string>();
  for (const name of first.lookup.requested) {
    if (first.analyzer.touched.has(name) || NEVER_RESOLVED.has(name) || name.startsWith('__gate')) continue;
    const value = name === 'PWD' ? options.cwd : env[name];
    if (value !== undefined) values.set(name, value);
  }
  if (values.size === 0) return first.analyzer.result(input.form, source);
  const second = pass(values);
  for (const name of second.lookup.resolved) {
    if (second.analyzer.touched.has(name)) return first.analyzer.result(input.form, source);
  }
  if (second.analyzer.blocksResolution) return first.analyzer.result(input.form, source);
  return second.analyzer.result(input.form, source);
}
