import { verify as verifySignature } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRequest, CheckpointList, HostLogs, LogHeadWire, SignedCheckpoint } from '../../src/approval/protocol.js';
import { signHead } from '../../src/audit/anchor/head-signature.js';
import { newKey } from '../fixtures/audit/realistic-log.js';
import { canonicalBytes } from '../../src/audit/canonical.js';
import { splitLines } from '../../src/audit/log/line.js';
import type { AuditRecord } from '../../src/audit/log/record.js';
import { verifyLog } from '../../src/audit/log/verify.js';
import { openDatabase } from '../../src/server/store/driver.js';
import type { JsonValue } from '../../src/json.js';
import { createApp } from '../../src/server/app.js';
import { LATE_HEAD_GRACE_MS } from '../../src/server/audit-heads.js';
import { loadOrCreateServerKey, type ServerKeyPair } from '../../src/server/keys.js';
import { ApprovalService } from '../../src/server/service.js';
import { StreamRegistry } from '../../src/server/sse.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { StoreError } from '../../src/server/store/store.js';
import { createToken } from '../../src/server/tokens.js';
import { compilePolicyFile, createBody, TestClock, tempDir, type TempDir } from './helpers.js';
import { runStoreContract } from './store.contract.js';

// The approval service's audit side, in-process on a real SQLite file with the server key:
// anchored heads and their signed checkpoints, conflict flags, and the service's own signed log.

// Hosts' audit keys: a head is anchored only when signed by the key of its log.
const LOG_KEY = newKey();
const OTHER_KEY = newKey();
const DB_KEY = newKey();
const LOG = LOG_KEY.keyId;
const OTHER_LOG = OTHER_KEY.keyId;
const KEYS = new Map([LOG_KEY, OTHER_KEY, DB_KEY].map((k) => [k.keyId, k]));

/** A head as a host states it: signed by its log's key, dated by the service's (test) clock. */
const head = (seq: number, h: string, log = LOG): LogHeadWire => signHead({ seq, hash: h }, KEYS.get(log)!, s.clock.now());
const hash = (c: string): string => c.repeat(64);

interface Setup {
  readonly dbPath: string;
  readonly key: ServerKeyPair;
  readonly store: SqliteStore;
  readonly clock: TestClock;
  readonly logLines: string[];
  readonly tokens: Record<string, string>;
  call<T = Record<string, unknown>>(method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: T & { error?: { code: string; message: string } }; text: string; headers: Headers }>;
  close(): void;
}

// A store that keeps the service log must still honour every guarantee of the Store contract.
runStoreContract('SqliteStore with the server key (service log on)', () => {
  const d = tempDir('gate-store-keyed-');
  const file = join(d.path, 'gate.db');
  const key = loadOrCreateServerKey(join(d.path, 'server-key.pem'));
  return { open: () => new SqliteStore(file, { auditKey: key }), cleanup: d.cleanup };
});

let dir: TempDir;
let s: Setup;

async function setup(path: string): Promise<Setup> {
  const { policy } = await compilePolicyFile(path);
  const dbPath = join(path, 'gate.db');
  const key = loadOrCreateServerKey(join(path, 'server', 'server-key.pem'));
  const store = new SqliteStore(dbPath, { auditKey: key });
  const clock = new TestClock();
  const logLines: string[] = [];
  const service = new ApprovalService({ store, policy, key, publicUrl: 'https://gate.example/', receiptTtlSeconds: 300, clock: clock.now, log: (l) => logLines.push(l) });
  const streams = new StreamRegistry();
  const app = createApp(service, streams, { version: 'test', logError: () => undefined });
  const tokens: Record<string, string> = {};
  for (const [name, kind, groups] of [
    ['bot', 'agent', []],
    ['alice', 'human', ['sre']],
    ['audra', 'human', ['auditor']],
    ['robo-auditor', 'agent', ['auditor']],
  ] as const) {
    tokens[name] = createToken(store, { name, kind, groups: [...groups] }, clock.now().toISOString()).token;
  }
  return {
    dbPath,
    key,
    store,
    clock,
    logLines,
    tokens,
    call: async (method, path, token, body) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const res = await app.request(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      const json = res.headers.get('content-type')?.startsWith('application/json') === true && text !== '' ? JSON.parse(text) : {};
      return { status: res.status, body: json, text, headers: res.headers };
    },
    close: () => {
      service.stop();
      streams.closeAll();
      store.close();
    },
  };
}

