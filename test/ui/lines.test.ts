import { describe, expect, it } from 'vitest';
import { jsonReporter, plainReporter } from '../../src/ui/lines.js';
import type { WaitUpdate } from '../../src/ui/updates.js';
import { pendingRequest } from './fixtures.js';

const clock = () => new Date('2026-11-21T06:30:00.123Z');
const created = pendingRequest();
const withApproval = pendingRequest({
  progress: '1 of 2 approvals from dba',
  approvals: [{ approver: 'alice', kind: 'human', groups: ['dba'], channel: 'slack', at: '2026-11-21T06:31:00Z', comment: 'fine by me' }],
});
const question = { id: 'q_1', by: 'bob', question: 'Which rows?\nAll of them?', at: '2026-11-21T06:32:00Z' };
const denied = pendingRequest({ status: 'denied', denial: { by: 'bob', reason: 'Not on a Friday.', at: '2026-11-21T06:33:00Z', by_policy: false } });

const updates: WaitUpdate[] = [
  { type: 'created', request: created },
  { type: 'approval', request: withApproval, approval: withApproval.approvals[0]! },
  { type: 'question', request: withApproval, question },
  { type: 'reconnecting', request: withApproval, reason: 'connection reset', delayMs: 1500 },
  { type: 'reconnected', request: withApproval },
  { type: 'denied', request: denied },
];

function capture(make: typeof plainReporter): string {
  let out = '';
  const reporter = make((text) => (out += text), clock);
  for (const u of updates) reporter.update(u);
  return out;
}

describe('line reporters', () => {
  it('plain: one timestamped line per change, server text escaped; the final verdict is left to the caller', () => {
    expect(capture(plainReporter)).toBe(
      [
        '2026-11-21T06:30:00Z gate: waiting for approval: req_abc123 (0 of 2 approvals from dba) http://127.0.0.1:8787/requests/req_abc123',
        '2026-11-21T06:30:00Z gate: approval from alice (1 of 2 approvals from dba): fine by me',
        '2026-11-21T06:30:00Z gate: question from bob: Which rows?\\x0aAll of them?',
        '2026-11-21T06:30:00Z gate: lost the connection to the approval service (connection reset); reconnecting in 2s',
        '2026-11-21T06:30:00Z gate: reconnected to the approval service',
        '',
      ].join('\n'),
    );
  });

  it('json: one object per line per event, for agents', () => {
    const lines = capture(jsonReporter).trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    const base = { request_id: 'req_abc123', status: 'pending', url: 'http://127.0.0.1:8787/requests/req_abc123', at: '2026-11-21T06:30:00Z' };
    expect(lines[0]).toBe(
      '{"event":"created","request_id":"req_abc123","status":"pending","progress":"0 of 2 approvals from dba","url":"http://127.0.0.1:8787/requests/req_abc123","expires_at":"2026-11-21T06:45:00.000Z","rules":["db-write"],"message":"waiting for approval: req_abc123 (0 of 2 approvals from dba) http://127.0.0.1:8787/requests/req_abc123","at":"2026-11-21T06:30:00Z"}',
    );
    expect(JSON.parse(lines[1]!)).toEqual({ ...base, event: 'approval', progress: '1 of 2 approvals from dba', approver: 'alice', comment: 'fine by me', message: 'approval from alice (1 of 2 approvals from dba): fine by me' });
    expect(JSON.parse(lines[2]!)).toMatchObject({ event: 'question', question_id: 'q_1', by: 'bob', question: 'Which rows?\nAll of them?' });
    expect(JSON.parse(lines[5]!)).toEqual({ ...base, event: 'denied', status: 'denied', progress: '0 of 2 approvals from dba', by: 'bob', reason: 'Not on a Friday.', by_policy: false, message: 'denied by bob: Not on a Friday.' });
  });
});
