import { describe, expect, it } from 'vitest';
import { PolicyError, type PolicyIssue } from '../../src/errors.js';
import { readPolicyFiles } from '../../src/policy/load-files.js';
import { buildPolicySet } from '../../src/policy/validate.js';
import { compileYaml, decideArgv, policyFile } from '../helpers/policy.js';

function issuesOf(paths: string[]): PolicyIssue[] {
  try {
    buildPolicySet(readPolicyFiles(paths));
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return [...(error as PolicyError).issues];
  }
  throw new Error('expected the policy to be invalid');
}

const issues = (yaml: string): PolicyIssue[] => issuesOf([policyFile(yaml)]);

describe('schema errors are located and never dropped', () => {
  it('an unknown key names file, line, column and field, with a suggestion', () => {
    const found = issues(`version: 1
rules:
  - id: a
    decision: deny
    progam: rm
`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 5, column: 5, field: 'rules[0].progam' });
    expect(found[0]!.message).toContain('did you mean "program"');
  });

  it('reports every problem at once', () => {
    const found = issues(`version: 1
defaults:
  unmatched: maybe
rules:
  - id: ok
    decision: allow
  - id: bad id
    decision: approve
    flags: [force]
  - decision: deny
`);
    const fields = found.map((i) => `${i.line}:${i.field}`).sort();
    expect(fields).toEqual(['10:rules[2]', '3:defaults.unmatched', '7:rules[1].id', '9:rules[1].flags[0]'].sort());
    expect(found.find((i) => i.field === 'rules[2]')!.message).toContain('"id"');
    expect(found.find((i) => i.field === 'defaults.unmatched')!.message).toContain('"allow", "approve", "deny"');
  });

  it('a wrong type inside a union names the field', () => {
    const found = issues(`version: 1
rules:
  - id: a
    decision: deny
    program: [rm, 42]
`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 5, column: 19, field: 'rules[0].program[1]' });
    expect(found[0]!.message).toContain('got 42');
  });

  it('unknown keys inside nested objects', () => {
    const found = issues(`version: 1
rules:
  - id: a
    decision: approve
    approval:
      groups: [dba]
    options: { name: --context, vaule: prod }
`);
    expect(found.map((i) => [i.line, i.field])).toEqual(
      expect.arrayContaining([
        [6, 'rules[0].approval.groups'],
        [7, 'rules[0].options.vaule'],
      ]),
    );
  });

  it('version is required and must be 1', () => {
    expect(issues('rules: []\n')[0]!.message).toContain('"version"');
    expect(issues('version: 2\n')[0]).toMatchObject({ field: 'version', line: 1 });
  });
});

describe('YAML problems', () => {
  it('syntax errors carry the line', () => {
    const found = issues('version: 1\nrules:\n  - id: a\n    decision: [deny\n');
    expect(found[0]!.message).toMatch(/^YAML:/);
    expect(found[0]!.line).toBeGreaterThanOrEqual(4);
  });
  it('duplicate keys are errors, not last-wins', () => {
    const found = issues('version: 1\nrules:\n  - id: a\n    decision: deny\n    decision: allow\n');
    expect(found[0]!.message).toMatch(/unique|duplicate/i);
    expect(found[0]!.line).toBe(5);
  });
  it('merge keys are not honoured silently', () => {
    const found = issues('version: 1\nbase: &b { decision: deny }\nrules:\n  - <<: *b\n    id: a\n');
    expect(found.length).toBeGreaterThan(0);
  });
  it('an empty file is an error', () => {
    expect(issues('')[0]!.message).toContain('empty');
  });
  it('__proto__ cannot smuggle or drop fields', () => {
    const found = issues(`version: 1
rules:
  - id: a
    decision: deny
    __proto__: { program: rm }
`);
    expect(found[0]).toMatchObject({ line: 5, field: 'rules[0].__proto__' });
  });
});

