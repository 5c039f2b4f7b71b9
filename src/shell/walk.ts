import type { Command, Redirection, SyntaxNode, Word as AstWord } from 'unbash';
import type { Span } from './signals.js';

/**
 * Where a command's standard input comes from. It decides whether a shell or interpreter that
 * reads stdin runs code gate can see (a literal here-doc) or code it cannot (a pipe, a file).
 */
export type Stdin =
  /** The caller's stdin: the terminal, or whatever the process running gate was given. */
  | { readonly kind: 'inherited' }
  | { readonly kind: 'pipe' }
  | { readonly kind: 'file' }
  | { readonly kind: 'null' }
  /** Not known statically (inside a function body: its callers decide). */
  | { readonly kind: 'unknown' }
  /** A here-doc or here-string; `text` is null when the body has expansions. */
  | { readonly kind: 'text'; readonly text: string | null; readonly span: Span; readonly exact: boolean };

export interface CommandSite {
  readonly node: Command;
  readonly stdin: Stdin;
  readonly span: Span;
  /** Positions inside do not index the analyzed text (escaped backticks): use `span` for all. */
  readonly clamped: boolean;
  /** Inside a function body: what runs depends on its callers. */
  readonly inFunction: boolean;
}

export interface AssignmentSite {
  readonly name: string;
  /** The value as parsed; undefined for loop variables and arrays. */
  readonly value: AstWord | undefined;
  readonly span: Span;
}

/** Everything the walk found in one script, in source order. */
export interface WalkResult {
  readonly commands: CommandSite[];
  readonly errors: { message: string; span: Span }[];
  readonly promptExpansions: Span[];
  readonly functions: string[];
  /** Syntax that bash reads differently from POSIX shells (for `sh -c` strings). */
  readonly bashOnly: { what: string; span: Span }[];
  readonly assignments: AssignmentSite[];
  /** Some arithmetic context exists (`$((...))`, `((...))`, subscripts, `[[ -eq ]]`). */
  arithmetic: boolean;
  /** Substitutions nested deeper than the limit: not analyzed. */
  readonly tooDeep: Span[];
  /** Arithmetic expressions (their text may assign variables: `(( x = 1 ))`). */
  readonly arithmeticTexts: string[];
  /** Variables assigned a file descriptor (`exec {fd}>file`) or a coprocess (`coproc NAME`). */
  readonly fdVariables: string[];
}

interface Frame {
  readonly node: SyntaxNode;
  readonly stdin: Stdin;
  readonly clamp: Span | undefined;
  readonly inFunction: boolean;
  readonly depth: number;
}

const ARITHMETIC_TESTS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);

/**
 * Visits every node of a parsed script without recursion (the input is untrusted and may be
 * deeply nested), including the scripts of substitutions, function bodies, here-doc bodies,
 * redirect targets, assignment values and subscripts. `source` is the text positions index.
 */
export type ChildVisitor = (node: SyntaxNode, callback: (child: SyntaxNode) => void) => void;

