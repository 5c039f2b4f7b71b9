import { Agent, request, type Dispatcher } from 'undici';
import { ApprovalError } from './errors.js';
import { parseCheckpointList, parseCheckpointReply, parseHostLogs } from '../audit/anchor/checkpoint.js';
import {
  API_PREFIX,
  type AnchorHeadBody,
  type ApprovalRequest,
  type CheckpointList,
  type CreateRequestBody,
  type ExecutionOutcome,
  type HostLogs,
  type ServerKey,
  type SignedCheckpoint,
} from './protocol.js';
import { DEFAULT_BACKOFF, parseRetryAfter, withRetries, type Backoff } from './retry.js';
import { parseApprovalRequest, parseErrorBody, parsePolicyEnv, parseRequestList, parseServerKey } from './wire.js';

/** Deadlines of one HTTP attempt. */
export interface ClientTimeouts {
  /** TCP (and TLS) connect. */
  readonly connectMs: number;
  /** From sending the request to the end of the reply headers. */
  readonly headersMs: number;
  /** Longest silence while the body arrives. */
  readonly bodyMs: number;
  /** The whole attempt, connect to last byte: a reply that trickles forever still ends. */
  readonly attemptMs: number;
  /** Longest silence on an event stream (no event, no heartbeat) before it counts as dropped. */
  readonly streamStallMs: number;
}

export const DEFAULT_TIMEOUTS: ClientTimeouts = { connectMs: 5_000, headersMs: 10_000, bodyMs: 10_000, attemptMs: 15_000, streamStallMs: 45_000 };

export interface ClientOptions {
  /** Base URL of the service, e.g. http://127.0.0.1:8787 (no /v1). */
  readonly baseUrl: string;
  readonly token?: string;
  readonly timeouts?: Partial<ClientTimeouts>;
  readonly backoff?: Partial<Backoff>;
  /** How long a call keeps retrying when the caller sets no deadline. */
  readonly retryBudgetMs?: number;
  readonly userAgent?: string;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface CallOptions {
  /** Epoch ms after which no retry starts (e.g. the request's expiry). */
  readonly deadline?: number;
  /** Aborts the call at once (the abort reason is rethrown as is). */
  readonly signal?: AbortSignal;
  readonly onRetry?: (error: ApprovalError, attempt: number, delayMs: number) => void;
}

/** An open event stream: raw body bytes, to be parsed by the caller. */
export interface EventStream {
  readonly body: AsyncIterable<Uint8Array>;
  close(): void;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * The approval protocol over HTTP (see protocol.ts): bearer token, deadlines on every attempt,
 * every reply validated before use, transient failures retried with backoff within a deadline.
 */
export class ApprovalClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeouts: ClientTimeouts;
  /** Backoff between retries (and event stream reconnects). */
  readonly backoff: Backoff;
  private readonly retryBudgetMs: number;
  private readonly userAgent: string;
  readonly now: () => number;
  private readonly random: () => number;
  private readonly agent: Agent;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.retryBudgetMs = options.retryBudgetMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'gate';
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.agent = new Agent({ connect: { timeout: this.timeouts.connectMs }, keepAliveTimeout: 10_000 });
  }

