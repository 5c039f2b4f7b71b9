import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../../../src/approval/protocol.js';
import { CARD_BUDGET_BYTES, outcomeCard, reminderCard, requestCard } from '../../../../src/server/notify/teams/card.js';
import { checkMessage, MAX_BODY_BYTES } from '../../../helpers/fake-teams-workflow.js';

/** A valid pending request; tests change one field at a time. */
function request(over: Omit<Partial<ApprovalRequest>, 'context'> & { context?: Partial<ApprovalRequest['context']> } = {}): ApprovalRequest {
  const { context, ...rest } = over;
  return {
    id: 'req_abcdefghijklmnopqrst',
    status: 'pending',
    created_at: '2030-01-01T00:00:00.000Z',
    expires_at: '2030-01-01T00:15:00.000Z',
    requester: { name: 'claude', kind: 'agent', groups: [] },
    command: { argv: ['kubectl', 'delete', 'ns', 'payments'], cwd: '/srv/app', host: 'web-01', program_path: '/usr/bin/kubectl' },
    command_digest: 'sha256:3f9a0000000000000000000000000000000000000000000000000000000000ff',
    context: { os_user: 'deploy', custom: {}, env: {}, gate_version: '0.1.0', on_behalf_of: 'alice', reason: 'INC-4211 cleanup', ...context },
    requirement: { from: [{ group: 'sre', count: 1 }], expires_seconds: 900, reason_required: false, on_behalf_may_approve: false },
    rules: [{ id: 'k8s-delete', decision: 'approve', message: 'Deleting in Kubernetes needs an SRE.', source: 'server' }],
    approvals: [],
    questions: [],
    progress: '0 of 1 approval from sre',
    url: 'https://gate.example/requests/req_abcdefghijklmnopqrst',
    ...rest,
  };
}

type Card = { body: { type: string; text?: string; inlines?: { text: string; fontType?: string; weight?: string }[] }[]; actions?: { type: string; title: string; url: string }[] };
const cardOf = (message: unknown): Card => (message as { attachments: { content: Card }[] }).attachments[0]!.content;
/** Each body element as the text a reader sees. */
const lines = (card: Card): string[] => card.body.map((b) => b.text ?? (b.inlines ?? []).map((i) => i.text).join(''));
const valid = (message: unknown): void => {
  const raw = Buffer.from(JSON.stringify(message));
  expect(typeof checkMessage(raw) === 'string' ? checkMessage(raw) : 'ok').toBe('ok');
  expect(raw.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
};

describe('the Teams request card', () => {
  it('is an Adaptive Card 1.4 in the Workflows envelope, with the full context and two links to the page', () => {
    const { message, shown, total } = requestCard(request({ context: { environment: 'prod' } }));
    valid(message);
    expect(message.type).toBe('message');
    expect(message.attachments[0]).toMatchObject({ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: { type: 'AdaptiveCard', version: '1.4' } });
    expect(shown).toBe(total);
    const card = cardOf(message);
    expect(card.body[1]!.inlines![0]).toEqual({ type: 'TextRun', text: 'kubectl delete ns payments', fontType: 'Monospace' });
    expect(lines(card)).toEqual([
      'Privileged command needs approval',
      'kubectl delete ns payments',
      'Agent: claude (agent)',
      'On behalf of: alice',
      'Host: web-01 as deploy',
      'Working directory: /srv/app',
      'Reason: INC-4211 cleanup',
      'Environment: prod',
      'Rule: k8s-delete (Deleting in Kubernetes needs an SRE.)',
      'Approvals: 0 of 1 approval from sre',
      'Expires: 2030-01-01 00:15 UTC',
      'Request: req_abcdefghijklmnopqrst',
    ]);
    expect(card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Review & approve', url: 'https://gate.example/requests/req_abcdefghijklmnopqrst?via=teams' },
      { type: 'Action.OpenUrl', title: 'Deny…', url: 'https://gate.example/requests/req_abcdefghijklmnopqrst?via=teams#reason' },
    ]);
  });

  it('puts untrusted text only in TextRuns (no markdown) and makes control characters visible', () => {
    const r = request({ command: { argv: ['sh', '-c', 'echo hi'], shell_text: 'rm -rf /tmp/x\u202e\u001b[2J', cwd: '/srv', host: 'web-01', program_path: '/bin/sh' }, context: { reason: '[approve](https://evil.example) **now**' } });
    const card = cardOf(requestCard(r).message);
    for (const b of card.body) if (b.type === 'TextBlock') expect(b.text).not.toMatch(/evil|rm -rf/);
    const text = lines(card).join('\n');
    expect(text).toContain('Reason: [approve](https://evil.example) **now**');
    expect(text).toContain('rm -rf /tmp/x\\u202e\\x1b[2J');
    expect(text).not.toMatch(/[\u202e\u001b]/);
  });

  it('cuts a command too long for 28 KB, says so, and stays under the limit (ASCII and multi-byte)', () => {
    for (const unit of ['a', '€', '😀']) {
      const shell = unit.repeat(60_000);
      const { message, shown, total } = requestCard(request({ command: { argv: ['sh', '-c', shell], shell_text: shell, cwd: '/', host: 'h', program_path: '/bin/sh' } }));
      valid(message);
      expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(CARD_BUDGET_BYTES);
      expect(total).toBe([...shell].length);
      expect(shown).toBeGreaterThan(1000);
      expect(shown).toBeLessThan(total);
      expect(lines(cardOf(message))).toContain(`Command truncated: ${shown} of ${total} characters shown. Open the request for the full command.`);
    }
  });

  it('fits even when every other field is at its longest', () => {
    const long = 'ü'.repeat(5000);
    const rules = Array.from({ length: 40 }, (_, i) => ({ id: `rule-${i}-${long.slice(0, 80)}`, decision: 'approve' as const, message: long, source: 'server' as const }));
    const { message } = requestCard(request({ rules, progress: long, requester: { name: long, kind: 'human', groups: [] }, command: { argv: [long], cwd: long, host: long, program_path: '/x' }, context: { reason: long, on_behalf_of: long, environment: long, os_user: long } }));
    valid(message);
  });

  it('has no buttons when the request URL is not http(s)', () => {
    expect(cardOf(requestCard(request({ url: 'javascript:alert(1)' })).message).actions).toBeUndefined();
  });
});

