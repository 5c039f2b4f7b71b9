import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/errors.js';
import { evaluateRequest } from '../../src/server/evaluate.js';
import { compileYaml, decideArgv } from '../helpers/policy.js';

// approval.notify: where the approval service announces a request (docs/policy.md).

const POLICY = `version: 1
defaults:
  approval: { notify: { slack: [C0DEFAULTS], teams: [ops] } }
rules:
  - id: k8s
    decision: approve
    program: kubectl
    approval: { from: [{ group: sre }], notify: { slack: [C0K8S, "#platform"] } }
  - id: pg
    decision: approve
    program: psql
    approval: { notify: { slack: [C0DBA], webhook: [pager] } }
  - id: plain
    decision: approve
    program: deploy
`;

describe('approval.notify', () => {
  it('each kind a rule names replaces the default of that kind; other kinds are inherited', () => {
    const policy = compileYaml(POLICY);
    const k8s = decideArgv(policy, ['kubectl', 'delete', 'x']);
    expect(k8s.kind === 'approve' && k8s.approval.notify).toEqual({ slack: ['C0K8S', '#platform'], teams: ['ops'], webhook: [] });
    const plain = decideArgv(policy, ['deploy']);
    expect(plain.kind === 'approve' && plain.approval.notify).toEqual({ slack: ['C0DEFAULTS'], teams: ['ops'], webhook: [] });
  });

  it('several approve rules notify every destination any of them names', () => {
    const policy = compileYaml(POLICY);
    const both = evaluateRequest(policy, {
      command: { argv: ['sh', '-c', 'kubectl delete x && psql -c drop'], cwd: '/', host: 'h', program_path: '/bin/sh', shell_text: 'kubectl delete x && psql -c drop' },
      env: {},
      requester: 'agent',
      client: { decision: 'allow', rules: [], requirement: { from: [], expires_seconds: 60, reason_required: false, on_behalf_may_approve: false }, policy_digest: 'x' },
    });
    expect(both.kind === 'approve' && both.requirement.notify).toEqual({ slack: ['C0K8S', '#platform', 'C0DBA'], teams: ['ops'], webhook: ['pager'] });
  });

  it("travels to the server from the server's policy only; a client's notify is never taken", () => {
    const policy = compileYaml('version: 1\nrules:\n  - { id: r, decision: approve, program: x }\n');
    const evaluation = evaluateRequest(policy, {
      command: { argv: ['y'], cwd: '/', host: 'h', program_path: '/y' },
      env: {},
      requester: 'agent',
      client: { decision: 'approve', rules: ['c'], requirement: { from: [], expires_seconds: 60, reason_required: false, on_behalf_may_approve: false, notify: { slack: ['C0EVIL'] } }, policy_digest: 'x' },
    });
    expect(evaluation.kind).toBe('approve');
    expect(evaluation.kind === 'approve' && evaluation.requirement.notify).toBeUndefined();
  });

  it('is validated: known kinds, non-empty unique lists of plausible names', () => {
    const bad = `version: 1
rules:
  - id: r
    decision: approve
    program: x
    approval: { notify: { slack: ["has space"], email: [x], teams: [] } }
`;
    let error: unknown;
    try {
      compileYaml(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    const fields = (error as PolicyError).issues.map((i) => i.field).sort();
    expect(fields).toEqual(['rules[0].approval.notify.email', 'rules[0].approval.notify.slack[0]', 'rules[0].approval.notify.teams']);
  });
});