export function walkScript(root: SyntaxNode, source: string, stdin: Stdin, baseDepth: number, maxDepth: number, forEachChild: ChildVisitor): WalkResult {
  const result: WalkResult = {
    commands: [],
    errors: [],
    promptExpansions: [],
    functions: [],
    bashOnly: [],
    assignments: [],
    arithmetic: false,
    tooDeep: [],
    arithmeticTexts: [],
    fdVariables: [],
  };
  const stack: Frame[] = [{ node: root, stdin, clamp: undefined, inFunction: false, depth: baseDepth }];
  const children: SyntaxNode[] = [];

  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { node } = frame;
    const span: Span = frame.clamp ?? { start: node.pos, end: node.end };
    const bashOnly = (what: string): void => {
      result.bashOnly.push({ what, span });
    };
    let childStdin = frame.stdin;
    let childClamp = frame.clamp;
    let inFunction = frame.inFunction;
    let depth = frame.depth;
    const special = new Map<SyntaxNode, Stdin>();

    switch (node.type) {
      case 'Script':
        for (const error of node.errors ?? []) {
          result.errors.push({ message: error.message, span: frame.clamp ?? { start: error.pos, end: error.pos + 1 } });
        }
        break;
      case 'Statement':
        // Without job control, a background command's stdin is /dev/null.
        if (node.background === true) childStdin = { kind: 'null' };
        break;
      case 'Pipeline':
        node.commands.forEach((command, i) => {
          if (i > 0) special.set(command, { kind: 'pipe' });
        });
        if (node.operators.includes('|&')) bashOnly('|&');
        break;
      case 'Redirected': {
        const redirected = stdinFrom(node.redirects, frame.stdin, source, frame.clamp);
        special.set(node.command, redirected);
        break;
      }
      case 'Command':
        result.commands.push({ node, stdin: stdinFrom(node.redirects, frame.stdin, source, frame.clamp), span, clamped: frame.clamp !== undefined, inFunction: frame.inFunction });
        break;
      case 'Function': {
        const name = node.name.value;
        result.functions.push(name);
        if (source.startsWith('function', node.pos)) bashOnly('function keyword');
        special.set(node.body, { kind: 'unknown' });
        inFunction = true;
        break;
      }
      case 'Coproc':
        bashOnly('coproc');
        result.fdVariables.push(node.name?.value ?? 'COPROC', `${node.name?.value ?? 'COPROC'}_PID`);
        special.set(node.body, { kind: 'pipe' });
        break;
      case 'Select':
        bashOnly('select');
        result.assignments.push({ name: node.name.value, value: undefined, span });
        break;
      case 'For':
        result.assignments.push({ name: node.name.value, value: undefined, span });
        break;
      case 'CaseItem':
        if (node.terminator === ';&' || node.terminator === ';;&') bashOnly(node.terminator);
        break;
      case 'TestCommand':
        bashOnly('[[ ]]');
        break;
      case 'TestBinary':
        if (ARITHMETIC_TESTS.has(node.operator)) result.arithmetic = true;
        break;
      case 'ArithmeticCommand':
        bashOnly('(( ))');
        result.arithmetic = true;
        result.arithmeticTexts.push(node.body);
        break;
      case 'ArithmeticFor':
        bashOnly('for (( ))');
        result.arithmetic = true;
        result.arithmeticTexts.push(source.slice(node.pos, node.end));
        break;
      case 'ArithmeticExpansion':
        result.arithmetic = true;
        result.arithmeticTexts.push(node.text);
        break;
      case 'AnsiCQuoted':
        bashOnly("$'...'");
        break;
      case 'LocaleString':
        bashOnly('$"..."');
        break;
      case 'BraceExpansion':
        bashOnly('brace expansion');
        break;
      case 'ExtendedGlob':
        bashOnly('extended glob');
        break;
      case 'HereString':
        bashOnly('<<<');
        break;
      case 'Redirect':
        if (node.operator === '&>' || node.operator === '&>>') bashOnly(node.operator);
        if (node.descriptor?.type === 'FileDescriptorVariable') {
          bashOnly('{var}> redirect');
          result.fdVariables.push(node.descriptor.name);
        }
        break;
      case 'Assignment':
        result.assignments.push({ name: node.name, value: node.value.type === 'Word' ? node.value : undefined, span });
        if (node.value.type === 'ArrayValue') bashOnly('array assignment');
        if (node.append === true) bashOnly('+=');
        if (node.index !== undefined) {
          bashOnly('subscript assignment');
          result.arithmetic = true;
        }
        break;
      case 'ParameterExpansion': {
        const op = node.operation;
        if (op?.type === 'Transform' && op.operand.value.includes('P')) result.promptExpansions.push(span);
        if (node.index !== undefined) result.arithmetic = true;
        if (op?.type === 'Slice') result.arithmetic = true;
        const posix = op === undefined || op.type === 'Default' || op.type === 'Remove';
        if (!posix || node.prefix === '!' || node.index !== undefined) bashOnly('bash parameter expansion');
        break;
      }
      case 'CommandExpansion':
      case 'ProcessSubstitution':
      case 'ArithmeticCommandExpansion': {
        if (node.type === 'ProcessSubstitution') bashOnly('process substitution');
        if (node.type === 'CommandExpansion' && node.text.startsWith('${')) bashOnly('${ ...; }');
        const script = node.script;
        if (script === undefined) {
          result.errors.push({ message: `could not parse ${node.text.slice(0, 40)}`, span });
          break;
        }
        depth++;
        if (depth > maxDepth) {
          result.tooDeep.push(span);
          continue;
        }
        // Escaped-backtick scripts index their own decoded text: point at the whole substitution.
        if (script.source !== undefined) childClamp = span;
        if (node.type === 'ProcessSubstitution' && node.operator === '>') childStdin = { kind: 'pipe' };
        break;
      }
      default:
        break;
    }

    children.length = 0;
    forEachChild(node, (child) => {
      children.push(child);
    });
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i]!;
      stack.push({ node: child, stdin: special.get(child) ?? childStdin, clamp: childClamp, inFunction, depth });
    }
  }
  return result;
}