describe('semantic checks', () => {
  it('bad regex and bad glob are located', () => {
    const found = issues(`version: 1
rules:
  - id: a
    decision: deny
    args: [ok, { regex: "(" }]
  - id: b
    decision: deny
    cwd: "/srv/[abc"
`);
    expect(found.map((i) => [i.line, i.field])).toEqual([
      [5, 'rules[0].args[1]'],
      [8, 'rules[1].cwd'],
    ]);
  });
  it('durations must be positive', () => {
    const found = issues('version: 1\nrules:\n  - { id: a, decision: approve, approval: { expires: 0m } }\n');
    expect(found[0]).toMatchObject({ field: 'rules[0].approval.expires' });
  });
  it('approval on a non-approve rule is a mistake', () => {
    const found = issues('version: 1\nrules:\n  - { id: a, decision: allow, approval: { expires: 5m } }\n');
    expect(found[0]).toMatchObject({ field: 'rules[0].approval' });
  });
  it('duplicate ids across files name both places', () => {
    const a = policyFile('version: 1\nrules:\n  - { id: same, decision: deny, program: x }\n', 'dup-a.yaml');
    const b = policyFile('version: 1\nrules:\n  - { id: other, decision: deny, program: y }\n  - { id: same, decision: deny, program: z }\n', 'dup-b.yaml');
    const found = issuesOf([a, b]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 4, field: 'rules[1].id' });
    expect(found[0]!.message).toContain('dup-a.yaml:3');
  });
  it('a missing include is located at the include entry', () => {
    const found = issues('version: 1\ninclude:\n  - nope.yaml\n');
    expect(found[0]).toMatchObject({ line: 3, field: 'include[0]' });
  });
});

describe('examples inside rules', () => {
  it('a match example the rule does not match fails the load, at the example', () => {
    const found = issues(`version: 1
rules:
  - id: force
    decision: approve
    program: git
    flags: [--force]
    match:
      - git push --force
      - git push -f
    not_match: [git push]
`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 9, field: 'rules[0].match[1]' });
  });
  it('a not_match example the rule matches fails the load', () => {
    const found = issues(`version: 1
rules:
  - id: rm
    decision: approve
    program: rm
    not_match: ["/bin/rm x"]
`);
    expect(found[0]).toMatchObject({ line: 6, field: 'rules[0].not_match[0]' });
  });
  it('examples with env, cwd, requester and exact argv', () => {
    const p = compileYaml(`version: 1
rules:
  - id: pg
    decision: approve
    program: psql
    env: { PGHOST: "*prod*" }
    requester: agent
    match:
      - { command: psql, env: { PGHOST: prod-1 }, requester: agent }
      - { command: [psql, "-c", "select 1"], env: { PGHOST: prod-1 }, requester: agent }
    not_match:
      - { command: psql, env: { PGHOST: prod-1 } }
      - { command: psql, requester: agent }
`);
    expect(p.rules).toHaveLength(1);
  });
  it('a sample that is not valid shell is reported', () => {
    const found = issues('version: 1\nrules:\n  - { id: a, decision: deny, program: x, match: ["x \'unterminated"] }\n');
    expect(found[0]!.message).toContain('does not parse');
  });
});

describe('merging files', () => {
  it('the strictest unmatched default wins, whatever the order', () => {
    const loose = policyFile('version: 1\ndefaults: { unmatched: allow }\n');
    const strict = policyFile('version: 1\ndefaults: { unmatched: approve }\n');
    for (const order of [[loose, strict], [strict, loose]]) {
      const { compiled } = buildPolicySet(readPolicyFiles(order));
      expect(decideArgv(compiled, ['anything']).kind).toBe('approve');
    }
  });
  it('includes are followed once, cycles are harmless', () => {
    const a = policyFile('version: 1\ninclude: [cyc-b.yaml]\nrules: [{ id: a, decision: deny, program: a }]\n', 'cyc-a.yaml');
    policyFile('version: 1\ninclude: [cyc-a.yaml]\nrules: [{ id: b, decision: deny, program: b }]\n', 'cyc-b.yaml');
    const { compiled } = buildPolicySet(readPolicyFiles([a]));
    expect(compiled.rules.map((r) => r.id)).toEqual(['a', 'b']);
  });
  it('program option tables merge; a conflict makes the option ambiguous', () => {
    const p = compileYaml(`version: 1
programs:
  deploy: { value_options: [-e], flag_options: [-e] }
rules:
  - { id: prod, decision: approve, program: deploy, subcommand: [prod] }
`);
    // -e may or may not take "prod": the rule possibly matches.
    const d = decideArgv(p, ['deploy', '-e', 'prod']);
    expect(d.kind).toBe('approve');
    expect(d.matches[0]!.certain).toBe(false);
  });
});
