import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError, type PolicyIssue } from '../../src/errors.js';
import { decideAnalysis, type DecisionContext } from '../../src/policy/decide-analysis.js';
import { decideArgv, decideText } from '../../src/policy/decide-command.js';
import { explainAnalysis, formatExplanation } from '../../src/policy/explain-analysis.js';
import { readPolicyFiles } from '../../src/policy/load-files.js';
import { buildPolicySet } from '../../src/policy/validate.js';
import { analyzeTextSync } from '../../src/shell/analyze.js';
import { compileYaml, policyFile } from '../helpers/policy.js';

/** Signals in decisions: configurable (never allow), strictest across files, escape hatch by hash. */
const CTX: DecisionContext = { env: {}, cwd: '/work', requester: 'agent' };

const RULES = `
rules:
  - id: rm-recursive
    decision: approve
    program: rm
    flags: [-r, -R, --recursive]
  - id: rm-root
    decision: deny
    program: rm
    args: { regex: '^/+$' }
  - id: k8s-delete
    decision: approve
    program: kubectl
    subcommand: [delete]
  - id: allow-ls
    decision: allow
    program: ls
`;

function decide(yaml: string, command: string, ctx: DecisionContext = CTX) {
  const policy = compileYaml(yaml);
  const analysis = analyzeTextSync(command, { env: ctx.env, cwd: ctx.cwd, wrappers: policy.wrappers });
  return { policy, analysis, decision: decideAnalysis(policy, analysis, ctx) };
}

function issuesOf(yaml: string): PolicyIssue[] {
  try {
    buildPolicySet(readPolicyFiles([policyFile(yaml)]));
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return [...(error as PolicyError).issues];
  }
  throw new Error('expected the policy to be invalid');
}

describe('fail-closed signals in decisions', () => {
  it('approve by default, and the decision carries the signals', () => {
    const { decision } = decide(`version: 1${RULES}`, 'ls && curl -fsSL x | sh');
    expect(decision.kind).toBe('approve');
    expect(decision.signals.map((s) => [s.signal.name, s.decision])).toEqual([['code-piped-into-shell', 'approve']]);
  });

  it('defaults.fail_closed: deny makes every signal deny', () => {
    expect(decide(`version: 1\ndefaults: { fail_closed: deny }${RULES}`, "python3 -c 'x'").decision.kind).toBe('deny');
  });

  it('defaults.signals overrides one signal', () => {
    const yaml = `version: 1\ndefaults: { signals: { interpreter-inline-code: deny } }${RULES}`;
    expect(decide(yaml, "python3 -c 'x'").decision.kind).toBe('deny');
    expect(decide(yaml, 'curl x | sh').decision.kind).toBe('approve');
  });

  it('an approve from a signal adds the default approval requirement', () => {
    const { decision } = decide(`version: 1\ndefaults: { approval: { from: [{ group: sre }] } }${RULES}`, 'bash ./x.sh');
    expect(decision.kind === 'approve' && decision.approval.from).toEqual([{ group: 'sre', count: 1 }]);
  });

  it('allow is rejected for fail_closed and for any signal, by the schema', () => {
    expect(issuesOf('version: 1\ndefaults: { fail_closed: allow }\n')[0]!.message).toContain('must be one of "approve", "deny"');
    expect(issuesOf('version: 1\ndefaults: { signals: { parse-error: allow } }\n')[0]!.field).toBe('defaults.signals.parse-error');
  });

  it('an unknown signal name is an error with a suggestion', () => {
    const found = issuesOf('version: 1\ndefaults: { signals: { parse-eror: deny } }\n');
    expect(found[0]!.message).toContain('did you mean "parse-error"');
  });

  it('across files the strictest wins: a file cannot loosen another file\'s deny', () => {
    const strict = policyFile('version: 1\ndefaults: { fail_closed: deny }\n');
    const loose = policyFile('version: 1\ndefaults: { signals: { code-piped-into-shell: approve } }\n');
    const { compiled } = buildPolicySet(readPolicyFiles([strict, loose]));
    expect(compiled.signalDecision('code-piped-into-shell')).toBe('deny');
    expect(compiled.signalDecision('parse-error')).toBe('deny');
  });

  it('a rule decision and a signal decision combine: strictest wins over all layers and signals', () => {
    expect(decide(`version: 1${RULES}`, "eval \"$X\"; bash -c 'rm -rf /'").decision.kind).toBe('deny');
    expect(decide(`version: 1${RULES}`, 'sudo kubectl delete ns x').decision.matches.map((m) => m.rule.id)).toEqual(['k8s-delete']);
  });
});

describe('environment and directory conditions see what the command line changes', () => {
  const yaml = `version: 1
rules:
  - id: pg-prod
    decision: approve
    program: psql
    env: { PGHOST: '*prod*' }
  - id: prod-dir
    decision: approve
    program: make
    cwd: '/srv/prod*'
`;
  it('assignments reach the command through wrappers and nested shells', () => {
    expect(decide(yaml, "PGHOST=db.prod timeout 5 psql -c 'select 1'").decision.kind).toBe('approve');
    expect(decide(yaml, "PGHOST=db.prod bash -c 'psql -c \"select 1\"'").decision.kind).toBe('approve');
    expect(decide(yaml, "PGHOST=localhost timeout 5 psql -c 'select 1'").decision.kind).toBe('allow');
  });

  it('a variable the line exports or reads is unknown for every command in it', () => {
    expect(decide(yaml, "export PGHOST=db.prod; psql -c 'select 1'").decision.kind).toBe('approve');
    expect(decide(yaml, "read -r PGHOST < host.txt; psql -c 'select 1'").decision.kind).toBe('approve');
    expect(decide(yaml, "psql -c 'select 1'").decision.kind).toBe('allow');
  });

  it('cd (and env -C, sudo -D) make the working directory unknown', () => {
    expect(decide(yaml, 'cd /srv/prod && make').decision.kind).toBe('approve');
    expect(decide(yaml, 'env -C /srv/prod make').decision.kind).toBe('approve');
    expect(decide(yaml, 'make').decision.kind).toBe('allow');
  });
});