beforeEach(async () => {
  dir = tempDir('gate-audit-server-');
  s = await setup(dir.path);
});
afterEach(() => {
  s.close();
  dir.cleanup();
});

const anchor = (seq: number, h: string, token = s.tokens.bot, log = LOG, host = 'web-01') =>
  s.call<{ checkpoint: SignedCheckpoint }>('POST', '/v1/audit/heads', token, { ...head(seq, h, log), host });

/** Checks a checkpoint with node:crypto alone: Ed25519 over the RFC 8785 bytes of its payload. */
const signedByServer = (c: SignedCheckpoint): boolean =>
  verifySignature(null, canonicalBytes(c.payload as unknown as JsonValue), s.key.publicKey, Buffer.from(c.signature, 'base64'));

const downloadLog = async (token = s.tokens.audra): Promise<Buffer> => {
  const res = await s.call('GET', '/v1/audit/log', token);
  expect(res.status, res.text).toBe(200);
  // app.request gives text; the lines are ASCII JSON + base64, so the bytes round-trip exactly.
  return Buffer.from(res.text, 'utf8');
};
const records = (bytes: Buffer): AuditRecord[] => splitLines(bytes).lines.map((l) => JSON.parse(l.subarray(0, l.indexOf(0x09)).toString('utf8')) as AuditRecord);

