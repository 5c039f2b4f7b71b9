import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/server/ids.js';
import { openDatabase, type Database } from '../../src/server/store/driver.js';
import { MIGRATIONS } from '../../src/server/store/migrations.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { createToken } from '../../src/server/tokens.js';
import { WebStore } from '../../src/server/web/store.js';
import { tempDir, type TempDir } from '../server/helpers.js';

// The web tables on a real SQLite file: secrets are kept hashed, links work once, sessions end.

let dir: TempDir;
let store: SqliteStore;
let web: WebStore;
let raw: Database;
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const ids: Record<string, string> = {};

beforeEach(() => {
  dir = tempDir('gate-web-store-');
  const file = join(dir.path, 'gate.db');
  store = new SqliteStore(file);
  web = new WebStore(file);
  raw = openDatabase(file);
  for (const [name, kind] of [['alice', 'human'], ['bot', 'agent']] as const) ids[name] = createToken(store, { name, kind, groups: [] }, new Date(T0).toISOString()).principal.id;
});
afterEach(() => {
  raw.close();
  web.close();
  store.close();
  dir.cleanup();
});

describe('WebStore', () => {
  it('is migration 2 of the store schema, and keeps only hashes of session ids and link tokens', () => {
    expect((raw.prepare('SELECT version FROM schema_version').get() as { version: number }).version).toBe(MIGRATIONS.length);
    const id = web.createSession(ids.alice!, T0);
    const { token } = web.createLink('alice', 600, T0);
    const sessions = raw.prepare('SELECT hash FROM web_sessions').all() as { hash: string }[];
    const links = raw.prepare('SELECT hash FROM signin_links').all() as { hash: string }[];
    expect(sessions).toEqual([{ hash: hashToken(id) }]);
    expect(links).toEqual([{ hash: hashToken(token) }]);
    const dump = JSON.stringify([raw.prepare('SELECT * FROM web_sessions').all(), raw.prepare('SELECT * FROM signin_links').all()]);
    expect(dump).not.toContain(id);
    expect(dump).not.toContain(token);
  });

  it('finds a live session, refreshes its idle time at most once a minute, and ends it', () => {
    const id = web.createSession(ids.alice!, T0);
    expect(web.session(id, T0 + 1000)?.principal.name).toBe('alice');
    const seen = () => (raw.prepare('SELECT seen_ms FROM web_sessions').get() as { seen_ms: number }).seen_ms;
    expect(seen()).toBe(T0);
    web.session(id, T0 + 61_000);
    expect(seen()).toBe(T0 + 61_000);
    expect(web.session('x'.repeat(43), T0)).toBeUndefined();
    web.endSession(id);
    expect(web.session(id, T0 + 62_000)).toBeUndefined();
  });

  it('purges dead sessions when a new one starts', () => {
    web.createSession(ids.alice!, T0);
    web.createSession(ids.alice!, T0 + 13 * 3_600_000);
    expect((raw.prepare('SELECT COUNT(*) AS n FROM web_sessions').get() as { n: number }).n).toBe(1);
  });

  it('uses a link up exactly once, and not after it expired', () => {
    const { token, expiresMs } = web.createLink('alice', 600, T0);
    expect(expiresMs).toBe(T0 + 600_000);
    expect(web.consumeLink(token, T0 + 1000)).toMatchObject({ ok: true, principal: { name: 'alice' } });
    expect(web.consumeLink(token, T0 + 2000)).toEqual({ ok: false, reason: 'used' });
    const late = web.createLink('alice', 600, T0).token;
    expect(web.consumeLink(late, T0 + 600_000)).toEqual({ ok: false, reason: 'expired' });
    expect(web.consumeLink('y'.repeat(43), T0)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('makes links only for active humans, for at most a day', () => {
    expect(() => web.createLink('bot', 600, T0)).toThrow(/agent principal: only humans sign in/);
    expect(() => web.createLink('nobody', 600, T0)).toThrow(/no active principal named nobody/);
    expect(() => web.createLink('alice', 86_401, T0)).toThrow(/between 1s and 24h/);
    expect(() => web.createLink('alice', 0, T0)).toThrow(/between 1s and 24h/);
  });
});