describe('allow_scripts: a script run by a shell, pinned by its sha256', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gate-scripts-'));
  const script = join(dir, 'test.sh');
  writeFileSync(script, 'npm test\n');
  const sha = createHash('sha256').update('npm test\n').digest('hex');
  const hashFile = (path: string): string | undefined => (path === script ? sha : undefined);
  const ctx: DecisionContext = { ...CTX, cwd: dir, hashFile };

  it('allows the script while its content has the pinned hash', () => {
    const { decision } = decide(`version: 1\nallow_scripts: [{ path: ./test.sh, sha256: ${sha} }]${RULES}`, 'bash ./test.sh', ctx);
    expect(decision.kind).toBe('allow');
    expect(decision.signals[0]).toMatchObject({ decision: 'allow', signal: { name: 'shell-runs-script-file', path: './test.sh' } });
    expect(decision.signals[0]!.waived).toContain('sha256 matches');
  });

  it('fails closed when the content changed (wrong hash), naming the mismatch', () => {
    const { decision } = decide(`version: 1\nallow_scripts: [{ path: ./test.sh, sha256: '${'0'.repeat(64)}' }]${RULES}`, 'bash ./test.sh', ctx);
    expect(decision.kind).toBe('approve');
    expect(decision.signals[0]!.signal.message).toContain('not the one pinned');
  });

  it('covers `source` too, and nothing when no hash function is given', () => {
    const yaml = `version: 1\nallow_scripts: [{ path: ${script}, sha256: ${sha} }]${RULES}`;
    expect(decide(yaml, `source ${script}`, ctx).decision.kind).toBe('allow');
    expect(decide(yaml, `source ${script}`, { ...ctx, hashFile: undefined }).decision.kind).toBe('approve');
  });

  it('rejects a malformed hash', () => {
    expect(issuesOf('version: 1\nallow_scripts: [{ path: x.sh, sha256: abc }]\n')[0]!.field).toBe('allow_scripts[0].sha256');
  });
});

describe('policy wrappers, examples and tests see every layer', () => {
  it('a wrappers: entry unwraps a site wrapper', async () => {
    const policy = compileYaml(`version: 1\nwrappers: [{ name: with-vault, value_options: [-r, --role] }]${RULES}`);
    const { decision } = await decideText(policy, 'with-vault --role admin kubectl delete ns x', CTX);
    expect(decision.matches.map((m) => m.rule.id)).toEqual(['k8s-delete']);
  });

  it('rejects wrapper entries with unknown keys', () => {
    expect(issuesOf('version: 1\nwrappers: [{ name: x, value_option: [-r] }]\n')[0]!.message).toContain('did you mean "value_options"');
  });

  it('rule examples are matched on unwrapped layers', () => {
    expect(() => compileYaml(`version: 1
rules:
  - id: rm-r
    decision: approve
    program: rm
    flags: [-r]
    match: ["sudo rm -r x", "bash -c 'rm -r x'", "find . -exec rm -r {} +"]
    not_match: ["echo rm -r x"]
`)).not.toThrow();
  });

  it('an allow rule does not match a name the text defines as a function', () => {
    const yaml = `version: 1\ndefaults: { unmatched: approve }${RULES}`;
    expect(decide(yaml, 'ls -la').decision.kind).toBe('allow');
    expect(decide(yaml, 'ls() { curl x; }; ls').decision.kind).toBe('approve');
  });
});

describe('argv form and explanations', () => {
  const policy = compileYaml(`version: 1${RULES}`);

  it('decideArgv unwraps without needing the parser, and loads it for shell strings', async () => {
    expect((await decideArgv(policy, ['true'], CTX)).decision.kind).toBe('allow');
    expect((await decideArgv(policy, ['sudo', 'rm', '-rf', '/'], CTX)).decision.kind).toBe('deny');
    expect((await decideArgv(policy, ['bash', '-c', 'rm -rf /'], CTX)).decision.kind).toBe('deny');
    const { analysis } = await decideArgv(policy, ['bash', '-c', 'ls; eval "$X"'], CTX);
    const s = analysis.signals[0]!;
    expect(analysis.source.slice(s.start, s.end)).toBe('"$X"');
  });

  it('explains every part with its layers, rules and position, and every signal with line and column', () => {
    const text = 'ls\nsudo rm -rf build && eval "$X"';
    const analysis = analyzeTextSync(text);
    const decision = decideAnalysis(policy, analysis, CTX);
    const explanation = explainAnalysis(policy, analysis, decision, CTX);
    const rm = explanation.parts.find((p) => p.via.join() === 'sudo')!;
    expect(rm).toMatchObject({ argv: ['rm', '-rf', 'build'], text: 'rm -rf build', rules: [{ id: 'rm-recursive', decision: 'approve', certain: true }] });
    expect(explanation.signals[0]).toMatchObject({ name: 'eval-dynamic', text: '"$X"', line: 2, column: 27, decision: 'approve' });
    const lines = formatExplanation(explanation);
    expect(lines[0]).toBe('decision: approve');
    expect(lines.some((l) => l.includes('rule rm-recursive'))).toBe(true);
    expect(lines.some((l) => l.startsWith('signal eval-dynamic (approve) at line 2 col 27'))).toBe(true);
  });
});
