import type { Span } from '../shell/signals.js';
import { wordText, type Analysis } from '../shell/types.js';
import type { CompiledPolicy } from './compile.js';
import type { Decision } from './decide.js';
import { explainRule } from './explain.js';
import type { MatchContext } from './match.js';
import type { DecisionKind } from './types.js';

/**
 * `gate check` data for an analyzed command line: each part (invocation, with the layers it was
 * reached through and where it is in the text) with the rules it hit, and each fail-closed signal
 * with its position. Plain data: the CLI prints it as text or JSON.
 */
export interface ExplainedPart {
  readonly index: number;
  /** Words as gate read them; a word not known statically is shown as written. */
  readonly argv: readonly string[];
  readonly unknown: readonly number[];
  readonly assignments: readonly string[];
  readonly via: readonly string[];
  readonly parent?: number;
  readonly span?: Span;
  readonly text?: string;
  readonly defined?: 'function' | 'alias';
  readonly rules: readonly {
    readonly id: string;
    readonly decision: DecisionKind;
    readonly rule_decision: DecisionKind;
    readonly certain: boolean;
    readonly source: string;
    readonly message?: string;
    readonly why: readonly string[];
  }[];
  /** No rule matched: the policy's `unmatched` default decided this part. */
  readonly unmatched: boolean;
}

export interface ExplainedSignal {
  readonly name: string;
  readonly message: string;
  readonly decision: DecisionKind;
  readonly waived?: string;
  readonly span: Span;
  readonly text: string;
  /** 1-based line and column of the start, for text input. */
  readonly line: number;
  readonly column: number;
  readonly path?: string;
}

export interface Explanation {
  readonly decision: DecisionKind;
  readonly form: Analysis['form'];
  readonly source: string;
  readonly parts: readonly ExplainedPart[];
  readonly signals: readonly ExplainedSignal[];
}

export function explainAnalysis(policy: CompiledPolicy, analysis: Analysis, decision: Decision, ctx: MatchContext): Explanation {
  const unmatched = new Set(decision.unmatched);
  const parts = analysis.invocations.map((inv, index): ExplainedPart => {
    const rules = decision.matches
      .filter((m) => m.invocation === index)
      .map((m) => ({
        id: m.rule.id,
        decision: m.effect,
        /** The rule's own decision; differs from `decision` when a possible deny match asks instead. */
        rule_decision: m.rule.decision,
        certain: m.certain,
        source: `${m.rule.source.file}:${m.rule.source.line}`,
        ...(m.rule.message === undefined ? {} : { message: m.rule.message }),
        why: explainRule(policy, m.rule, inv, ctx),
      }));
    return {
      index,
      argv: inv.argv.map(wordText),
      unknown: inv.argv.flatMap((w, i) => (w.kind === 'unknown' ? [i] : [])),
      assignments: inv.assignments.map((a) => `${a.name}=${wordText(a.value)}`),
      via: inv.via,
      ...(inv.parent === undefined ? {} : { parent: inv.parent }),
      ...(inv.span === undefined ? {} : { span: inv.span, text: analysis.source.slice(inv.span.start, inv.span.end) }),
      ...(inv.defined === undefined ? {} : { defined: inv.defined }),
      rules,
      unmatched: unmatched.has(index),
    };
  });
  const signals = decision.signals.map(({ signal, decision: d, waived }): ExplainedSignal => {
    const { line, column } = lineColumn(analysis.source, signal.start);
    return {
      name: signal.name,
      message: signal.message,
      decision: d,
      ...(waived === undefined ? {} : { waived }),
      span: { start: signal.start, end: signal.end },
      text: analysis.source.slice(signal.start, signal.end),
      line,
      column,
      ...(signal.path === undefined ? {} : { path: signal.path }),
    };
  });
  return { decision: decision.kind, form: analysis.form, source: analysis.source, parts, signals };
}

export function lineColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/**
 * The explanation as text lines (not yet sanitized for a terminal: the caller does that). Parts
 * that matched no rule are listed only with `all`, signals always.
 */
export function formatExplanation(explanation: Explanation, options: { all?: boolean; why?: boolean } = {}): string[] {
  const lines: string[] = [`decision: ${explanation.decision}`];
  for (const part of explanation.parts) {
    if (options.all !== true && part.rules.length === 0) continue;
    const where = part.span === undefined ? '' : ` at ${part.span.start}-${part.span.end}`;
    const via = part.via.length === 0 ? '' : ` (via ${part.via.join(' > ')})`;
    lines.push(`part ${part.index}${where}${via}: ${part.argv.map((w, i) => (part.unknown.includes(i) ? `<${w}>` : w)).join(' ')}`);
    for (const rule of part.rules) {
      const possible = rule.certain ? '' : rule.rule_decision !== rule.decision ? `, possible match of a ${rule.rule_decision} rule: a human decides` : ', possible match';
      lines.push(`  rule ${rule.id} (${rule.decision}${possible}) at ${rule.source}`);
      if (rule.message !== undefined) lines.push(`    ${rule.message}`);
      if (options.why === true) for (const reason of rule.why) lines.push(`    - ${reason}`);
    }
    if (part.unmatched && options.all === true) lines.push('  no rule matched (policy default for unmatched commands)');
  }
  for (const signal of explanation.signals) {
    const at = explanation.form === 'text' ? `line ${signal.line} col ${signal.column}` : `offset ${signal.span.start}`;
    lines.push(`signal ${signal.name} (${signal.waived === undefined ? signal.decision : `waived: ${signal.waived}`}) at ${at}: ${JSON.stringify(signal.text)}`);
    lines.push(`  ${signal.message}`);
  }
  return lines;
}
