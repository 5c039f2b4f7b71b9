import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { createToken } from '../../src/server/tokens.js';
import { clientDecision, compilePolicyFile, createBody, http, openSse, tempDir, type SseClient, type TempDir } from './helpers.js';

const STREAMS = 2000;

let dir: TempDir;
let server: RunningServer;
let bot: string;
let bob: string;

beforeAll(async () => {
  dir = tempDir();
  const { policy } = await compilePolicyFile(dir.path);
  const dbPath = join(dir.path, 'gate.db');
  const store = new SqliteStore(dbPath);
  bot = createToken(store, { name: 'bot', kind: 'agent', groups: [] }, 't').token;
  bob = createToken(store, { name: 'bob', kind: 'human', groups: ['sre'] }, 't').token;
  store.close();
  server = await startServer({ host: '127.0.0.1', port: 0, dbPath, keyPath: join(dir.path, 'key.pem'), policy, receiptTtlSeconds: 300, version: 'test' });
});
afterAll(async () => {
  await server.close();
  dir.cleanup();
});

it(`holds ${STREAMS} concurrent event streams and delivers one decision to all of them`, { timeout: 120_000 }, async () => {
  const created = await http(server.url, 'POST', '/v1/requests', bot, createBody(['kubectl', 'delete', 'ns', 'x'], { client: clientDecision('allow') }));
  const id = created.body.id;
  const clients: SseClient[] = [];
  // Open in batches: thousands of simultaneous SYNs would only test the kernel's accept backlog.
  for (let i = 0; i < STREAMS; i += 250) {
    const batch = Array.from({ length: Math.min(250, STREAMS - i) }, (_, j) => openSse(server.url, `/v1/requests/${id}/events`, (i + j) % 2 === 0 ? bot : bob));
    clients.push(...batch);
    await Promise.all(batch.map((c) => c.waitFor(1, 60_000)));
  }
  expect(clients.every((c) => c.events.length === 1 && c.events[0]!.type === 'created')).toBe(true);
  expect(server.streams.size).toBe(STREAMS);
  expect(server.service.hub.subscribers(id)).toBe(STREAMS);

  const denied = await http(server.url, 'POST', `/v1/requests/${id}/deny`, bob, { reason: 'load test' });
  expect(denied.status).toBe(200);
  await Promise.all(clients.map((c) => c.ended));
  expect(clients.every((c) => c.events.map((e) => e.type).join() === 'created,denied')).toBe(true);
  expect(server.streams.size).toBe(0);
  expect(server.service.hub.subscribers(id)).toBe(0);
});