/** The stdin a command sees after its redirections (later ones win), given what it inherits. */
function stdinFrom(redirects: readonly Redirection[], inherited: Stdin, source: string, clamp: Span | undefined): Stdin {
  let stdin = inherited;
  for (const r of redirects) {
    const fd = r.descriptor === undefined ? (r.operator.startsWith('<') ? 0 : 1) : r.descriptor.type === 'FileDescriptor' ? r.descriptor.value : -1;
    if (fd !== 0) continue;
    const span = clamp ?? { start: r.pos, end: r.end };
    switch (r.type) {
      case 'HereString': {
        const value = r.target === undefined ? undefined : hereStringValue(r.target);
        stdin = { kind: 'text', text: value === undefined ? null : `${value}\n`, span, exact: false };
        break;
      }
      case 'HereDoc': {
        const text = hereDocText(r);
        const exact = clamp === undefined && r.operator === '<<' && text === r.body.text && source.startsWith(text, r.body.pos);
        stdin = { kind: 'text', text, span: clamp ?? { start: r.body.pos, end: r.body.end }, exact };
        break;
      }
      case 'Redirect': {
        const target = r.target?.value;
        if (r.operator === '<&' && target === '-') stdin = { kind: 'null' };
        else if (r.operator === '<' && r.target?.parts === undefined && target === '/dev/null') stdin = { kind: 'null' };
        else if (r.operator === '<' || r.operator === '<>') stdin = { kind: 'file' };
        else stdin = { kind: 'unknown' };
        break;
      }
    }
  }
  return stdin;
}

/** A here-string word's value when it has no expansions (checked by the caller's resolver). */
function hereStringValue(word: AstWord): string | undefined {
  const parts = word.parts;
  if (parts === undefined) return word.text.startsWith('~') ? undefined : word.value;
  for (const part of parts) {
    if (part.type === 'Literal' || part.type === 'SingleQuoted') continue;
    if (part.type === 'DoubleQuoted' && part.parts.every((p) => p.type === 'Literal')) continue;
    return undefined;
  }
  return word.value;
}

/**
 * The text a here-doc feeds, exactly as bash delivers it, or null when it has expansions or a
 * form gate does not reproduce (`<<-` with continued lines).
 */
export function hereDocText(doc: Extract<Redirection, { type: 'HereDoc' }>): string | null {
  const body = doc.body;
  const quoted = doc.delimiter?.quoted === true;
  const stripTabs = doc.operator === '<<-';
  if (quoted) return stripTabs ? body.text.replace(/^\t+/gm, '') : body.text;
  if (body.parts !== undefined && body.parts.some((p) => p.type !== 'Literal')) return null;
  if (stripTabs && /\\\n\t/.test(body.text)) return null;
  const raw = stripTabs ? body.text.replace(/^\t+/gm, '') : body.text;
  // Unquoted bodies: only \$ \` \\ and backslash-newline are escapes.
  return raw.replace(/\\([$`\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c));
}