describe('anchoring: POST /v1/audit/heads', () => {
  it('stores the head and answers with a checkpoint signed by the server key, listed by GET /v1/audit/heads/:log_id', async () => {
    const res = await anchor(7, hash('a'));
    expect(res.status, res.text).toBe(200);
    const { checkpoint } = res.body;
    expect(checkpoint.payload).toEqual({
      type: 'gate.audit.checkpoint',
      v: 1,
      log_id: LOG,
      host: 'web-01',
      seq: 7,
      hash: hash('a'),
      by: 'bot',
      received_at: '2030-01-01T00:00:00.000Z',
      key_id: s.key.keyId,
    });
    expect(signedByServer(checkpoint)).toBe(true);
    // One changed field and the signature no longer holds.
    expect(signedByServer({ ...checkpoint, payload: { ...checkpoint.payload, seq: 8 } })).toBe(false);

    const list = await s.call<CheckpointList>('GET', `/v1/audit/heads/${LOG}`, s.tokens.alice);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ log_id: LOG, checkpoints: [checkpoint] });
  });

  it('a head sent again is answered with its first checkpoint and not stored twice', async () => {
    const first = (await anchor(3, hash('b'))).body.checkpoint;
    s.clock.advance(600);
    const again = (await anchor(3, hash('b'), s.tokens.alice)).body.checkpoint;
    expect(again).toEqual(first);
    expect((await s.call<CheckpointList>('GET', `/v1/audit/heads/${LOG}`, s.tokens.bot)).body.checkpoints).toHaveLength(1);
  });

  it('a different hash at an anchored seq is stored as forked, logged, and still answered', async () => {
    await anchor(5, hash('a'));
    s.clock.advance(1);
    const res = await anchor(5, hash('b'));
    expect(res.status).toBe(200);
    expect(res.body.checkpoint.payload.conflict).toEqual({ kind: 'forked', seq: 5, hash: hash('a'), received_at: '2030-01-01T00:00:00.000Z' });
    expect(signedByServer(res.body.checkpoint)).toBe(true);
    expect(s.logLines.some((l) => l.includes(`log ${LOG}`) && l.includes('forked'))).toBe(true);
  });

  it('a lower seq is regressed once the grace for concurrent reporters has passed, not before', async () => {
    await anchor(10, hash('a'));
    s.clock.advance(5);
    const racing = await anchor(9, hash('c'));
    expect(racing.body.checkpoint.payload.conflict).toBeUndefined();
    s.clock.advance(LATE_HEAD_GRACE_MS / 1000 + 1);
    const cut = await anchor(4, hash('d'));
    expect(cut.body.checkpoint.payload.conflict).toEqual({ kind: 'regressed', seq: 10, hash: hash('a'), received_at: '2030-01-01T00:00:00.000Z' });
    // Going forward again is no conflict.
    expect((await anchor(11, hash('e'))).body.checkpoint.payload.conflict).toBeUndefined();
  });

  it('lists checkpoints in pages, in the order received, with a cursor to the next page', async () => {
    for (const [i, c] of ['a', 'b', 'c', 'd', 'e'].entries()) await anchor(i, hash(c));
    const seqs = (page: { readonly checkpoints: readonly SignedCheckpoint[] }): number[] => page.checkpoints.map((c) => c.payload.seq);
    const first = s.store.audit.checkpoints(LOG, 0, 2);
    expect([seqs(first), first.next]).toEqual([[0, 1], 2]);
    const second = s.store.audit.checkpoints(LOG, first.next!, 2);
    const third = s.store.audit.checkpoints(LOG, second.next!, 2);
    expect([seqs(second), seqs(third), third.next]).toEqual([[2, 3], [4], undefined]);
    const res = await s.call<CheckpointList>('GET', `/v1/audit/heads/${LOG}?after=${first.next}`, s.tokens.bot);
    expect(seqs(res.body)).toEqual([2, 3, 4]);
    expect(res.body.next).toBeUndefined();
  });

  it('refuses a malformed head with 400 and an unauthenticated one with 401', async () => {
    const bad = await s.call('POST', '/v1/audit/heads', s.tokens.bot, { log_id: 'nope', seq: -1, hash: 'x', host: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/log_id.*seq.*hash.*host/);
    expect((await s.call('POST', '/v1/audit/heads', undefined, { ...head(1, hash('a')), host: 'h' })).status).toBe(401);
    expect((await s.call('GET', '/v1/audit/heads/NOT-A-LOG', s.tokens.bot)).status).toBe(400);
  });

  it('anchors only heads signed by the key of their log, dated near the service clock (nobody else can plant heads)', async () => {
    const post = (body: unknown) => s.call('POST', '/v1/audit/heads', s.tokens.bot, body);
    const good = head(3, hash('a'));
    // Another host's key claiming this log; a key that does not match the log id; a changed seq; a stale statement.
    const forged = { ...signHead({ seq: 3, hash: hash('a') }, OTHER_KEY, s.clock.now()), log_id: LOG, host: 'web-01' };
    const wrongKey = { ...good, public_key: OTHER_KEY.spki, host: 'web-01' };
    const changed = { ...good, seq: 4, host: 'web-01' };
    const stale = { ...signHead({ seq: 3, hash: hash('a') }, LOG_KEY, new Date(s.clock.now().getTime() - 301_000)), host: 'web-01' };
    for (const body of [forged, wrongKey, changed, stale]) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error?.message).toMatch(/log head refused/);
    }
    expect(s.store.audit.checkpoints(LOG, 0, 10).checkpoints).toEqual([]);
    // Along with a request, a bad head is not anchored, and the request goes ahead.
    const created = await s.call<ApprovalRequest & { checkpoint?: SignedCheckpoint }>('POST', '/v1/requests', s.tokens.bot, { ...createBody(['kubectl', 'delete', 'ns', 'x']), log_head: { ...good, seq: 4 } });
    expect(created.status).toBe(201);
    expect(created.body.checkpoint).toBeUndefined();
    expect((await post({ ...good, host: 'web-01' })).status).toBe(200);
  });

  it('GET /v1/audit/hosts/:host lists every log anchored for the host with its highest checkpoint', async () => {
    await anchor(1, hash('a'));
    s.clock.advance(60);
    await anchor(4, hash('b'));
    s.clock.advance(60);
    await anchor(0, hash('c'), s.tokens.bot, OTHER_LOG);
    await anchor(9, hash('d'), s.tokens.bot, DB_KEY.keyId, 'db-01');
    const res = await s.call<HostLogs>('GET', '/v1/audit/hosts/web-01', s.tokens.alice);
    expect(res.status).toBe(200);
    expect(res.body.logs.map((l) => [l.log_id, l.first_received_at, l.checkpoints, l.latest.payload.seq])).toEqual([
      [LOG, '2030-01-01T00:00:00.000Z', 2, 4],
      [OTHER_LOG, '2030-01-01T00:02:00.000Z', 1, 0],
    ]);
    expect(res.body.logs.every((l) => signedByServer(l.latest))).toBe(true);
  });

  it('a create and an outcome carrying log_head are anchored (host from the command) and the head is not kept in the request', async () => {
    const created = await s.call<ApprovalRequest & { checkpoint: SignedCheckpoint }>('POST', '/v1/requests', s.tokens.bot, {
      ...createBody(['kubectl', 'delete', 'ns', 'x']),
      log_head: head(2, hash('a')),
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.checkpoint.payload).toMatchObject({ log_id: LOG, seq: 2, host: 'build-1', by: 'bot' });
    expect(signedByServer(created.body.checkpoint)).toBe(true);
    const id = created.body.id;
    expect((await s.call('POST', `/v1/requests/${id}/approve`, s.tokens.alice, {})).status).toBe(200);
    const approved = await s.call<ApprovalRequest>('GET', `/v1/requests/${id}`, s.tokens.bot);
    await s.call('POST', `/v1/requests/${id}/claim`, s.tokens.bot, { receipt_id: approved.body.receipt!.payload.receipt_id });
    const done = await s.call<ApprovalRequest & { checkpoint: SignedCheckpoint }>('POST', `/v1/requests/${id}/outcome`, s.tokens.bot, {
      exit_code: 0,
      duration_ms: 12,
      log_head: head(4, hash('b')),
    });
    expect(done.status, done.text).toBe(200);
    expect(done.body.checkpoint.payload).toMatchObject({ seq: 4, host: 'build-1' });
    expect(done.body.outcome).toEqual({ exit_code: 0, duration_ms: 12 });
    expect((await s.call<ApprovalRequest>('GET', `/v1/requests/${id}`, s.tokens.bot)).body.outcome).toEqual({ exit_code: 0, duration_ms: 12 });
    expect((await s.call<CheckpointList>('GET', `/v1/audit/heads/${LOG}`, s.tokens.bot)).body.checkpoints.map((c) => c.payload.seq)).toEqual([2, 4]);
  });
});

