import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { commandDigest } from '../../src/approval/digest.js';
import type {
  ApprovalRequest,
  CreateRequestBody,
  ErrorCode,
  Principal,
  ReceiptPayload,
  RequestEvent,
  RequestEventType,
  SignedReceipt,
} from '../../src/approval/protocol.js';
import { keyId, signReceipt } from '../../src/approval/receipt.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Req = Mutable<ApprovalRequest>;

export interface Call {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

/** What the next matching call gets instead of a normal answer. */
export type Fault =
  | 'hang'
  | 'reset'
  | 'malformed'
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> };

export const PRINCIPALS: Readonly<Record<string, Principal>> = {
  'tok-requester': { name: 'ci-bot', kind: 'agent', groups: [] },
  'tok-alice': { name: 'alice', kind: 'human', groups: ['dba'] },
  'tok-bob': { name: 'bob', kind: 'human', groups: ['dba', 'security'] },
  'tok-eve': { name: 'eve', kind: 'human', groups: ['marketing'] },
};

export interface FakeOptions {
  readonly envNames?: readonly string[];
  readonly receiptTtlSeconds?: number;
  /** Comment lines sent on event streams every N ms (0: none). */
  readonly heartbeatMs?: number;
  /** Runs right after a request is created (after the 201 went out). */
  readonly onCreate?: (fake: FakeApprovalServer, id: string) => void;
}

/**
 * A small in-process approval server for tests: just enough of protocol.ts (tokens, requests,
 * SSE with Last-Event-ID replay, signed receipts, claim/outcome) plus knobs to misbehave.
 */
export class FakeApprovalServer {
  readonly calls: Call[] = [];
  readonly requests = new Map<string, { request: Req; events: RequestEvent[] }>();
  readonly faults: { match: (method: string, path: string) => boolean; fault: Fault; times: number }[] = [];
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Changes (or replaces) the receipt before it is signed and sent. */
  tamperReceipt: ((payload: ReceiptPayload) => ReceiptPayload) | undefined;
  /** Signs receipts with this key instead (a forged receipt). */
  signingKey: KeyObject | undefined;
  /** Presents this public key on GET /v1/key instead. */
  presentedKey: KeyObject | undefined;
  refuseClaim: ErrorCode | undefined;
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly streams = new Map<string, Set<ServerResponse>>();
  private counter = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  port = 0;

