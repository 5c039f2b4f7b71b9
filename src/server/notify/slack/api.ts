import { Agent, request } from 'undici';
import { parseRetryAfter } from '../../../approval/retry.js';
import type { Failure } from '../delivery.js';

/**
 * A minimal Slack Web API client (https://docs.slack.dev/apis/web-api): the bot token goes in the
 * Authorization header only, write methods get JSON with `charset=utf-8`, read methods form
 * fields. Every outcome is a value, never a throw, sorted into retry / uncertain / permanent.
 * Errors name the method and Slack's code, never the token or a body.
 */

export interface SlackApiOptions {
  /** `https://slack.com/api` (tests: the fake's URL). */
  readonly baseUrl: string;
  readonly token: string;
  /** One call, connect to last byte. */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export type SlackReply = { readonly ok: true; readonly body: Record<string, unknown> } | { readonly ok: false; readonly failure: Failure };

/** `ok:false` codes that mean "not done, try again". */
const RETRYABLE = new Set(['ratelimited', 'rate_limited', 'service_unavailable', 'request_timeout', 'team_added_to_org']);
/** Slack: "it's possible some aspect of the operation succeeded before the error was raised". */
const MAYBE_DONE = new Set(['internal_error', 'fatal_error']);
/** Socket errors raised before a byte of the request could have been read by Slack. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

const MAX_REPLY_BYTES = 2 * 1024 * 1024;
/** Without a usable Retry-After, Slack's guidance is to wait before trying again; a minute is safe. */
const DEFAULT_RETRY_AFTER_MS = 60_000;

export class SlackApi {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly agent: Agent;

  constructor(options: SlackApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.agent = new Agent({ connect: { timeout: Math.min(this.timeoutMs, 5_000) }, keepAliveTimeout: 10_000 });
  }

  /** A write method (chat.*, views.*): JSON body. */
  write(method: string, args: Record<string, unknown>): Promise<SlackReply> {
    return this.call(method, 'application/json; charset=utf-8', JSON.stringify(args));
  }

  /** A read method (users.info, conversations.history): form fields, as Slack requires for them. */
  read(method: string, args: Record<string, string>): Promise<SlackReply> {
    return this.call(method, 'application/x-www-form-urlencoded', new URLSearchParams(args).toString());
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async call(method: string, contentType: string, body: string): Promise<SlackReply> {
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await request(`${this.baseUrl}/${method}`, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { authorization: `Bearer ${this.token}`, 'content-type': contentType, 'user-agent': 'gate' },
        body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.statusCode;
      headers = response.headers;
      text = await readCapped(response.body);
    } catch (error) {
      const raw = (error as { code?: unknown }).code;
      const code = typeof raw === 'string' ? raw : (error as Error).name;
      return fail(NOT_SENT.has(code) ? { kind: 'retry', error: `${method}: ${code}` } : { kind: 'uncertain', error: `${method}: ${code}` });
    }
    if (status === 429) {
      const header = headers['retry-after'];
      const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header, this.now()) ?? DEFAULT_RETRY_AFTER_MS;
      return fail({ kind: 'retry', error: `${method}: ratelimited (HTTP 429)`, retryAfterMs });
    }
    if (status >= 500) return fail({ kind: 'uncertain', error: `${method}: HTTP ${status}` });
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      return fail({ kind: status >= 400 ? 'permanent' : 'uncertain', error: `${method}: HTTP ${status}, reply is not JSON` });
    }
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return fail({ kind: 'uncertain', error: `${method}: reply is not an object` });
    const r = reply as Record<string, unknown>;
    if (r.ok === true) return { ok: true, body: r };
    const code = typeof r.error === 'string' && /^[a-z0-9_.-]{1,100}$/.test(r.error) ? r.error : 'unknown_error';
    return fail(classify(method, code));
  }
}

/** How to treat Slack's `ok:false` code: the one place that decides retry vs give up. */
export function classify(method: string, code: string): Failure {
  const error = `${method}: ${code}`;
  if (RETRYABLE.has(code)) return { kind: 'retry', error };
  if (MAYBE_DONE.has(code)) return { kind: 'uncertain', error };
  return { kind: 'permanent', error };
}

const fail = (failure: Failure): SlackReply => ({ ok: false, failure });

async function readCapped(body: AsyncIterable<Buffer | Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_REPLY_BYTES) throw Object.assign(new Error('reply too large'), { code: 'REPLY_TOO_LARGE' });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
