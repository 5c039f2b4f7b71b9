import { forEachChild, parse, type SyntaxNode } from 'unbash';
import { resolveWord } from './words.js';
import type { Invocation, Word } from './types.js';

export interface ShellAnalysis {
  readonly invocations: readonly Invocation[];
  /** Parse errors with their offsets; a string that does not parse cleanly is never trusted. */
  readonly errors: readonly { readonly message: string; readonly pos: number }[];
}

/** Turns shell text into every simple command it contains, in source order. */
export function analyzeShell(text: string): ShellAnalysis {
  const invocations: Invocation[] = [];
  const errors: { message: string; pos: number }[] = [];
  const visit = (node: SyntaxNode): void => {
    if ((node.type === 'Script') && 'errors' in node && node.errors) errors.push(...node.errors);
    if (node.type === 'Command' && node.name !== undefined) {
      const argv: Word[] = [resolveWord(node.name)];
      for (const arg of node.args) argv.push(arg.type === 'Word' ? resolveWord(arg) : { kind: 'unknown', text: arg.text });
      const assignments = node.prefix.flatMap((p) =>
        p.type === 'Assignment' ? [{ name: p.name, value: p.value.type === 'Word' ? resolveWord(p.value) : ({ kind: 'unknown', text: p.text } as Word) }] : [],
      );
      invocations.push({ argv, assignments, via: [], span: { start: node.pos, end: node.end } });
    }
    forEachChild(node, visit);
  };
  visit(parse(text));
  return { invocations, errors };
}