  private constructor(readonly options: FakeOptions) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.server = this.makeServer();
  }

  static async start(options: FakeOptions = {}): Promise<FakeApprovalServer> {
    const fake = new FakeApprovalServer(options);
    await fake.listen(0);
    if (options.heartbeatMs) {
      fake.heartbeat = setInterval(() => {
        for (const set of fake.streams.values()) for (const res of set) res.write(': ping\n\n');
      }, options.heartbeatMs);
    }
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get publicKeyBase64(): string {
    return this.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  }

  fail(method: string, pathPart: string, fault: Fault, times = 1): void {
    this.faults.push({ match: (m, p) => m === method && p.includes(pathPart), fault, times });
  }

  /** Resolves with the id of the first request created (or the next one, if `after` is given). */
  async nextRequest(timeoutMs = 5_000, after = 0): Promise<string> {
    await this.until(() => this.requests.size > after, timeoutMs, 'a request to be created');
    return [...this.requests.keys()][after]!;
  }

  async until(condition: () => boolean, timeoutMs = 5_000, what = 'a condition'): Promise<void> {
    const started = Date.now();
    while (!condition()) {
      if (Date.now() - started > timeoutMs) throw new Error(`fake server: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  request(id: string): Req {
    const rec = this.requests.get(id);
    if (!rec) throw new Error(`fake server: no request ${id}`);
    return rec.request;
  }

  approve(id: string, by = 'alice', comment?: string): void {
    const r = this.request(id);
    const p = Object.values(PRINCIPALS).find((x) => x.name === by) ?? { name: by, kind: 'human' as const, groups: ['dba'] };
    r.approvals = [...r.approvals, { approver: by, kind: p.kind, groups: p.groups, channel: 'cli', at: new Date().toISOString(), ...(comment ? { comment } : {}) }];
    r.progress = progress(r);
    if (r.approvals.length < needed(r)) return this.emit(id, 'approval');
    this.emit(id, 'approval');
    r.status = 'approved';
    r.decided_at = new Date().toISOString();
    r.receipt = this.receipt(r);
    this.emit(id, 'approved');
  }

  deny(id: string, by: string, reason: string): void {
    const r = this.request(id);
    r.status = 'denied';
    r.denial = { by, reason, at: new Date().toISOString(), by_policy: false };
    r.decided_at = r.denial.at;
    this.emit(id, 'denied');
  }

  expire(id: string): void {
    this.request(id).status = 'expired';
    this.emit(id, 'expired');
  }

  cancel(id: string): void {
    this.request(id).status = 'cancelled';
    this.emit(id, 'cancelled');
  }

  ask(id: string, by: string, question: string): string {
    const r = this.request(id);
    const qid = `q_${++this.counter}`;
    r.questions = [...r.questions, { id: qid, by, question, at: new Date().toISOString() }];
    this.emit(id, 'question');
    return qid;
  }

  /** Drops every open event stream (as a crashed proxy or server would). */
  dropStreams(): void {
    for (const set of this.streams.values()) for (const res of set) res.socket?.destroy();
  }

  /** kill -9 and start again on the same port after `downMs`; state survives (it is "on disk"). */
  async restart(downMs: number): Promise<void> {
    const port = this.port;
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    this.server = this.makeServer();
    await this.listen(port);
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.stop();
  }

  private async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.streams.clear();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve) => {
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private makeServer(): Server {
    const server = createServer((req, res) => {
      void this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.error(res, 500, 'internal', String(error));
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private receipt(r: Req): SignedReceipt {
    const now = new Date();
    let payload: ReceiptPayload = {
      v: 1,
      receipt_id: `rcpt_${++this.counter}`,
      request_id: r.id,
      command_digest: r.command_digest,
      requester: r.requester.name,
      approvers: r.approvals.map((a) => ({ name: a.approver, at: a.at })),
      decided_at: now.toISOString(),
      not_after: new Date(now.getTime() + (this.options.receiptTtlSeconds ?? 300) * 1000).toISOString(),
      key_id: keyId(this.publicKey),
    };
    if (this.tamperReceipt) payload = this.tamperReceipt(payload);
    return signReceipt(payload, this.signingKey ?? this.privateKey);
  }

  private emit(id: string, type: RequestEventType): void {
    const rec = this.requests.get(id)!;
    const event: RequestEvent = { seq: rec.events.length + 1, type, at: new Date().toISOString(), request: structuredClone(rec.request) };
    rec.events.push(event);
    for (const res of this.streams.get(id) ?? []) res.write(sse(event));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => resolve(data));
    });
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return this.error(res, 400, 'bad_request', 'not JSON');
    }
    this.calls.push({ method, path: url.pathname + url.search, headers: req.headers, body });

    const fault = this.faults.find((f) => f.times > 0 && f.match(method, url.pathname + url.search));
    if (fault) {
      fault.times--;
      if (fault.fault === 'hang') return; // never answers; the socket is destroyed on close()
      if (fault.fault === 'reset') return void req.socket.destroy();
      if (fault.fault === 'malformed') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "req_1", "status": ');
      res.writeHead(fault.fault.status, { 'content-type': 'application/json', ...fault.fault.headers });
      return void res.end(JSON.stringify(fault.fault.body ?? { error: { code: 'internal', message: `injected ${fault.fault.status}` } }));
    }

    const path = url.pathname;
    if (method === 'GET' && path === '/v1/health') return this.json(res, 200, { ok: true, version: 'fake' });
    if (method === 'GET' && path === '/v1/key') {
      const key = this.presentedKey ?? this.publicKey;
      return this.json(res, 200, { algorithm: 'ed25519', public_key: key.export({ format: 'der', type: 'spki' }).toString('base64'), key_id: keyId(key) });
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const who = token !== undefined ? PRINCIPALS[token] : undefined;
    if (!who) return this.error(res, 401, 'unauthenticated', 'bad token');
    if (method === 'GET' && path === '/v1/policy/env') return this.json(res, 200, { names: this.options.envNames ?? [] });
    if (method === 'POST' && path === '/v1/requests') return this.create(res, who, body as CreateRequestBody);
    if (method === 'GET' && path === '/v1/requests') {
      const status = url.searchParams.get('status');
      const list = [...this.requests.values()].map((r) => r.request).filter((r) => status === null || r.status === status);
      return this.json(res, 200, { requests: list });
    }
    const m = /^\/v1\/requests\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
    const rec = m ? this.requests.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !rec) return this.error(res, 404, 'not_found', 'no such request');
    const r = rec.request;
    const action = m[2];
    const b = (body ?? {}) as Record<string, string>;
    switch (`${method} ${action ?? ''}`) {
      case 'GET ':
        return this.json(res, 200, r);
      case 'GET events':
        return this.stream(req, res, r.id);
      case 'POST approve':
        if (who.kind !== 'human') return this.error(res, 403, 'agent_cannot_approve', 'agents cannot approve');
        if (who.name === r.requester.name) return this.error(res, 403, 'self_approval', 'you asked for this');
        if (!who.groups.some((g) => r.requirement.from.some((f) => f.group === g))) return this.error(res, 403, 'not_an_approver', `${who.name} is not in dba`);
        if (r.status !== 'pending') return this.error(res, 409, 'already_decided', `request is ${r.status}`);
        this.approve(r.id, who.name, b.comment);
        return this.json(res, 200, r);
      case 'POST deny':
        if (!b.reason) return this.error(res, 400, 'reason_required', 'say why');
        if (r.status !== 'pending') return this.error(res, 409, 'already_decided', `request is ${r.status}`);
        this.deny(r.id, who.name, b.reason);
        return this.json(res, 200, r);
      case 'POST ask':
        this.ask(r.id, who.name, b.question ?? '');
        return this.json(res, 200, r);
      case 'POST reply': {
        const q = r.questions.find((x) => x.id === b.question_id) ?? r.questions.at(-1);
        if (!q) return this.error(res, 400, 'bad_request', 'no question');
        r.questions = r.questions.map((x) => (x.id === q.id ? { ...x, answer: b.answer ?? '', answered_at: new Date().toISOString() } : x));
        this.emit(r.id, 'answer');
        return this.json(res, 200, r);
      }
      case 'POST cancel':
        if (r.status !== 'pending') return this.error(res, 409, 'already_decided', `request is ${r.status}`);
        this.cancel(r.id);
        return this.json(res, 200, r);
      case 'POST claim':
        if (this.refuseClaim) return this.error(res, 409, this.refuseClaim, 'claim refused');
        if (r.status !== 'approved' || r.receipt?.payload.receipt_id !== b.receipt_id) return this.error(res, 409, 'already_claimed', 'not claimable');
        r.status = 'executing';
        this.emit(r.id, 'executing');
        return this.json(res, 200, r);
      case 'POST outcome':
        r.status = 'executed';
        r.outcome = body as Req['outcome'];
        this.emit(r.id, 'executed');
        return this.json(res, 200, r);
      default:
        return this.error(res, 404, 'not_found', 'no such endpoint');
    }
  }

  private create(res: ServerResponse, who: Principal, body: CreateRequestBody): void {
    const id = `req_${String(++this.counter).padStart(4, '0')}`;
    const now = new Date();
    const requirement = body.client_decision.requirement;
    const request: Req = {
      id,
      status: 'pending',
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + requirement.expires_seconds * 1000).toISOString(),
      requester: who,
      command: body.command,
      command_digest: commandDigest(body.command, who.name),
      context: body.context,
      requirement,
      rules: body.client_decision.rules.map((rule) => ({ id: rule, decision: 'approve', source: 'client' })),
      approvals: [],
      questions: [],
      progress: '',
      url: `${this.url}/requests/${id}`,
    };
    request.progress = progress(request);
    this.requests.set(id, { request, events: [] });
    this.emit(id, 'created');
    this.json(res, 201, request);
    if (this.options.onCreate) setImmediate(() => this.options.onCreate!(this, id));
  }

  private stream(req: IncomingMessage, res: ServerResponse, id: string): void {
    const last = Number(req.headers['last-event-id'] ?? 0);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': hello\n\n');
    for (const event of this.requests.get(id)!.events) if (event.seq > last) res.write(sse(event));
    const set = this.streams.get(id) ?? new Set();
    this.streams.set(id, set.add(res));
    res.on('close', () => set.delete(res));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
    this.json(res, status, { error: { code, message } });
  }
}

function needed(r: Req): number {
  return Math.max(1, r.requirement.from.reduce((n, f) => n + f.count, 0));
}

function progress(r: Req): string {
  const group = r.requirement.from[0]?.group ?? 'anyone';
  return `${r.approvals.length} of ${needed(r)} approvals from ${group}`;
}

function sse(event: RequestEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
