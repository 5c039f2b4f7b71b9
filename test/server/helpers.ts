import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApprovalRequest, ClientDecision, CreateRequestBody, ErrorBody, PrincipalKind, RequestEvent } from '../../src/approval/protocol.js';
import { loadPolicy, type CompiledPolicy } from '../../src/policy/index.js';
import { createApp } from '../../src/server/app.js';
import { loadOrCreateServerKey, type ServerKeyPair } from '../../src/server/keys.js';
import { ApprovalService } from '../../src/server/service.js';
import { StreamRegistry } from '../../src/server/sse.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { createToken } from '../../src/server/tokens.js';

/** A fixed small policy for server tests (never the shipped ones). */
export const POLICY_YAML = `version: 1
defaults:
  unmatched: allow
  approval: { expires: 10m }
rules:
  - id: k8s-delete
    decision: approve
    message: Deleting in Kubernetes needs an SRE.
    program: kubectl
    subcommand: [delete]
    approval: { from: [{ group: sre }], expires: 10m }
  - id: pg-prod
    decision: approve
    program: psql
    env: { PGHOST: "*prod*" }
    approval: { from: [{ group: dba, count: 2 }, { group: security }], expires: 30m, reason_required: true }
  - id: deploy
    decision: approve
    program: deploy
    approval: { expires: 5m, on_behalf_may_approve: true }
  - id: rm-root
    decision: deny
    message: Never delete the root.
    program: rm
    args: ["/"]
  - id: agent-push
    decision: approve
    program: git
    subcommand: [push]
    requester: [agent]
  - id: soon
    decision: approve
    program: soon-lived
    approval: { expires: 4s }
  - id: short
    decision: approve
    program: short-lived
    approval: { expires: 1s }
`;

export interface TempDir {
  readonly path: string;
  cleanup(): void;
}

export function tempDir(prefix = 'gate-server-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export async function compilePolicyFile(dir: string, yaml = POLICY_YAML, name = 'policy.yaml'): Promise<{ file: string; policy: CompiledPolicy }> {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return { file, policy: await loadPolicy([file], { version: 'test' }) };
}

/** A movable clock for expiry tests. */
export class TestClock {
  constructor(public ms = Date.parse('2030-01-01T00:00:00.000Z')) {}
  readonly now = (): Date => new Date(this.ms);
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export interface Harness {
  readonly dir: string;
  readonly dbPath: string;
  readonly store: SqliteStore;
  readonly key: ServerKeyPair;
  readonly service: ApprovalService;
  readonly streams: StreamRegistry;
  readonly app: ReturnType<typeof createApp>;
  readonly clock: TestClock;
  /** Tokens by principal name. */
  readonly tokens: Record<string, string>;
  addPrincipal(name: string, kind: PrincipalKind, groups?: string[]): string;
  call<T = ApprovalRequest>(method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: T & Partial<ErrorBody> }>;
  close(): void;
}

/** The whole service in-process on a real SQLite file, with the standard principals. */
export async function harness(dir: string, options: { yaml?: string; receiptTtlSeconds?: number } = {}): Promise<Harness> {
  const { policy } = await compilePolicyFile(dir, options.yaml);
  const dbPath = join(dir, 'gate.db');
  const store = new SqliteStore(dbPath);
  const key = loadOrCreateServerKey(join(dir, 'server', 'server-key.pem'));
  const clock = new TestClock();
  const service = new ApprovalService({ store, policy, key, publicUrl: 'https://gate.example/', receiptTtlSeconds: options.receiptTtlSeconds ?? 300, clock: clock.now });
  const streams = new StreamRegistry();
  const app = createApp(service, streams, { version: 'test', logError: () => undefined });
  const tokens: Record<string, string> = {};
  const addPrincipal = (name: string, kind: PrincipalKind, groups: string[] = []): string => {
    tokens[name] = createToken(store, { name, kind, groups }, clock.now().toISOString()).token;
    return tokens[name]!;
  };
  addPrincipal('bot', 'agent');
  addPrincipal('ci-runner', 'ci');
  addPrincipal('dev', 'human', ['dev']);
  addPrincipal('alice', 'human', ['sre', 'dba']);
  addPrincipal('bob', 'human', ['sre']);
  addPrincipal('carol', 'human', ['dba', 'security']);
  addPrincipal('dave', 'human', ['dba']);
  addPrincipal('erin', 'human', ['security']);
  const call: Harness['call'] = async (method, path, token, body) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: text === '' ? ({} as never) : JSON.parse(text) };
  };
  return {
    dir,
    dbPath,
    store,
    key,
    service,
    streams,
    app,
    clock,
    tokens,
    addPrincipal,
    call,
    close: () => {
      service.stop();
      streams.closeAll();
      store.close();
    },
  };
}

