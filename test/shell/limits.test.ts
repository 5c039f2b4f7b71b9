import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/shell/engine.js';
import { runAnalysis } from '../../src/shell/run-analysis.js';
import { bashParser } from '../../src/shell/parse.js';
import { parts, signalNames, text } from './helpers.js';

/** Size, depth and count limits: exceeding any fails closed, never throws, never recurses deeply. */
describe('limits', () => {
  it('refuses text larger than 64 KiB', () => {
    const big = `echo ${'x'.repeat(LIMITS.maxBytes)}`;
    expect(signalNames(text(big))).toEqual(['input-too-large']);
  });

  it('stops at 64 nested layers (eval chain)', () => {
    const a = text(`${'eval '.repeat(70)}rm -rf x`);
    expect(signalNames(a)).toContain('nesting-too-deep');
    expect(parts(a)).not.toContain('rm -rf x');
  });

  it('stops at 64 nested substitutions without recursion', () => {
    const deep = `${'echo $('.repeat(100)}rm x${')'.repeat(100)}`;
    expect(signalNames(text(deep))).toContain('nesting-too-deep');
  });

  it('turns the parser nesting cap into a parse error', () => {
    const braces = `${'{ '.repeat(3000)}ls${'; }'.repeat(3000)}`;
    expect(signalNames(text(braces))).toContain('parse-error');
    const parens = `${'('.repeat(3000)}ls${')'.repeat(3000)}`;
    expect(signalNames(text(parens)).length).toBeGreaterThan(0);
  });

  it('handles long flat inputs (pipelines, lists) within budget', () => {
    const pipeline = Array.from({ length: 4000 }, () => 'cat').join(' | ');
    expect(text(pipeline).invocations.length).toBe(4000);
    expect(signalNames(text('true;'.repeat(LIMITS.maxInvocations + 10)))).toContain('analysis-limit');
  });

  it('turns an unexpected failure into the analysis-error signal', () => {
    const a = runAnalysis({ parse: () => { throw new Error('boom'); }, forEachChild: bashParser.forEachChild }, { form: 'text', text: 'ls' });
    expect(a.signals.map((s) => s.name)).toEqual(['analysis-error']);
  });

  it('the parser wrapper reports exceptions as data', () => {
    expect(bashParser.parse('ls').ok).toBe(true);
  });
});
