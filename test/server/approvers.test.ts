import { describe, expect, it } from 'vitest';
import type { ApprovalRecord, ApprovalRequirementWire } from '../../src/approval/protocol.js';
import { approvalProgress, checkMayDecide, quorum } from '../../src/server/approvers.js';
import { ApiError } from '../../src/server/errors.js';
import type { PrincipalRecord, RequestRecord } from '../../src/server/types.js';

const req = (from: ApprovalRequirementWire['from']): ApprovalRequirementWire => ({ from, expires_seconds: 60, reason_required: false, on_behalf_may_approve: false });
const vote = (approver: string, groups: string[]): ApprovalRecord => ({ approver, kind: 'human', groups, channel: 'api', at: '2030-01-01T00:00:00.000Z' });

describe('quorum', () => {
  it('empty from: one approval is enough', () => {
    expect(quorum(req([]), []).met).toBe(false);
    expect(quorum(req([]), [vote('a', [])]).met).toBe(true);
  });

  it('needs count distinct approvers per group', () => {
    const r = req([{ group: 'dba', count: 2 }]);
    expect(quorum(r, [vote('a', ['dba'])])).toEqual({ met: false, filled: [1] });
    expect(quorum(r, [vote('a', ['dba']), vote('b', ['dba'])])).toEqual({ met: true, filled: [2] });
  });

  it('one person fills one slot only, even when in several required groups', () => {
    const r = req([{ group: 'dba', count: 1 }, { group: 'security', count: 1 }]);
    expect(quorum(r, [vote('carol', ['dba', 'security'])]).met).toBe(false);
    expect(quorum(r, [vote('carol', ['dba', 'security']), vote('dave', ['dba'])]).met).toBe(true);
  });

  it('finds the assignment a greedy pass would miss (overlapping members)', () => {
    // carol first takes a dba slot greedily; only re-assigning her to security lets dave count.
    const r = req([{ group: 'dba', count: 1 }, { group: 'security', count: 1 }]);
    const approvals = [vote('carol', ['dba', 'security']), vote('dave', ['dba'])];
    expect(quorum(r, approvals)).toEqual({ met: true, filled: [1, 1] });
    // Two people who are both only dba cannot satisfy security.
    expect(quorum(r, [vote('dave', ['dba']), vote('alice', ['dba'])]).met).toBe(false);
  });

  it('an approver outside every group adds nothing', () => {
    expect(quorum(req([{ group: 'sre', count: 1 }]), [vote('x', ['dev'])]).met).toBe(false);
  });
});

describe('approvalProgress', () => {
  it('reads as the protocol example', () => {
    const r = req([{ group: 'dba', count: 2 }, { group: 'security', count: 1 }]);
    expect(approvalProgress(r, [vote('a', ['dba'])])).toBe('1 of 2 approvals from dba; 0 of 1 from security');
    expect(approvalProgress(req([]), [])).toBe('waiting for 1 approval');
  });
});

describe('checkMayDecide', () => {
  const principal = (name: string, kind: PrincipalRecord['kind'], groups: string[] = []): PrincipalRecord => ({ id: `prn_${name}`, name, kind, groups, created_at: '' });
  const record = (overrides: Partial<RequestRecord> = {}): RequestRecord =>
    ({
      id: 'req_x',
      requester_id: 'prn_bot',
      requester: { name: 'bot', kind: 'agent', groups: [] },
      context: { os_user: 'u', custom: {}, env: {}, gate_version: '0', on_behalf_of: 'Alice' },
      requirement: req([{ group: 'sre', count: 1 }]),
      approvals: [],
      questions: [],
      ...overrides,
    }) as RequestRecord;
  const code = (fn: () => void): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return (error as ApiError).code;
    }
  };

  it.each([
    ['an agent', principal('bot2', 'agent', ['sre']), 'agent_cannot_approve'],
    ['a ci principal', principal('ci', 'ci', ['sre']), 'agent_cannot_approve'],
    ['the requester by name, any case', principal('BOT', 'human', ['sre']), 'self_approval'],
    ['the on-behalf-of human', principal('alice', 'human', ['sre']), 'self_approval'],
    ['a human outside the groups', principal('dev', 'human', ['dev']), 'not_an_approver'],
    ['an eligible human', principal('bob', 'human', ['sre']), undefined],
  ])('%s -> %s', (_, who, expected) => {
    expect(code(() => checkMayDecide(who, record()))).toBe(expected);
  });

  it('lets the on-behalf-of human decide when the rule allows it', () => {
    const r = record({ requirement: { ...req([{ group: 'sre', count: 1 }]), on_behalf_may_approve: true } });
    expect(code(() => checkMayDecide(principal('alice', 'human', ['sre']), r))).toBeUndefined();
  });
});