  key(options?: CallOptions): Promise<ServerKey> {
    return this.call('GET', '/key', undefined, parseServerKey, options);
  }
  policyEnv(options?: CallOptions): Promise<readonly string[]> {
    return this.call('GET', '/policy/env', undefined, parsePolicyEnv, options);
  }
  create(body: CreateRequestBody, options?: CallOptions): Promise<ApprovalRequest> {
    return this.call('POST', '/requests', body, parseApprovalRequest, options);
  }
  get(id: string, options?: CallOptions): Promise<ApprovalRequest> {
    return this.call('GET', `/requests/${encodeURIComponent(id)}`, undefined, parseApprovalRequest, options);
  }
  /** Pending requests the caller may decide; `all` drops the status filter. */
  list(all: boolean, options?: CallOptions): Promise<readonly ApprovalRequest[]> {
    return this.call('GET', all ? '/requests' : '/requests?status=pending', undefined, parseRequestList, options);
  }
  approve(id: string, comment: string | undefined, options?: CallOptions): Promise<ApprovalRequest> {
    return this.action(id, 'approve', comment === undefined ? {} : { comment }, options);
  }
  deny(id: string, reason: string, options?: CallOptions): Promise<ApprovalRequest> {
    return this.action(id, 'deny', { reason }, options);
  }
  ask(id: string, question: string, options?: CallOptions): Promise<ApprovalRequest> {
    return this.action(id, 'ask', { question }, options);
  }
  reply(id: string, answer: string, questionId: string | undefined, options?: CallOptions): Promise<ApprovalRequest> {
    return this.action(id, 'reply', questionId === undefined ? { answer } : { answer, question_id: questionId }, options);
  }
  cancel(id: string, options?: CallOptions): Promise<ApprovalRequest> {
    return this.action(id, 'cancel', {}, options);
  }
  claim(id: string, receiptId: string, options?: CallOptions): Promise<ApprovalRequest> {
    return this.action(id, 'claim', { receipt_id: receiptId }, options);
  }
  outcome(id: string, outcome: ExecutionOutcome, options?: CallOptions): Promise<ApprovalRequest> {
    return this.action(id, 'outcome', outcome, options);
  }

  /** POST /v1/audit/heads: anchors this host's log head. The checkpoint is NOT verified here (see anchor-checkpoint.ts). */
  anchorHead(body: AnchorHeadBody, options?: CallOptions): Promise<SignedCheckpoint> {
    return this.call('POST', '/audit/heads', body, parseCheckpointReply, options);
  }
  /** GET /v1/audit/heads/:log_id: one page of a log's checkpoints (unverified); `after` is the previous page's `next`. */
  checkpoints(logId: string, after: number | undefined, options?: CallOptions): Promise<CheckpointList> {
    const query = after !== undefined ? `?after=${after}` : '';
    return this.call('GET', `/audit/heads/${encodeURIComponent(logId)}${query}`, undefined, parseCheckpointList, options);
  }
  /** GET /v1/audit/hosts/:host: the logs anchored for a host name (checkpoints unverified). */
  hostLogs(host: string, options?: CallOptions): Promise<HostLogs> {
    return this.call('GET', `/audit/hosts/${encodeURIComponent(host)}`, undefined, parseHostLogs, options);
  }

  /**
   * GET /v1/audit/log: up to `limit` lines of the service's own signed audit log with seq greater
   * than `afterSeq` (from the start when undefined), byte for byte (text/plain, the line format of
   * docs/audit.md). The bytes are evidence, so they are returned undecoded.
   */
  auditLog(afterSeq: number | undefined, limit: number, options: CallOptions = {}): Promise<Buffer> {
    const path = `/audit/log?${afterSeq !== undefined ? `after_seq=${afterSeq}&` : ''}limit=${limit}`;
    return withRetries(() => this.attemptBytes(path, 'text/plain', options.signal), this.retryOptions(options));
  }

