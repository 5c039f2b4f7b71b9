import { describe, expect, it } from 'vitest';
import { analyzeTextSync } from '../../src/shell/analyze.js';
import type { Word } from '../../src/shell/types.js';
import { BASH_CASES } from './bash-cases.js';

/**
 * The analyzer against what bash really ran (bash-cases.ts): every executed program must be one
 * of the analyzed invocations, or the analysis must fail closed with a signal. Never silently
 * miss a command ("unsafe"). Prints the counts reported in parse.ts.
 */
function covers(argv: readonly Word[], ran: readonly string[]): boolean {
  const hasUnknown = argv.some((w) => w.kind === 'unknown');
  if (!hasUnknown && argv.length !== ran.length) return false;
  return ran.every((value, i) => {
    const word = argv[i];
    if (word === undefined) return hasUnknown;
    return word.kind === 'unknown' || word.value === value;
  });
}

describe('bash differential: what bash ran is what gate saw', () => {
  const outcomes = BASH_CASES.map((c) => {
    const analysis = analyzeTextSync(c.text, { env: { HOME: '/tmp/gatebash', PATH: '/usr/bin' }, cwd: '/tmp/gatebash' });
    const seen = c.runs.every((ran) => analysis.invocations.some((inv) => covers(inv.argv, ran)));
    const signalled = analysis.signals.length > 0;
    return { c, analysis, outcome: seen && !signalled ? 'correct' : signalled ? 'fail-closed' : 'unsafe' };
  });

  it('no case is unsafe; signals appear exactly where expected', () => {
    const count = (o: string): number => outcomes.filter((x) => x.outcome === o).length;
    console.log(`bash differential: ${outcomes.length} cases: ${count('correct')} correct, ${count('fail-closed')} fail-closed, ${count('unsafe')} unsafe`);
    for (const { c, analysis, outcome } of outcomes) {
      expect(outcome, `${JSON.stringify(c.text)}: ${JSON.stringify(analysis.invocations.map((i) => i.argv))}`).not.toBe('unsafe');
      expect(analysis.signals.length > 0, `${JSON.stringify(c.text)} signals: ${analysis.signals.map((s) => s.name).join(', ')}`).toBe(c.signal === true);
    }
  });
});
