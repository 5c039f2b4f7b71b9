import { describe, expect, it } from 'vitest';
import { requirementWire } from '../../src/approval/request.js';
import { PolicyError } from '../../src/errors.js';
import { describeApproval } from '../../src/policy/explain.js';
import { parseCreateBody } from '../../src/server/bodies.js';
import { evaluateRequest } from '../../src/server/evaluate.js';
import { compileYaml, decideArgv } from '../helpers/policy.js';
import { clientDecision, createBody } from '../server/helpers.js';

// approval.reauth from the policy file to the requirement the server enforces on the web page.

const YAML = `version: 1
rules:
  - id: deploy-prod
    decision: approve
    program: deploy
    args: [prod]
    approval: { from: [{ group: sre }], reauth: 10m }
  - id: deploy-any
    decision: approve
    program: deploy
    approval: { reauth: 1h }
  - id: k8s
    decision: approve
    program: kubectl
`;

describe('approval.reauth', () => {
  const policy = compileYaml(YAML);

  it('becomes reauthSeconds; several rules keep the shortest window; rules without it have none', () => {
    const both = decideArgv(policy, ['deploy', 'prod']);
    expect(both.kind === 'approve' && both.approval.reauthSeconds).toBe(600);
    const one = decideArgv(policy, ['deploy', 'staging']);
    expect(one.kind === 'approve' && one.approval.reauthSeconds).toBe(3600);
    const none = decideArgv(policy, ['kubectl', 'get', 'pods']);
    expect(none.kind === 'approve' && 'reauthSeconds' in none.approval).toBe(false);
    if (both.kind === 'approve') expect(describeApproval(both)).toContain('approvers on the web must have signed in within 10m');
  });

  it('is checked as a duration', () => {
    let error: unknown;
    try {
      compileYaml(YAML.replace('reauth: 10m', 'reauth: soon'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).issues.some((i) => i.field?.includes('reauth'))).toBe(true);
  });

  it("travels to the server, which keeps the stricter of its own and the client's window", () => {
    const serverPolicy = compileYaml(YAML);
    const command = createBody(['deploy', 'prod']).command;
    const evaluate = (client = clientDecision('approve')) => evaluateRequest(serverPolicy, { command, env: {}, requester: 'agent', client });
    const own = evaluate();
    expect(own.kind === 'approve' && own.requirement.reauth_seconds).toBe(600);
    const stricter = evaluate(clientDecision('approve', { requirement: { from: [], expires_seconds: 900, reason_required: false, on_behalf_may_approve: false, reauth_seconds: 60 } }));
    expect(stricter.kind === 'approve' && stricter.requirement.reauth_seconds).toBe(60);
    const looser = evaluate(clientDecision('approve', { requirement: { from: [], expires_seconds: 900, reason_required: false, on_behalf_may_approve: false, reauth_seconds: 86_400 } }));
    expect(looser.kind === 'approve' && looser.requirement.reauth_seconds).toBe(600);
  });

  it("the client sends its window, and the server's body check accepts it (and only a positive one)", () => {
    const decision = decideArgv(policy, ['deploy', 'prod']);
    if (decision.kind !== 'approve') throw new Error('expected approve');
    const requirement = requirementWire(decision.approval);
    expect(requirement.reauth_seconds).toBe(600);
    const body = createBody(['deploy', 'prod'], { client: clientDecision('approve', { requirement }) });
    expect(parseCreateBody(JSON.parse(JSON.stringify(body))).client_decision.requirement.reauth_seconds).toBe(600);
    const zero = createBody(['deploy', 'prod'], { client: clientDecision('approve', { requirement: { ...requirement, reauth_seconds: 0 } }) });
    expect(() => parseCreateBody(JSON.parse(JSON.stringify(zero)))).toThrow(/reauth_seconds/);
  });
});