describe("the service's own log: GET /v1/audit/log", () => {
  it('holds every principal change, request event and anchored head, and verifies as a gate audit log with the server key', async () => {
    const created = await s.call<ApprovalRequest>('POST', '/v1/requests', s.tokens.bot, { ...createBody(['kubectl', 'delete', 'ns', 'x']), log_head: head(0, hash('a')) });
    await s.call('POST', `/v1/requests/${created.body.id}/deny`, s.tokens.alice, { reason: 'not now' });
    await anchor(0, hash('f')); // forked: recorded with its conflict
    s.store.revokePrincipal('robo-auditor', s.clock.now().toISOString());

    const bytes = await downloadLog();
    const report = verifyLog(bytes, { publicKey: s.key.publicKey, serverKeys: new Set() });
    expect(report.problems).toEqual([]);
    expect(report.log).toBe(s.key.keyId);
    const recs = records(bytes);
    expect(recs.map((r) => r.event)).toEqual([
      'log.opened',
      'service.principal',
      'service.principal',
      'service.principal',
      'service.principal',
      'service.event',
      'service.head',
      'service.event',
      'service.head',
      'service.principal',
    ]);
    expect(recs[0]!.data).toMatchObject({ public_key: s.key.spki });
    expect(recs.filter((r) => r.event === 'service.event').map((r) => [(r.data as { type: string }).type, (r.data as { request_id: string }).request_id])).toEqual([
      ['created', created.body.id],
      ['denied', created.body.id],
    ]);
    expect((recs[8]!.data as { conflict?: string }).conflict).toMatch(/^forked/);
    expect(recs[9]!.data).toMatchObject({ action: 'revoked', name: 'robo-auditor' });
  });

  it('tampering with one stored row is detected', async () => {
    await s.call('POST', '/v1/requests', s.tokens.bot, createBody(['kubectl', 'delete', 'ns', 'x']));
    const db = openDatabase(s.dbPath);
    try {
      const row = db.prepare('SELECT seq, line FROM service_log WHERE seq = 3').get() as { seq: number; line: Buffer };
      db.prepare('UPDATE service_log SET line = ? WHERE seq = 3').run(Buffer.from(row.line.toString('utf8').replace('"audra"', '"mallory"'), 'utf8'));
    } finally {
      db.close();
    }
    const report = verifyLog(await downloadLog(), { publicKey: s.key.publicKey, serverKeys: new Set() });
    expect(report.problems.map((p) => [p.code, p.seq])).toEqual([
      ['bad_signature', 3],
      ['chain_break', 4],
    ]);
  });

  it('pages by after_seq and limit, with the log id and head in headers; pages concatenate to the whole log', async () => {
    await anchor(1, hash('a'));
    await anchor(2, hash('b'));
    const whole = await downloadLog();
    const total = splitLines(whole).lines.length;
    const pages: Buffer[] = [];
    let after = -1;
    for (;;) {
      const res = await s.call('GET', `/v1/audit/log?after_seq=${after}&limit=2`, s.tokens.audra);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(res.headers.get('x-gate-log-id')).toBe(s.key.keyId);
      expect(res.headers.get('x-gate-log-head')).toBe(String(total - 1));
      if (res.text === '') {
        expect(res.headers.get('x-gate-last-seq')).toBeNull();
        break;
      }
      expect(splitLines(Buffer.from(res.text)).lines.length).toBeLessThanOrEqual(2);
      after = Number(res.headers.get('x-gate-last-seq'));
      pages.push(Buffer.from(res.text));
    }
    expect(Buffer.concat(pages).equals(whole)).toBe(true);
    expect((await s.call('GET', '/v1/audit/log?limit=0', s.tokens.audra)).status).toBe(400);
    expect((await s.call('GET', '/v1/audit/log?after_seq=x', s.tokens.audra)).status).toBe(400);
  });

  it.each([
    ['a human outside group auditor', 'alice'],
    ['an agent, even in group auditor', 'robo-auditor'],
  ])('refuses %s with 403 and says who may read it', async (_, who) => {
    const res = await s.call('GET', '/v1/audit/log', s.tokens[who]);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden' });
    expect(res.body.error?.message).toContain('group "auditor"');
  });
});