export function clientDecision(decision: ClientDecision['decision'] = 'approve', overrides: Partial<ClientDecision> = {}): ClientDecision {
  return {
    decision,
    rules: decision === 'allow' ? [] : ['local-rule'],
    requirement: { from: [], expires_seconds: 900, reason_required: false, on_behalf_may_approve: false },
    policy_digest: 'sha256:client',
    ...overrides,
  };
}

/** A valid create body; pass argv and any part to change (one field at a time in negative tests). */
export function createBody(argv: string[], overrides: { context?: Partial<CreateRequestBody['context']>; client?: ClientDecision } = {}): CreateRequestBody {
  return {
    command: { argv, cwd: '/srv/app', host: 'build-1', program_path: `/usr/bin/${argv[0]}` },
    context: { os_user: 'dev', custom: {}, env: {}, gate_version: '0.1.0', ...overrides.context },
    client_decision: overrides.client ?? clientDecision('approve'),
  };
}

export interface SseClient {
  readonly status: Promise<number>;
  readonly events: RequestEvent[];
  /** Resolves when `count` events arrived in total. */
  waitFor(count: number, timeoutMs?: number): Promise<RequestEvent[]>;
  /** Resolves when the server ended the stream. */
  readonly ended: Promise<void>;
  readonly comments: string[];
  close(): void;
}

/** A minimal SSE reader over node:http (no agent pooling, so thousands can be open at once). */
export function openSse(baseUrl: string, path: string, token: string, lastEventId?: number): SseClient {
  const events: RequestEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  let response: IncomingMessage | undefined;
  let endedFlag = false;
  let resolveStatus!: (s: number) => void;
  let rejectStatus!: (e: Error) => void;
  let resolveEnded!: () => void;
  const status = new Promise<number>((res, rej) => ((resolveStatus = res), (rejectStatus = rej)));
  const ended = new Promise<void>((res) => (resolveEnded = res));
  const url = new URL(path, baseUrl);
  const req = httpRequest(url, {
    agent: false,
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}) },
  });
  req.on('response', (res) => {
    response = res;
    resolveStatus(res.statusCode ?? 0);
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let split: number;
      while ((split = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (data !== '') events.push(JSON.parse(data) as RequestEvent);
        else comments.push(block);
      }
      for (const wake of waiters) wake();
    });
    // 'close' also covers a connection the server dropped without ending the response (kill -9).
    res.on('close', () => {
      endedFlag = true;
      resolveEnded();
      for (const wake of waiters) wake();
    });
    res.on('error', () => undefined);
  });
  req.on('error', (error) => {
    rejectStatus(error);
    endedFlag = true;
    resolveEnded();
  });
  req.end();
  return {
    status,
    events,
    comments,
    ended,
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (events.length >= count) done();
          else if (endedFlag) done(new Error(`stream ended after ${events.length} of ${count} events`));
        };
        const timer = setTimeout(() => done(new Error(`timed out with ${events.length} of ${count} events`)), timeoutMs);
        const done = (error?: Error): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve(events.slice());
        };
        waiters.add(check);
        check();
      }),
    close: () => {
      response?.destroy();
      req.destroy();
    },
  };
}

/** JSON over real HTTP (fetch), for tests against a listener. */
export async function http<T = ApprovalRequest>(baseUrl: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T & Partial<ErrorBody> }> {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? ({} as never) : JSON.parse(text) };
}
