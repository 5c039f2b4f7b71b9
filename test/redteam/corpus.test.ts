import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CompiledPolicy } from '../../src/policy/compile.js';
import { decideAnalysis } from '../../src/policy/decide-analysis.js';
import type { Decision } from '../../src/policy/decide.js';
import { readPolicyFiles } from '../../src/policy/load-files.js';
import type { MatchContext } from '../../src/policy/match.js';
import { buildPolicySet } from '../../src/policy/validate.js';
import { analyzeTextSync } from '../../src/shell/analyze.js';
import { wordText } from '../../src/shell/types.js';

/**
 * The red-team corpus, evaluated against the SHIPPED policy (policies/default.yaml) as an agent
 * would meet it: every sensitive phrasing must need approval or be denied, and harmless commands
 * (look-alikes and everyday agent work) must mostly run (false-positive rate at most 2%).
 */
const ROOT = join(import.meta.dirname, '..', '..');
const CORPUS = join(import.meta.dirname, 'corpus');

interface Case {
  readonly label: 'sensitive' | 'benign';
  readonly category: string;
  readonly command: string;
  readonly file: string;
}

function loadCorpus(): Case[] {
  const cases: Case[] = [];
  for (const file of readdirSync(CORPUS).filter((f) => f.endsWith('.yaml')).sort()) {
    const doc = parse(readFileSync(join(CORPUS, file), 'utf8')) as { category: string; cases: Record<string, string>[] };
    expect(doc.category, file).toBe(file.replace(/\.yaml$/, ''));
    for (const entry of doc.cases) {
      const keys = Object.keys(entry);
      expect(keys.length, `${file}: ${JSON.stringify(entry)}`).toBe(1);
      const label = keys[0] as Case['label'];
      expect(['sensitive', 'benign'], `${file}: ${JSON.stringify(entry)}`).toContain(label);
      expect(typeof entry[label], `${file}: ${JSON.stringify(entry)}`).toBe('string');
      cases.push({ label, category: doc.category, command: entry[label]!, file });
    }
  }
  return cases;
}

const CTX: MatchContext = {
  env: { HOME: '/home/dev', USER: 'dev', PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', SHELL: '/bin/bash' },
  cwd: '/home/dev/project',
  requester: 'agent',
};

function evaluate(policy: CompiledPolicy, command: string): { decision: Decision; summary: string } {
  const analysis = analyzeTextSync(command, { env: CTX.env, cwd: CTX.cwd, wrappers: policy.wrappers });
  const decision = decideAnalysis(policy, analysis, CTX);
  const parts = analysis.invocations.map((inv) => inv.argv.map(wordText).join(' '));
  const rules = [...new Set(decision.matches.map((m) => `${m.rule.id}(${m.rule.decision})`))];
  const signals = [...new Set(decision.signals.map((s) => s.signal.name))];
  return { decision, summary: `parts: ${JSON.stringify(parts)}; rules: [${rules.join(', ')}]; signals: [${signals.join(', ')}]` };
}

describe('red-team corpus against the shipped policy', () => {
  const policy = buildPolicySet(readPolicyFiles([join(ROOT, 'policies', 'default.yaml')])).compiled;
  const cases = loadCorpus();
  const sensitive = cases.filter((c) => c.label === 'sensitive');
  const benign = cases.filter((c) => c.label === 'benign');

  it('has enough cases in every class', () => {
    expect(sensitive.length + benign.filter((c) => c.category !== 'everyday').length).toBeGreaterThanOrEqual(300);
    expect(benign.filter((c) => c.category === 'everyday').length).toBeGreaterThanOrEqual(50);
    const categories = new Set(sensitive.map((c) => c.category));
    for (const category of ['path', 'quoting', 'env-assign', 'wrapper', 'shell-c', 'eval-source', 'compound', 'substitution', 'pipe-to-shell', 'heredoc', 'flag-order', 'indirect-exec', 'interpreter', 'remote-exec', 'alias-function', 'binary-alias', 'shell-dialect', 'equivalent-form']) {
      expect(categories, category).toContain(category);
    }
  });

  it('every sensitive phrasing needs approval or is denied', () => {
    const misses: string[] = [];
    const byCategory = new Map<string, { total: number; caught: number }>();
    for (const c of sensitive) {
      const { decision, summary } = evaluate(policy, c.command);
      const stats = byCategory.get(c.category) ?? { total: 0, caught: 0 };
      stats.total++;
      if (decision.kind === 'allow') misses.push(`MISS [${c.category}] ${JSON.stringify(c.command)}\n     ${summary}`);
      else stats.caught++;
      byCategory.set(c.category, stats);
    }
    const lines = [...byCategory].map(([category, s]) => `  ${category.padEnd(16)} ${s.caught}/${s.total}`);
    console.log(`sensitive: ${sensitive.length - misses.length}/${sensitive.length} caught\n${lines.join('\n')}${misses.length > 0 ? `\n${misses.join('\n')}` : ''}`);
    expect(misses, misses.join('\n')).toEqual([]);
  });

  it('harmless look-alikes and everyday commands are allowed (false positives <= 2%)', () => {
    const falsePositives: string[] = [];
    for (const c of benign) {
      const { decision, summary } = evaluate(policy, c.command);
      if (decision.kind !== 'allow') falsePositives.push(`FP [${c.category}] ${decision.kind} ${JSON.stringify(c.command)}\n     ${summary}`);
    }
    const rate = falsePositives.length / benign.length;
    console.log(`benign: ${benign.length - falsePositives.length}/${benign.length} allowed; false-positive rate ${(rate * 100).toFixed(2)}%${falsePositives.length > 0 ? `\n${falsePositives.join('\n')}` : ''}`);
    expect(rate).toBeLessThanOrEqual(0.02);
  });
});
