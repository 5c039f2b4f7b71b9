import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../src/approval/protocol.js';
import { createApp } from '../../src/server/app.js';
import { createToken } from '../../src/server/tokens.js';
import { listen, type Listening } from '../../src/server/listen.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { StreamRegistry } from '../../src/server/sse.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { clientDecision, compilePolicyFile, createBody, harness, http, openSse, tempDir, type TempDir } from './helpers.js';

/** A real listener on 127.0.0.1:0 with the real clock. */
let dir: TempDir;
let server: RunningServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  dir = tempDir();
  const { policy } = await compilePolicyFile(dir.path);
  const dbPath = join(dir.path, 'gate.db');
  const store = new SqliteStore(dbPath);
  for (const [name, kind, groups] of [
    ['bot', 'agent', []],
    ['alice', 'human', ['sre']],
    ['bob', 'human', ['sre']],
  ] as const) {
    tokens[name] = createToken(store, { name, kind, groups: [...groups] }, new Date().toISOString()).token;
  }
  store.close();
  server = await startServer({ host: '127.0.0.1', port: 0, dbPath, keyPath: join(dir.path, 'key.pem'), policy, receiptTtlSeconds: 300, version: 'test' });
});
afterAll(async () => {
  await server.close();
  dir.cleanup();
});

const create = async (argv = ['kubectl', 'delete', 'ns', 'x']): Promise<ApprovalRequest> => {
  const res = await http(server.url, 'POST', '/v1/requests', tokens.bot!, createBody(argv, { client: clientDecision('allow') }));
  expect(res.status).toBe(201);
  return res.body;
};
const act = (id: string, action: string, who: string, body: unknown = {}) => http(server.url, 'POST', `/v1/requests/${id}/${action}`, tokens[who]!, body);

describe('event stream', () => {
  it('replays, pushes live events, and ends after a final one', async () => {
    const r = await create();
    await act(r.id, 'ask', 'alice', { question: 'why?' });
    const sse = openSse(server.url, `/v1/requests/${r.id}/events`, tokens.bot!);
    expect(await sse.status).toBe(200);
    await sse.waitFor(2);
    await act(r.id, 'reply', 'bot', { answer: 'because' });
    await sse.waitFor(3);
    await act(r.id, 'deny', 'bob', { reason: 'no' });
    await sse.ended;
    expect(sse.events.map((e) => `${e.seq}:${e.type}:${e.request.status}`)).toEqual(['1:created:pending', '2:question:pending', '3:answer:pending', '4:denied:denied']);
    expect(sse.comments[0]).toBe(': connected');
    expect(server.service.hub.subscribers(r.id)).toBe(0);
  });

  it('with Last-Event-ID, replays exactly the missed events', async () => {
    const r = await create();
    await act(r.id, 'ask', 'alice', { question: 'q1' });
    await act(r.id, 'ask', 'bob', { question: 'q2' });
    const sse = openSse(server.url, `/v1/requests/${r.id}/events`, tokens.alice!, 2);
    await sse.waitFor(1);
    await act(r.id, 'approve', 'bob');
    await sse.waitFor(3);
    expect(sse.events.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(sse.events.map((e) => e.type)).toEqual(['question', 'approval', 'approved']);
    sse.close();
  });

  it('a stream on a finished request replays and ends; nothing missed means it ends at once', async () => {
    const r = await create();
    await act(r.id, 'cancel', 'bot');
    const all = openSse(server.url, `/v1/requests/${r.id}/events`, tokens.bot!);
    await all.ended;
    expect(all.events.map((e) => e.type)).toEqual(['created', 'cancelled']);
    const none = openSse(server.url, `/v1/requests/${r.id}/events`, tokens.bot!, 2);
    await none.ended;
    expect(none.events).toEqual([]);
  });

  it('only the requester or an eligible approver may subscribe', async () => {
    const r = await create();
    const other = await http(server.url, 'POST', '/v1/requests', tokens.alice!, createBody(['kubectl', 'delete', 'pod', 'p'], { client: clientDecision('allow') }));
    const sse = openSse(server.url, `/v1/requests/${other.body.id}/events`, tokens.bot!);
    expect(await sse.status).toBe(403);
    sse.close();
    const res = await fetch(new URL(`/v1/requests/${r.id}/events`, server.url));
    expect(res.status).toBe(401);
  });

  it('a disconnecting client leaves nothing subscribed', async () => {
    const r = await create();
    const sse = openSse(server.url, `/v1/requests/${r.id}/events`, tokens.bot!);
    await sse.waitFor(1);
    expect(server.service.hub.subscribers(r.id)).toBe(1);
    sse.close();
    await expect.poll(() => server.service.hub.subscribers(r.id)).toBe(0);
  });

  it('expires a pending request by timer, with no read needed', async () => {
    const res = await http(server.url, 'POST', '/v1/requests', tokens.bot!, createBody(['short-lived'], { client: clientDecision('allow') }));
    expect(res.body.status).toBe('pending');
    const sse = openSse(server.url, `/v1/requests/${res.body.id}/events`, tokens.bot!);
    await sse.ended;
    expect(sse.events.map((e) => `${e.type}:${e.request.status}`)).toEqual(['created:pending', 'expired:expired']);
  });
});

describe('racing approvers on a real listener', () => {
  it('exactly one decision and one approved event per request', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await create();
      const results = await Promise.all([act(r.id, 'approve', 'alice'), act(r.id, 'approve', 'bob')]);
      expect(results.map((x) => x.status).sort()).toEqual([200, 409]);
      expect(results.find((x) => x.status === 409)?.body.error?.code).toBe('already_decided');
      const got = await http(server.url, 'GET', `/v1/requests/${r.id}`, tokens.bot!);
      expect(got.body.approvals).toHaveLength(1);
      const sse = openSse(server.url, `/v1/requests/${r.id}/events`, tokens.bot!);
      await sse.waitFor(3);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sse.events.map((e) => e.type)).toEqual(['created', 'approval', 'approved']);
      sse.close();
    }
  });
});

describe('heartbeat', () => {
  let d: TempDir;
  let listening: Listening;
  let close: () => void;
  let token: string;
  let id: string;
  beforeAll(async () => {
    d = tempDir();
    const h = await harness(d.path);
    const app = createApp(h.service, new StreamRegistry(50), { version: 'test' });
    listening = await listen((req) => app.fetch(req), '127.0.0.1', 0);
    close = h.close;
    token = h.tokens.bot!;
    id = (await h.call('POST', '/v1/requests', token, createBody(['kubectl', 'delete', 'ns', 'x']))).body.id;
  });
  afterAll(async () => {
    await listening.close(100);
    close();
    d.cleanup();
  });

  it('sends comment heartbeats on an idle stream', async () => {
    const sse = openSse(listening.url, `/v1/requests/${id}/events`, token);
    await sse.waitFor(1);
    await expect.poll(() => sse.comments.filter((c) => c === ': heartbeat').length, { timeout: 2000 }).toBeGreaterThanOrEqual(2);
    sse.close();
  });
});
