import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledPolicy } from '../../src/policy/index.js';
import { evaluateRequest, policyEnvNames } from '../../src/server/evaluate.js';
import { clientDecision, compilePolicyFile, createBody, tempDir, type TempDir } from './helpers.js';

let dir: TempDir;
let policy: CompiledPolicy;
beforeAll(async () => {
  dir = tempDir();
  policy = (await compilePolicyFile(dir.path)).policy;
});
afterAll(() => dir.cleanup());

const evaluate = (argv: string[], client = clientDecision('approve'), env: Record<string, string> = {}, requester: 'human' | 'agent' | 'ci' = 'agent') =>
  evaluateRequest(policy, { command: createBody(argv).command, env, requester, client });

describe('evaluateRequest: the stricter of server and client', () => {
  it('a client claiming allow still gets the server requirement', () => {
    const result = evaluate(['kubectl', 'delete', 'ns', 'x'], clientDecision('allow'));
    expect(result.kind).toBe('approve');
    if (result.kind !== 'approve') return;
    expect(result.requirement).toEqual({ from: [{ group: 'sre', count: 1 }], expires_seconds: 600, reason_required: false, on_behalf_may_approve: false });
    expect(result.rules.map((r) => `${r.source}:${r.id}`)).toEqual(['server:k8s-delete']);
  });

  it('a server deny wins over a client approve', () => {
    const result = evaluate(['rm', '-rf', '/'], clientDecision('approve'));
    expect(result.kind).toBe('deny');
    if (result.kind === 'deny') expect(result.reason).toContain('rm-root: Never delete the root.');
  });

  it('a client deny wins over a server allow', () => {
    expect(evaluate(['ls'], clientDecision('deny')).kind).toBe('deny');
  });

  it('both allow: allow (nothing to approve)', () => {
    expect(evaluate(['ls'], clientDecision('allow')).kind).toBe('allow');
  });

  it('both approve: requirements merge, the shorter expiry holds', () => {
    const client = clientDecision('approve', {
      requirement: { from: [{ group: 'security', count: 1 }, { group: 'sre', count: 2 }], expires_seconds: 120, reason_required: true, on_behalf_may_approve: true },
    });
    const result = evaluate(['kubectl', 'delete', 'ns', 'x'], client);
    expect(result.kind === 'approve' && result.requirement).toEqual({
      from: [{ group: 'sre', count: 2 }, { group: 'security', count: 1 }],
      expires_seconds: 120,
      reason_required: true,
      on_behalf_may_approve: false,
    });
  });

  it('a client requirement cannot lower the server bar', () => {
    const client = clientDecision('approve', { requirement: { from: [], expires_seconds: 7 * 86400, reason_required: false, on_behalf_may_approve: true } });
    const result = evaluate(['kubectl', 'delete', 'ns', 'x'], client);
    expect(result.kind === 'approve' && result.requirement).toMatchObject({ from: [{ group: 'sre', count: 1 }], expires_seconds: 600, on_behalf_may_approve: false });
  });

  it('env conditions use the submitted env values', () => {
    expect(evaluate(['psql'], clientDecision('allow'), { PGHOST: 'db.prod' }).kind).toBe('approve');
    expect(evaluate(['psql'], clientDecision('allow'), { PGHOST: 'db.dev' }).kind).toBe('allow');
  });

  it('judges the commands inside shell text', () => {
    const command = { ...createBody(['sh']).command, argv: ['/bin/sh', '-c', 'ls && rm -rf /'], shell_text: 'ls && rm -rf /' };
    expect(evaluateRequest(policy, { command, env: {}, requester: 'agent', client: clientDecision('approve') }).kind).toBe('deny');
  });

  it('lists the env names the policy reads', () => {
    expect(policyEnvNames(policy)).toEqual(['PGHOST']);
  });
});