describe('the store and its key', () => {
  it('writes a record in the same transaction as the change: a change whose record cannot be written is not committed', () => {
    // A lone surrogate has no canonical (UTF-8) form, so the record cannot be signed.
    expect(() => s.store.addPrincipal({ name: 'bad\ud800', kind: 'human', groups: [], tokenHash: 'h-bad' }, s.clock.now().toISOString())).toThrow(TypeError);
    expect(s.store.principalByTokenHash('h-bad')).toBeUndefined();
    expect(s.store.listPrincipals().map((p) => p.name)).not.toContain('bad\ud800');
  });

  it('a store opened without the key refuses to change a database that keeps a log; one with another key refuses to open', () => {
    const keyless = new SqliteStore(s.dbPath);
    try {
      expect(keyless.listPrincipals().length).toBeGreaterThan(0);
      expect(() => keyless.addPrincipal({ name: 'x', kind: 'human', groups: [], tokenHash: 'h-x' }, s.clock.now().toISOString())).toThrow(StoreError);
      expect(keyless.principalByTokenHash('h-x')).toBeUndefined();
    } finally {
      keyless.close();
    }
    const other = loadOrCreateServerKey(join(dir.path, 'other', 'key.pem'));
    expect(() => new SqliteStore(s.dbPath, { auditKey: other })).toThrow(/signed by key .*, not by this server key/);
  });
});
