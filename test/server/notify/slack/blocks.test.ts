import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../../../src/approval/protocol.js';
import { ACTION, outcomeReply, requestMessage } from '../../../../src/server/notify/slack/blocks.js';
import { modal, parseModalContext } from '../../../../src/server/notify/slack/modals.js';
import { clip, codeBlock } from '../../../../src/server/notify/slack/text.js';
import { checkBlocks, checkView } from '../../../helpers/fake-slack.js';

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

type AnyBlock = { type: string; block_id: string; text?: { text: string }; fields?: { text: string }[]; elements?: Record<string, unknown>[] };
const blocksOf = (r: ApprovalRequest, seq = 1): AnyBlock[] => requestMessage(r, seq).blocks as unknown as AnyBlock[];
const allText = (r: ApprovalRequest): string => JSON.stringify(requestMessage(r, 1));

function mrkdwnTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwnTexts);
  if (typeof value !== 'object' || value === null) return [];
  const o = value as Record<string, unknown>;
  if (o.type === 'mrkdwn' && typeof o.text === 'string') return [o.text];
  return Object.values(o).flatMap(mrkdwnTexts);
}

describe('the Slack approval message', () => {
  it('shows the command in a code block, the full context and the three buttons, within Slack limits', () => {
    const r = request({ context: { environment: 'prod', ci: { provider: 'github-actions', repository: 'acme/app', run_url: 'https://ci.example/run/1' } } });
    const message = requestMessage(r, 3);
    expect(checkBlocks(message.blocks, 50)).toEqual([]);
    const blocks = message.blocks as unknown as AnyBlock[];
    expect(blocks[0]).toMatchObject({ type: 'header' });
    expect(blocks[1]!.text!.text).toBe('```kubectl delete ns payments```');
    const fields = blocks.find((b) => b.fields !== undefined)!.fields!.map((f) => f.text);
    expect(fields.length).toBeLessThanOrEqual(10);
    expect(fields).toEqual(
      expect.arrayContaining([
        '*Agent*\nclaude (agent)',
        '*On behalf of*\nalice',
        '*Host*\nweb-01 as deploy',
        '*Working directory*\n/srv/app',
        '*Reason*\nINC-4211 cleanup',
        '*Rule*\n`k8s-delete` Deleting in Kubernetes needs an SRE.',
        '*Approvals*\n0 of 1 approval from sre',
        '*Environment*\nprod',
      ]),
    );
    expect(fields.find((f) => f.startsWith('*Expires*'))).toMatch(/^\*Expires\*\n<!date\^1893456900\^.*\|2030-01-01 00:15 UTC>$/);
    const actions = blocks.find((b) => b.type === 'actions')!.elements!;
    expect(actions.map((a) => a.action_id)).toEqual([ACTION.approve, ACTION.deny, ACTION.ask, ACTION.open]);
    // Buttons carry the request id only; the approve button asks for confirmation.
    expect(actions.slice(0, 3).map((a) => a.value)).toEqual([r.id, r.id, r.id]);
    expect(actions[0]).toMatchObject({ style: 'primary', confirm: { title: { text: 'Approve this command?' } } });
    expect(actions[3]).toMatchObject({ url: r.url });
    expect(message.text).toContain('Approval needed: claude (agent) wants to run `kubectl delete ns payments` on web-01');
    // New block ids on every update (they carry the event seq).
    expect(blocks.every((b) => b.block_id.endsWith('.3'))).toBe(true);
  });

  it('escapes what Slack would read as mentions, links or markup', () => {
    const r = request({
      command: { argv: ['sh', '-c', 'echo <!channel> & <@U0BOB>'], cwd: '/tmp', host: 'h', program_path: '/bin/sh' },
      context: { reason: 'line one\n*Approved* by <@U0ADMIN>\u202eevil' },
    });
    // Everything Slack parses (mrkdwn objects and the fallback text) is escaped; plain_text is shown as is.
    const message = requestMessage(r, 1);
    const parsed = [message.text, ...mrkdwnTexts(message.blocks)].join('\n');
    expect(parsed).not.toMatch(/<!channel>|<@U0BOB>|<@U0ADMIN>/);
    expect(parsed).toContain('&lt;!channel&gt; &amp; &lt;@U0BOB&gt;');
    const reason = blocksOf(r).flatMap((b) => b.fields ?? []).find((f) => f.text.startsWith('*Reason*'))!.text;
    // One line (no fake fields), bidi override made visible.
    expect(reason).toBe('*Reason*\nline one *Approved* by &lt;@U0ADMIN&gt;\\u202eevil');
    expect(checkBlocks(requestMessage(r, 1).blocks, 50)).toEqual([]);
  });

  it('truncates a long command safely and says so', () => {
    const long = `psql -c "${'x'.repeat(5000)} & y"`;
    const r = request({ command: { argv: ['bash', '-c', long], shell_text: long, cwd: '/', host: 'h', program_path: '/bin/bash' } });
    const blocks = blocksOf(r);
    expect(checkBlocks(requestMessage(r, 1).blocks, 50)).toEqual([]);
    const code = blocks[1]!.text!.text;
    expect(code.length).toBeLessThanOrEqual(3000);
    expect(code.startsWith('```psql -c "xxx')).toBe(true);
    expect(code.endsWith('```')).toBe(true);
    const notice = blocks.find((b) => b.block_id.startsWith('gate.cut'))!.elements![0] as { text: string };
    expect(notice.text).toMatch(new RegExp(`Command truncated: \\d+ of ${long.length} characters shown`));
    expect(notice.text).toContain(`<${r.url}|open in gate>`);
  });

  it('never cuts inside an entity or a surrogate pair, and keeps the fence closed', () => {
    const amp = codeBlock('&'.repeat(1000), 100);
    expect(amp.text.length).toBeLessThanOrEqual(100);
    expect(amp.text).toMatch(/^```(&amp;)+```$/);
    const emoji = codeBlock('😀'.repeat(100), 51);
    expect(emoji.text).toMatch(/^```(😀)+```$/u);
    expect(emoji.shown).toBeLessThan(emoji.total);
    const fenced = codeBlock('echo ```; rm -rf / #```', 3000);
    expect(fenced.text.match(/```/g)).toHaveLength(2);
    expect(fenced.text.replace(/\u200b/g, '')).toBe('```echo ```; rm -rf / #``````');
    expect(clip('ab😀', 3)).toBe('ab…');
  });

  it('keeps every field within 2,000 characters', () => {
    const r = request({ context: { reason: 'r'.repeat(20_000) }, command: { argv: ['x'], cwd: `/${'d'.repeat(5000)}`, host: 'h', program_path: '/x' } });
    expect(checkBlocks(requestMessage(r, 1).blocks, 50)).toEqual([]);
  });

  it('shows approvals so far and questions while pending', () => {
    const r = request({
      approvals: [{ approver: 'bob', kind: 'human', groups: ['sre'], channel: 'slack', at: '2030-01-01T00:01:00.000Z' }],
      questions: [{ id: 'q_1', by: 'bob', question: 'which ticket?', at: '2030-01-01T00:02:00.000Z', answer: 'INC-42', answered_at: '2030-01-01T00:03:00.000Z' }],
      progress: '1 of 2 approvals from sre',
    });
    const text = allText(r);
    expect(text).toContain('*Approvals so far*\\n• bob via slack');
    expect(text).toContain('*bob* asked: which ticket?');
    expect(text).toContain('_Answer:_ INC-42');
  });

  it('replaces the buttons with the outcome once decided', () => {
    const approvals = [{ approver: 'bob', kind: 'human' as const, groups: ['sre'], channel: 'slack', at: '2030-01-01T00:01:00.000Z' }];
    const approved = request({ status: 'approved', approvals, decided_at: '2030-01-01T00:01:00.000Z', progress: 'approved by bob' });
    expect(blocksOf(approved).some((b) => b.type === 'actions')).toBe(false);
    expect(allText(approved)).toContain('*Approved* by bob <!date^1893456060^');
    expect(blocksOf(approved)[0]!.text!.text).toContain('Approved');

    const denied = request({ status: 'denied', decided_at: '2030-01-01T00:01:00.000Z', denial: { by: 'bob', reason: 'not during the freeze', at: '2030-01-01T00:01:00.000Z', by_policy: false } });
    expect(allText(denied)).toContain('*Denied* by bob <!date^1893456060^');
    expect(allText(denied)).toContain('not during the freeze');
    expect(outcomeReply(denied, '<@U0CLAUDE>')).toMatch(/^<@U0CLAUDE> :no_entry: \*Denied\* by bob/);

    const executed = request({ status: 'executed', approvals, decided_at: '2030-01-01T00:01:00.000Z', outcome: { exit_code: 3, duration_ms: 5 } });
    expect(allText(executed)).toContain('It exited with code 3.');
    expect(allText(request({ status: 'expired', decided_at: '2030-01-01T00:15:00.000Z' }))).toContain('*Expired*');
    expect(allText(request({ status: 'cancelled', decided_at: '2030-01-01T00:02:00.000Z' }))).toContain('*Cancelled* by the requester');
    for (const r of [approved, denied, executed]) expect(checkBlocks(requestMessage(r, 9).blocks, 50)).toEqual([]);
  });
});

describe('the deny and ask modals', () => {
  it('fit the view limits and carry the request id in private_metadata', () => {
    const long = request({ command: { argv: ['x', 'y'.repeat(9000)], cwd: '/', host: 'h', program_path: '/x' } });
    for (const kind of ['deny', 'ask'] as const) {
      const view = modal(kind, long, { request_id: long.id, channel: 'C0APPROVALS' });
      expect(checkView(view as unknown as Record<string, unknown>)).toEqual([]);
      expect(parseModalContext(view.private_metadata)).toEqual({ request_id: long.id, channel: 'C0APPROVALS' });
    }
  });

  it('reads back only well-formed metadata', () => {
    expect(parseModalContext('not json')).toBeUndefined();
    expect(parseModalContext('{"request_id":"../etc"}')).toBeUndefined();
    expect(parseModalContext('{"request_id":"req_abc","channel":5}')).toEqual({ request_id: 'req_abc' });
  });
});
