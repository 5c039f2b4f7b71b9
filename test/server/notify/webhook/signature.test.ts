import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../../../src/approval/protocol.js';
import { deliveryId, eventType, webhookPayload } from '../../../../src/server/notify/webhook/payload.js';
import { signature, verifySignature } from '../../../../src/server/notify/webhook/signature.js';
import { verifyDelivery } from '../../../helpers/fake-webhook-receiver.js';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"type":"gate.request.created","id":"dlv_1"}';
const TS = 1_900_000_000;

describe('webhook signatures', () => {
  it('is v1= hex HMAC-SHA256 over "<timestamp>.<raw body>"', () => {
    const expected = createHmac('sha256', SECRET).update(`${TS}.${BODY}`).digest('hex');
    expect(signature(SECRET, TS, BODY)).toBe(`v1=${expected}`);
    // The receiver in the tests, written from the docs, agrees.
    expect(verifyDelivery(SECRET, { signature: signature(SECRET, TS, BODY), timestamp: String(TS) }, BODY, TS)).toBe(true);
  });

  it('verifies only the exact body, secret and timestamp, within five minutes', () => {
    const sig = signature(SECRET, TS, BODY);
    expect(verifySignature(SECRET, sig, String(TS), BODY, TS + 300)).toEqual({ ok: true });
    expect(verifySignature(SECRET, sig, String(TS), BODY.replace('created', 'approved'), TS)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(`${SECRET}x`, sig, String(TS), BODY, TS)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(SECRET, sig, String(TS + 1), BODY, TS)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(SECRET, sig, String(TS), BODY, TS + 301)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(SECRET, sig, String(TS), BODY, TS - 301)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(SECRET, sig.toUpperCase(), String(TS), BODY, TS)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifySignature(SECRET, undefined, String(TS), BODY, TS)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyDelivery(SECRET, { signature: sig, timestamp: String(TS) }, `${BODY} `, TS)).toBe(false);
  });
});

describe('webhook payloads', () => {
  const r = {
    id: 'req_1',
    status: 'denied',
    created_at: '2030-01-01T00:00:00.000Z',
    decided_at: '2030-01-01T00:05:00.000Z',
    approvals: [{ approver: 'alice', kind: 'human', groups: [], channel: 'web', at: '2030-01-01T00:02:00.000Z' }],
    questions: [{ id: 'q1', by: 'bob', question: '?', at: '2030-01-01T00:01:00.000Z', answer: 'x', answered_at: '2030-01-01T00:06:00.000Z' }],
    receipt: { payload: {}, signature: 'sig' },
  } as unknown as ApprovalRequest;

  it('names the event by step and status, carries the snapshot without the receipt, at its latest instant', () => {
    expect(eventType('post', r)).toBe('gate.request.created');
    expect(eventType('update', r)).toBe('gate.request.denied');
    expect(eventType('update', { ...r, status: 'pending' })).toBe('gate.request.updated');
    const payload = webhookPayload('gate.request.denied', 'dlv_x', r);
    expect(payload).toMatchObject({ type: 'gate.request.denied', id: 'dlv_x', at: '2030-01-01T00:06:00.000Z', request: { id: 'req_1', status: 'denied' } });
    expect('receipt' in payload.request).toBe(false);
  });

  it('gives each delivery an id that is stable across retries and distinct across targets and states', () => {
    expect(deliveryId('req_1', 'pager', 'post', 1)).toBe(deliveryId('req_1', 'pager', 'post', 7));
    expect(deliveryId('req_1', 'pager', 'update', 3)).toBe(deliveryId('req_1', 'pager', 'update', 3));
    const ids = new Set([deliveryId('req_1', 'pager', 'post', 1), deliveryId('req_1', 'audit', 'post', 1), deliveryId('req_1', 'pager', 'update', 3), deliveryId('req_1', 'pager', 'update', 4), deliveryId('req_2', 'pager', 'post', 1)]);
    expect(ids.size).toBe(5);
    expect(deliveryId('req_1', 'pager', 'post', 1)).toMatch(/^dlv_[0-9a-f]{32}$/);
  });
});
