import { Agent, request } from 'undici';
import { parseRetryAfter } from '../../../approval/retry.js';
import type { Delivery, Failure } from '../delivery.js';

/**
 * One outgoing JSON POST (a generic webhook, or a Teams Workflows trigger), sorted into the
 * dispatcher's outcomes. The URL may embed a secret (a Workflows URL carries its `sig`), so it is
 * never put in an error: errors name the destination (`what`) and the HTTP status or socket code.
 * Redirects are not followed: a secret body must not be re-sent to wherever a 3xx points.
 */

export interface PosterOptions {
  /** One attempt, connect to last byte. */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

/** Socket errors raised before the receiver could have read a byte: the POST certainly did not happen. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
/** A receiver's reply is never needed; reading a little keeps the connection reusable. */
const MAX_REPLY_BYTES = 64 * 1024;

export class JsonPoster {
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly agent: Agent;

  constructor(options: PosterOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.agent = new Agent({ connect: { timeout: Math.min(this.timeoutMs, 5_000) }, keepAliveTimeout: 10_000 });
  }

  async post(url: string, body: string, headers: Readonly<Record<string, string>>, what: string): Promise<Delivery<void>> {
    let status: number;
    let retryAfter: string | undefined;
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'user-agent': 'gate' },
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.statusCode;
      const header = response.headers['retry-after'];
      retryAfter = Array.isArray(header) ? header[0] : header;
      await response.body.dump({ limit: MAX_REPLY_BYTES }).catch(() => undefined);
    } catch (error) {
      // Only the code: undici's messages may quote the URL.
      const raw = (error as { code?: unknown }).code;
      const code = typeof raw === 'string' ? raw : (error as Error).name;
      return fail(NOT_SENT.has(code) ? { kind: 'retry', error: `${what}: ${code}` } : { kind: 'uncertain', error: `${what}: ${code}` });
    }
    return status >= 200 && status < 300 ? { ok: true, value: undefined } : fail(classifyStatus(status, retryAfter, what, this.now()));
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** The one place that decides retry vs give up for a non-2xx reply. */
export function classifyStatus(status: number, retryAfter: string | undefined, what: string, nowMs: number): Failure {
  const error = `${what}: HTTP ${status}`;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
    // Without a usable Retry-After the dispatcher's exponential backoff applies.
    return retryAfterMs === undefined ? { kind: 'retry', error } : { kind: 'retry', error, retryAfterMs };
  }
  // 408 and 5xx: the receiver may have acted before it failed.
  if (status === 408 || status >= 500) return { kind: 'uncertain', error };
  if (status >= 300 && status < 400) return { kind: 'permanent', error: `${error} (redirects are not followed)` };
  return { kind: 'permanent', error };
}

const fail = (failure: Failure): Delivery<void> => ({ ok: false, failure });
