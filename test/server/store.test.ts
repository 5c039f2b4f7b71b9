import { build } from 'esbuild';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/server/store/driver.js';
import { MIGRATIONS } from '../../src/server/store/migrations.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { loadOrCreateServerKey } from '../../src/server/keys.js';
import { runStoreContract } from './store.contract.js';
import { pendingRecord, rendered } from './records.js';
import { tempDir, type TempDir } from './helpers.js';

runStoreContract('SqliteStore on a temp file', () => {
  const dir = tempDir('gate-store-');
  const file = join(dir.path, 'gate.db');
  return { open: () => new SqliteStore(file), cleanup: dir.cleanup };
});

describe('SqliteStore specifics', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir('gate-store-');
  });
  afterAll(() => dir.cleanup());

  it('creates an owner-only file in WAL mode with full sync and a schema version', () => {
    const file = join(dir.path, 'perm.db');
    new SqliteStore(file).close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const db = openDatabase(file);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT version FROM schema_version').get()).toEqual({ version: MIGRATIONS.length });
    } finally {
      db.close();
    }
  });

  it('refuses a database from a newer gate', () => {
    const file = join(dir.path, 'newer.db');
    new SqliteStore(file).close();
    const db = openDatabase(file);
    db.prepare('UPDATE schema_version SET version = 99').run();
    db.close();
    expect(() => new SqliteStore(file)).toThrow(/newer than this gate understands/);
  });
});

describe('two writers on one file (worker threads, separate connections)', () => {
  let dir: TempDir;
  let workerFile: string;
  beforeAll(async () => {
    dir = tempDir('gate-race-');
    // Inside the repo so the bundle's createRequire finds better-sqlite3 in node_modules.
    const outdir = join(process.cwd(), 'node_modules', '.cache', 'gate-server-tests');
    mkdirSync(outdir, { recursive: true });
    workerFile = join(outdir, `race-worker-${process.pid}.mjs`);
    await build({ entryPoints: [join(__dirname, 'fixtures', 'race-worker.ts')], bundle: true, platform: 'node', format: 'esm', outfile: workerFile, logLevel: 'warning' });
  });
  afterAll(() => {
    rmSync(workerFile, { force: true });
    dir.cleanup();
  });

  it('racing approvals produce exactly one decision per request', async () => {
    const file = join(dir.path, 'race.db');
    const store = new SqliteStore(file);
    const bot = store.addPrincipal({ name: 'bot', kind: 'agent', groups: [], tokenHash: 'b' }, 't');
    const alice = store.addPrincipal({ name: 'alice', kind: 'human', groups: [], tokenHash: 'a' }, 't');
    const bob = store.addPrincipal({ name: 'bob', kind: 'human', groups: [], tokenHash: 'c' }, 't');
    const ids = Array.from({ length: 40 }, (_, i) => `req_race${i}`);
    const far = new Date(Date.now() + 3_600_000).toISOString();
    for (const id of ids) store.insertRequest(rendered(pendingRecord(id, bot, { expiresAt: far }), ['created']));
    const keyPem = loadOrCreateServerKey(join(dir.path, 'key.pem')).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const barrier = new SharedArrayBuffer(4 * ids.length);
    const run = (approver: typeof alice) =>
      new Promise<{ id: string; result: string }[]>((resolve, reject) => {
        const worker = new Worker(workerFile, { workerData: { file, ids, approver, keyPem, barrier } });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    const [a, b] = await Promise.all([run(alice), run(bob)]);
    for (const [i, id] of ids.entries()) {
      const outcomes = [a[i]!.result, b[i]!.result].sort();
      expect(outcomes, id).toEqual(['already_decided', 'approved']);
      const record = store.getRequest(id)!;
      expect(record.status).toBe('approved');
      expect(record.approvals).toHaveLength(1);
      expect(record.receipt?.payload.approvers.map((x) => x.name)).toEqual([record.approvals[0]!.approver]);
      expect(store.eventsAfter(id, 0).map((e) => `${e.seq}:${e.type}`)).toEqual(['1:created', '2:approval', '3:approved']);
    }
    // Each side won some rounds: the writers really raced (40 rounds started on a barrier).
    expect(new Set(ids.map((id) => store.getRequest(id)!.approvals[0]!.approver)).size).toBe(2);
    store.close();
  });
});
