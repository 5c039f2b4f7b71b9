import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../src/approval/retry.js';
import { SseParser } from '../../src/approval/sse.js';

describe('SseParser', () => {
  const stream = '\ufeff: hello\n\nid: 1\nevent: created\ndata: {"a":1}\n\nid: 2\r\nevent: approval\r\ndata: line one\r\ndata: line two\r\n\r\nretry: 3000\n\n';
  const expected = [
    { event: 'created', data: '{"a":1}', lastEventId: '1' },
    { event: 'approval', data: 'line one\nline two', lastEventId: '2' },
  ];

  it('parses a whole stream: comments ignored, CRLF and LF, multi-line data, retry', () => {
    const parser = new SseParser();
    expect(parser.push(stream)).toEqual(expected);
    expect(parser.retryMs).toBe(3000);
  });

  it('gives the same messages whatever the chunking (one character at a time, CR/LF split)', () => {
    const parser = new SseParser();
    const out = [...stream].flatMap((c) => parser.push(c));
    expect(out).toEqual(expected);
  });

  it('never dispatches a trailing partial message; keeps the id sticky; a bare CR ends a line', () => {
    const parser = new SseParser('7');
    expect(parser.push('data: x\r\rdata: half')).toEqual([{ event: 'message', data: 'x', lastEventId: '7' }]);
    expect(parser.lastEventId).toBe('7');
  });
});

describe('retry policy', () => {
  it('backs off exponentially with jitter, capped', () => {
    const b = { baseMs: 100, capMs: 1_000 };
    expect(backoffDelay(1, b, () => 0)).toBe(50);
    expect(backoffDelay(1, b, () => 1)).toBe(100);
    expect(backoffDelay(3, b, () => 1)).toBe(400);
    expect(backoffDelay(10, b, () => 1)).toBe(1_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-21T06:30:00Z');
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 06:30:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
