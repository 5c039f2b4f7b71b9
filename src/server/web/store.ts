import type { PrincipalKind } from '../../approval/protocol.js';
import { GateError } from '../../errors.js';
import { hashToken } from '../ids.js';
import { openDatabase, type Database } from '../store/driver.js';
import type { PrincipalRecord } from '../types.js';
import { ABSOLUTE_SECONDS, IDLE_SECONDS, LINK_MAX_SECONDS, newSecret, sessionAlive } from './sessions.js';
import { principalFromRow, type PrincipalRow } from '../store/sqlite.js';

/** How often a session's last-seen time is written: not on every page view. */
const TOUCH_EVERY_MS = 60_000;
/** Used and expired links are kept a day, so a late click says "expired", not "unknown". */
const LINK_KEEP_MS = 86_400_000;

export interface WebSession {
  readonly principal: PrincipalRecord;
  /** When this session's holder signed in (every sign-in starts a new session). */
  readonly createdMs: number;
}

export type LinkUse = { readonly ok: true; readonly principal: PrincipalRecord } | { readonly ok: false; readonly reason: 'unknown' | 'used' | 'expired' };

/**
 * Sessions and one-time sign-in links, in the approval service's SQLite file (tables from
 * migration 2, created by SqliteStore, which must be opened first). Its own connection: SQLite
 * serializes it with the store's writers. Secrets are looked up by hash, never compared.
 * A revoked principal's sessions stop at once: every lookup joins an active principal.
 */
export class WebStore {
  private readonly db: Database;
  private readonly sql: ReturnType<typeof prepare>;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.db.pragma('foreign_keys = ON');
    this.sql = prepare(this.db);
  }

  /** Starts a session for a principal that just proved who it is; returns the secret id (for the cookie only). */
  createSession(principalId: string, nowMs: number): string {
    const id = newSecret();
    this.db.transaction(() => {
      this.sql.purgeSessions.run(nowMs - IDLE_SECONDS * 1000, nowMs - ABSOLUTE_SECONDS * 1000);
      this.sql.insertSession.run(hashToken(id), principalId, nowMs, nowMs);
    }).immediate();
    return id;
  }

  /** The live session with this id, or undefined (unknown, idle too long, too old, principal revoked). */
  session(id: string, nowMs: number): WebSession | undefined {
    const hash = hashToken(id);
    const row = this.sql.session.get(hash) as (PrincipalRow & { created_ms: number; seen_ms: number }) | undefined;
    if (row === undefined || !sessionAlive({ createdMs: row.created_ms, seenMs: row.seen_ms }, nowMs)) return undefined;
    if (nowMs - row.seen_ms >= TOUCH_EVERY_MS) this.sql.touch.run(nowMs, hash);
    return { principal: principalFromRow(row), createdMs: row.created_ms };
  }

  endSession(id: string): void {
    this.sql.deleteSession.run(hashToken(id));
  }

  /** A one-time sign-in link for an active human principal (`gate token link`); returns its secret once. */
  createLink(name: string, ttlSeconds: number, nowMs: number): { token: string; principal: PrincipalRecord; expiresMs: number } {
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > LINK_MAX_SECONDS) {
      throw new GateError('USAGE', `--ttl: a sign-in link lives between 1s and ${LINK_MAX_SECONDS / 3600}h`);
    }
    const row = this.sql.activeByName.get(name) as PrincipalRow | undefined;
    if (row === undefined) throw new GateError('USAGE', `no active principal named ${name}`, { hint: 'gate token list shows them' });
    if (row.kind !== 'human') throw new GateError('USAGE', `${name} is a${row.kind === 'agent' ? 'n agent' : ' ci'} principal: only humans sign in to approve`);
    const token = newSecret();
    const expiresMs = nowMs + ttlSeconds * 1000;
    this.db.transaction(() => {
      this.sql.purgeLinks.run(nowMs - LINK_KEEP_MS);
      this.sql.insertLink.run(hashToken(token), row.id, new Date(nowMs).toISOString(), expiresMs);
    }).immediate();
    return { token, principal: principalFromRow(row), expiresMs };
  }

  /** Uses a link up, atomically: of two racing uses exactly one signs in. */
  consumeLink(token: string, nowMs: number): LinkUse {
    const hash = hashToken(token);
    return this.db.transaction((): LinkUse => {
      const link = this.sql.link.get(hash) as { principal_id: string; expires_ms: number; used_at: string | null } | undefined;
      if (link === undefined) return { ok: false, reason: 'unknown' };
      if (link.used_at !== null) return { ok: false, reason: 'used' };
      if (nowMs >= link.expires_ms) return { ok: false, reason: 'expired' };
      this.sql.useLink.run(new Date(nowMs).toISOString(), hash);
      const row = this.sql.activeById.get(link.principal_id) as PrincipalRow | undefined;
      // Revoked (or, defensively, not human) since the link was made: spent, and it signs nobody in.
      if (row === undefined || row.kind !== 'human') return { ok: false, reason: 'unknown' };
      return { ok: true, principal: principalFromRow(row) };
    }).immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function prepare(db: Database) {
  return {
    insertSession: db.prepare('INSERT INTO web_sessions (hash, principal_id, created_ms, seen_ms) VALUES (?, ?, ?, ?)'),
    session: db.prepare(
      `SELECT p.*, s.created_ms, s.seen_ms FROM web_sessions s JOIN principals p ON p.id = s.principal_id
       WHERE s.hash = ? AND p.revoked_at IS NULL`,
    ),
    touch: db.prepare('UPDATE web_sessions SET seen_ms = ? WHERE hash = ?'),
    deleteSession: db.prepare('DELETE FROM web_sessions WHERE hash = ?'),
    purgeSessions: db.prepare('DELETE FROM web_sessions WHERE seen_ms <= ? OR created_ms <= ?'),
    activeByName: db.prepare('SELECT * FROM principals WHERE name = ? AND revoked_at IS NULL'),
    activeById: db.prepare('SELECT * FROM principals WHERE id = ? AND revoked_at IS NULL'),
    insertLink: db.prepare('INSERT INTO signin_links (hash, principal_id, created_at, expires_ms) VALUES (?, ?, ?, ?)'),
    link: db.prepare('SELECT principal_id, expires_ms, used_at FROM signin_links WHERE hash = ?'),
    useLink: db.prepare('UPDATE signin_links SET used_at = ? WHERE hash = ?'),
    purgeLinks: db.prepare('DELETE FROM signin_links WHERE expires_ms <= ?'),
  };
}