  /**
   * Opens GET /v1/requests/:id/events, resuming after `lastEventId`. The body stalls out after
   * streamStallMs of silence (undici's body timeout), which the reader treats as a drop.
   */
  async openEvents(id: string, lastEventId: string | undefined, signal: AbortSignal): Promise<EventStream> {
    const path = `/requests/${encodeURIComponent(id)}/events`;
    const stop = new AbortController();
    const both = AbortSignal.any([signal, stop.signal]);
    const headers: Record<string, string> = { ...this.headers(), accept: 'text/event-stream', 'cache-control': 'no-cache' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.baseUrl}${API_PREFIX}${path}`, {
        method: 'GET',
        headers,
        dispatcher: this.agent,
        signal: both,
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.streamStallMs,
      });
    } catch (error) {
      throw this.networkError(error, 'GET', path, signal);
    }
    if (res.statusCode !== 200) {
      const text = await this.readBody(res, 'GET', path, signal);
      throw this.httpError(res.statusCode, text, res.headers['retry-after'], 'GET', path);
    }
    const type = String(res.headers['content-type'] ?? '');
    if (!type.startsWith('text/event-stream')) {
      res.body.destroy();
      throw new ApprovalError('malformed', `the approval service answered ${path} with ${type || 'no content type'}, not an event stream`);
    }
    const body = res.body;
    const client = this;
    return {
      body: (async function* () {
        try {
          for await (const chunk of body) yield chunk as Uint8Array;
        } catch (error) {
          throw client.networkError(error, 'GET', path, signal);
        }
      })(),
      close: () => {
        stop.abort();
        body.destroy();
      },
    };
  }

  /** Frees the connections (an open event stream included). */
  async close(): Promise<void> {
    await this.agent.destroy();
  }

  private action(id: string, verb: string, body: object, options?: CallOptions): Promise<ApprovalRequest> {
    return this.call('POST', `/requests/${encodeURIComponent(id)}/${verb}`, body, parseApprovalRequest, options);
  }

  private headers(): Record<string, string> {
    return { 'user-agent': this.userAgent, ...(this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {}) };
  }

  private call<T>(method: 'GET' | 'POST', path: string, body: unknown, parse: (v: unknown) => T, options: CallOptions = {}): Promise<T> {
    return withRetries(() => this.attempt(method, path, body, parse, options.signal), this.retryOptions(options));
  }

  private retryOptions(options: CallOptions): Parameters<typeof withRetries>[1] {
    return {
      deadline: options.deadline ?? this.now() + this.retryBudgetMs,
      backoff: this.backoff,
      now: this.now,
      random: this.random,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.onRetry !== undefined ? { onRetry: options.onRetry } : {}),
    };
  }

  /** One GET whose reply body is returned as bytes, after checking the status and content type. */
  private async attemptBytes(path: string, type: string, signal?: AbortSignal): Promise<Buffer> {
    const deadline = AbortSignal.timeout(this.timeouts.attemptMs);
    const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.baseUrl}${API_PREFIX}${path}`, {
        method: 'GET',
        headers: { ...this.headers(), accept: type },
        dispatcher: this.agent,
        signal: both,
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyMs,
      });
    } catch (error) {
      throw this.networkError(error, 'GET', path, signal);
    }
    const bytes = await this.readBytes(res, 'GET', path, signal);
    if (res.statusCode < 200 || res.statusCode > 299) throw this.httpError(res.statusCode, bytes.toString('utf8'), res.headers['retry-after'], 'GET', path);
    const got = String(res.headers['content-type'] ?? '');
    if (!got.startsWith(type)) {
      throw new ApprovalError('malformed', `the approval service answered GET ${path} with ${got || 'no content type'}, not ${type}`, {
        hint: 'a proxy or another program may answer at that address, or the service is older than this gate; check serverUrl',
      });
    }
    return bytes;
  }

  private async attempt<T>(method: 'GET' | 'POST', path: string, body: unknown, parse: (v: unknown) => T, signal?: AbortSignal): Promise<T> {
    const deadline = AbortSignal.timeout(this.timeouts.attemptMs);
    const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${this.baseUrl}${API_PREFIX}${path}`, {
        method,
        headers: { ...this.headers(), accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        dispatcher: this.agent,
        signal: both,
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyMs,
      });
    } catch (error) {
      throw this.networkError(error, method, path, signal);
    }
    const text = await this.readBody(res, method, path, signal);
    if (res.statusCode < 200 || res.statusCode > 299) throw this.httpError(res.statusCode, text, res.headers['retry-after'], method, path);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApprovalError('malformed', `the approval service sent a reply to ${method} ${path} that is not JSON`, {
        hint: 'a proxy or another program may answer at that address; check serverUrl',
      });
    }
    return parse(json);
  }

  private async readBody(res: Dispatcher.ResponseData, method: string, path: string, signal?: AbortSignal): Promise<string> {
    return (await this.readBytes(res, method, path, signal)).toString('utf8');
  }

  private async readBytes(res: Dispatcher.ResponseData, method: string, path: string, signal?: AbortSignal): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) {
          res.body.destroy();
          throw new ApprovalError('malformed', `the approval service's reply to ${method} ${path} is larger than ${MAX_BODY_BYTES} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof ApprovalError) throw error;
      throw this.networkError(error, method, path, signal);
    }
    return Buffer.concat(chunks);
  }

  private httpError(status: number, text: string, retryAfter: string | string[] | undefined, method: string, path: string): ApprovalError {
    let parsed: ReturnType<typeof parseErrorBody>;
    try {
      parsed = parseErrorBody(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    const code = parsed?.code;
    const detail = parsed ? `${code ?? 'error'}: ${parsed.message}` : `HTTP ${status}`;
    const wait = status === 429 ? parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, this.now()) : undefined;
    return new ApprovalError('http', `the approval service refused ${method} ${path} (${status} ${detail})`, {
      status,
      ...(code !== undefined ? { serverCode: code } : {}),
      ...(parsed?.message ? { serverMessage: parsed.message } : {}),
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      hint: httpHint(status, code),
    });
  }

  private networkError(error: unknown, method: string, path: string, signal?: AbortSignal): unknown {
    if (signal?.aborted) return signal.reason;
    if (error instanceof ApprovalError) return error;
    const codes = errorCodes(error);
    const timeoutCode = codes.find((c) => TIMEOUTS[c] !== undefined);
    if (timeoutCode !== undefined) {
      return new ApprovalError('timeout', `the approval service at ${this.baseUrl} did not answer ${method} ${path} in time (${TIMEOUTS[timeoutCode]})`, {
        cause: error,
        hint: 'the server or the network is slow or stuck; try again, and check `gate serve` on the server host',
      });
    }
    const reason = codes.map((c) => NETWORK[c]).find((r) => r !== undefined) ?? (error instanceof Error ? error.message : String(error));
    return new ApprovalError('unreachable', `cannot reach the approval service at ${this.baseUrl}: ${reason}`, {
      cause: error,
      hint: `check that \`gate serve\` is running there and that serverUrl (\`gate config get serverUrl\` or GATE_SERVER) is right`,
    });
  }
}

const TIMEOUTS: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_HEADERS_TIMEOUT: 'no reply headers before the deadline',
  UND_ERR_BODY_TIMEOUT: 'the reply stalled',
  TimeoutError: 'the reply took too long',
  ETIMEDOUT: 'connection timed out',
};

const NETWORK: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'the connection closed unexpectedly',
  UND_ERR_CLOSED: 'the connection closed unexpectedly',
};

/** Error codes and names along the cause chain (undici wraps socket errors). */
function errorCodes(error: unknown): string[] {
  const out: string[] = [];
  let e: unknown = error;
  for (let i = 0; i < 5 && typeof e === 'object' && e !== null; i++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string') out.push(code);
    if (typeof name === 'string') out.push(name);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

function httpHint(status: number, code: string | undefined): string {
  switch (code) {
    case 'unauthenticated':
      return 'the token was not accepted: set a valid one with `gate config set token <token>` or GATE_TOKEN';
    case 'forbidden':
      return 'this token may not do that';
    case 'reason_required':
      return 'say why with --reason "<text>"';
    case 'rate_limited':
      return 'too many requests; wait a moment and try again';
    default:
      return status >= 500 ? 'the approval service failed; see its log' : 'nothing was run';
  }
}
