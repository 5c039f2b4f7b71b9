import { describe, expect, it } from 'vitest';
import { afterStep, beforeSend, nextStep, type RetryPolicy } from '../../../src/server/notify/plan.js';
import type { OpenRow } from '../../../src/server/store/outbox.js';

const ALL = { update: true, reply: true, find: true };
const POLICY: RetryPolicy = { backoff: { baseMs: 1000, capMs: 8000 }, maxAttempts: 3 };
const CLOCK = { nowMs: 10_000, random: () => 0.5 };

function row(over: Partial<OpenRow> = {}): OpenRow {
  return { request_id: 'req_x', destination: 'slack', target: 'C1', state: 'new', rendered_seq: 0, reply: 'none', attempts: 0, next_attempt_ms: 0, done: false, last_seq: 1, status: 'pending', ...over };
}
const posted = (over: Partial<OpenRow> = {}): OpenRow => row({ state: 'posted', ref: '{"channel":"C1","ts":"1.1"}', rendered_seq: 1, ...over });

describe('outbox steps', () => {
  it('posts, then looks up an interrupted post, then keeps the message current, replies once, closes', () => {
    expect(nextStep(row(), ALL)).toBe('post');
    expect(nextStep(row({ state: 'posting' }), ALL)).toBe('find');
    expect(nextStep(posted(), ALL)).toBe('idle');
    expect(nextStep(posted({ last_seq: 2 }), ALL)).toBe('update');
    // The message is brought up to date before the outcome is replied.
    expect(nextStep(posted({ last_seq: 3, status: 'denied' }), ALL)).toBe('update');
    expect(nextStep(posted({ status: 'approved' }), ALL)).toBe('reply');
    expect(nextStep(posted({ status: 'approved', reply: 'done' }), ALL)).toBe('idle');
    expect(nextStep(posted({ status: 'executed', reply: 'done' }), ALL)).toBe('finish');
    expect(nextStep(posted({ status: 'approved', reply: 'posting' }), ALL)).toBe('reply-lost');
    expect(nextStep(posted({ status: 'denied' }), { update: false, reply: false, find: false })).toBe('finish');
  });
});

describe('outbox results', () => {
  it('marks a post as leaving before it leaves', () => {
    expect(beforeSend(row(), 'post', 5)).toMatchObject({ state: 'posting', posting_since_ms: 5 });
    expect(beforeSend(posted(), 'reply', 5)).toMatchObject({ reply: 'posting', state: 'posted' });
  });

  it('a definite failure is retried later (Retry-After wins), then given up', () => {
    const sending = { ...row(), ...beforeSend(row(), 'post', 9_000) };
    const limited = afterStep(sending, 'post', { ok: false, failure: { kind: 'retry', error: 'x', retryAfterMs: 30_000 } }, 1, CLOCK, POLICY);
    expect(limited.row).toMatchObject({ state: 'new', attempts: 1, next_attempt_ms: 40_000 });
    const backoff = afterStep(sending, 'post', { ok: false, failure: { kind: 'retry', error: 'x' } }, 1, CLOCK, POLICY);
    expect(backoff.row).toMatchObject({ state: 'new', attempts: 1, next_attempt_ms: 10_750 });
    const last = afterStep({ ...sending, attempts: 2 }, 'post', { ok: false, failure: { kind: 'retry', error: 'chat.postMessage: internal' } }, 1, CLOCK, POLICY);
    expect(last.row).toMatchObject({ state: 'failed', done: true });
    expect(last.log).toContain('gave up after 3 attempts');
  });

  it('an uncertain post stays `posting` (to be looked for), a permanent one fails at once', () => {
    const sending = { ...row(), ...beforeSend(row(), 'post', 9_000) };
    const unsure = afterStep(sending, 'post', { ok: false, failure: { kind: 'uncertain', error: 'timeout' } }, 1, CLOCK, POLICY);
    expect(unsure.row).toMatchObject({ state: 'posting', posting_since_ms: 9_000, attempts: 1 });
    const gone = afterStep(sending, 'post', { ok: false, failure: { kind: 'permanent', error: 'chat.postMessage: channel_not_found' } }, 1, CLOCK, POLICY);
    expect(gone.row).toMatchObject({ state: 'failed', done: true, last_error: 'chat.postMessage: channel_not_found' });
    expect(gone.log).toContain('channel_not_found');
  });

  it('a found message is adopted and re-rendered; a missing one is posted again; an unknowable one is never re-posted', () => {
    const lost = row({ state: 'posting', posting_since_ms: 9_000 });
    expect(afterStep(lost, 'find', { ok: true, value: 'ref' }, 4, CLOCK, POLICY).row).toMatchObject({ state: 'posted', ref: 'ref', rendered_seq: 0 });
    expect(afterStep(lost, 'find', { ok: true, value: undefined }, 4, CLOCK, POLICY).row).toMatchObject({ state: 'new' });
    const unknown = afterStep(lost, 'find', { ok: false, failure: { kind: 'permanent', error: 'conversations.history: missing_scope' } }, 4, CLOCK, POLICY);
    expect(unknown.row).toMatchObject({ state: 'failed', done: true });
    expect(unknown.log).toContain('not posting again');
  });

  it('records what was rendered; an uncertain reply is not repeated', () => {
    expect(afterStep(posted({ last_seq: 5 }), 'update', { ok: true, value: undefined }, 5, CLOCK, POLICY).row).toMatchObject({ rendered_seq: 5, attempts: 0 });
    const replying = { ...posted({ status: 'approved' }), ...beforeSend(posted(), 'reply', 1) };
    expect(afterStep(replying, 'reply', { ok: true, value: undefined }, 2, CLOCK, POLICY).row).toMatchObject({ reply: 'done' });
    expect(afterStep(replying, 'reply', { ok: false, failure: { kind: 'retry', error: 'x' } }, 2, CLOCK, POLICY).row).toMatchObject({ reply: 'none', attempts: 1 });
    expect(afterStep(replying, 'reply', { ok: false, failure: { kind: 'uncertain', error: 'x' } }, 2, CLOCK, POLICY).row).toMatchObject({ reply: 'failed' });
  });
});