describe('the Teams outcome card', () => {
  const approvals = [{ approver: 'alice', kind: 'human' as const, groups: ['sre'], channel: 'web', at: '2030-01-01T00:03:00.000Z' }];
  const cases: [string, Partial<ApprovalRequest>, string][] = [
    ['approved', { status: 'approved', approvals, decided_at: '2030-01-01T00:03:00.000Z' }, 'Approved by alice at 2030-01-01 00:03 UTC. Waiting for the requester to run it.'],
    ['executed', { status: 'executed', approvals, decided_at: '2030-01-01T00:03:00.000Z', outcome: { exit_code: 3, duration_ms: 10 } }, 'Approved by alice at 2030-01-01 00:03 UTC. It exited with code 3.'],
    ['denied', { status: 'denied', decided_at: '2030-01-01T00:04:00.000Z', denial: { by: 'bob', reason: 'not during the freeze', at: '2030-01-01T00:04:00.000Z', by_policy: false } }, 'Denied by bob at 2030-01-01 00:04 UTC: not during the freeze'],
    ['expired', { status: 'expired', decided_at: '2030-01-01T00:15:00.000Z' }, 'Expired at 2030-01-01 00:15 UTC without a decision (0 of 1 approval from sre).'],
    ['cancelled', { status: 'cancelled', decided_at: '2030-01-01T00:01:00.000Z' }, 'Cancelled by the requester at 2030-01-01 00:01 UTC.'],
  ];
  for (const [name, over, sentence] of cases) {
    it(`says ${name}: who, when, why`, () => {
      const message = outcomeCard(request(over));
      valid(message);
      const card = cardOf(message);
      expect(lines(card)).toContain(sentence);
      expect(lines(card)).toContain('Request: req_abcdefghijklmnopqrst');
      expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open in gate', url: 'https://gate.example/requests/req_abcdefghijklmnopqrst?via=teams' }]);
    });
  }
});

describe('the Teams reminder card', () => {
  it('says how long is left and how far it got, mentions nobody, and links to the page', () => {
    const message = reminderCard(request({ progress: '1 of 2 approvals from sre' }), Date.parse('2030-01-01T00:11:30.000Z'));
    valid(message);
    const card = cardOf(message);
    expect(lines(card)).toEqual([
      'Reminder: a privileged command still needs approval',
      'kubectl delete ns payments',
      'Expires: 2030-01-01 00:15 UTC (3m 30s left)',
      'Approvals: 1 of 2 approvals from sre',
      'Request: req_abcdefghijklmnopqrst',
    ]);
    expect(card.actions?.map((a) => a.title)).toEqual(['Review & approve', 'Deny…']);
    expect(JSON.stringify(card)).not.toMatch(/<at>|mention/i);
  });
});
