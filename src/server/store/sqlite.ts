import { closeSync, existsSync, openSync } from 'node:fs';
import type { Transaction } from 'better-sqlite3';
import type { ApprovalRecord, PrincipalKind, Question, RequestStatus } from '../../approval/protocol.js';
import type { JsonValue } from '../../json.js';
import type { SigningKey } from '../../crypto/signing-key.js';
import { SqliteAudit } from '../audit-sqlite.js';
import { newPrincipalId, newTokenId } from '../ids.js';
import type { PrincipalRecord, RequestRecord } from '../types.js';
import { openDatabase, type Database } from './driver.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteOutbox } from './outbox-sqlite.js';
import { SqliteSeenOnce } from './seen-sqlite.js';
import { StoreError, type NewPrincipal, type RenderedTransition, type Store, type StoredEvent } from './store.js';

/**
 * The SQLite store. better-sqlite3 is synchronous, which suits a state machine: a transaction is
 * one uninterrupted stretch of JS, so no other request handler can interleave with it in this
 * process, and BEGIN IMMEDIATE serializes it against other processes on the same file.
 * WAL lets readers (and `gate token list`) run while the server writes; synchronous=FULL makes
 * every commit durable before we answer, so `kill -9` or a power cut loses no decision.
 */
export class SqliteStore implements Store {
  readonly outbox: SqliteOutbox;
  readonly seen: SqliteSeenOnce;
  readonly audit: SqliteAudit;
  private readonly db: Database;
  private readonly sql: ReturnType<typeof prepare>;
  private readonly transactFn: Transaction<(id: string, change: Change) => TransactResult | undefined>;

  /** `auditKey`: the server key, which signs the service's own log; without it no log is kept (tests, read-only tools). */
  constructor(
    readonly file: string,
    options: { readonly auditKey?: SigningKey } = {},
  ) {
    // Token hashes and commands live here: create the file owner-only before SQLite opens it
    // (SQLite gives the -wal and -shm files the same permissions).
    if (file !== ':memory:' && !existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    this.db = openDatabase(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    this.sql = prepare(this.db);
    this.outbox = new SqliteOutbox(this.db);
    this.seen = new SqliteSeenOnce(this.db);
    try {
      this.audit = new SqliteAudit(this.db, options.auditKey);
    } catch (error) {
      this.db.close();
      throw error;
    }
    this.transactFn = this.db.transaction((id: string, change: Change): TransactResult | undefined => {
      const current = this.read(id);
      if (current === undefined) return undefined;
      const transition = change(current);
      if (transition === undefined) return { record: current, events: [] };
      const events = this.write(current, transition);
      return { record: transition.next, events };
    });
  }

  addPrincipal(input: NewPrincipal, at: string): PrincipalRecord {
    const record: PrincipalRecord = { id: newPrincipalId(), name: input.name, kind: input.kind, groups: [...input.groups], created_at: at };
    try {
      this.db.transaction(() => {
        this.sql.insertPrincipal.run(record.id, record.name, record.kind, JSON.stringify(record.groups), at);
        this.sql.insertToken.run(newTokenId(), record.id, input.tokenHash, at);
        this.audit.append('service.principal', { action: 'created', id: record.id, name: record.name, kind: record.kind, groups: record.groups }, at);
      }).immediate();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String((error as Error).message).includes('principals.name')) {
        throw new StoreError('name_taken', `a principal named ${input.name} already exists (revoke it first to reissue)`);
      }
      throw error;
    }
    return record;
  }

  principalByTokenHash(hash: string): PrincipalRecord | undefined {
    const row = this.sql.principalByTokenHash.get(hash) as PrincipalRow | undefined;
    return row === undefined ? undefined : principalFromRow(row);
  }

  principalByName(name: string): PrincipalRecord | undefined {
    const row = this.sql.principalByName.get(name) as PrincipalRow | undefined;
    return row === undefined ? undefined : principalFromRow(row);
  }

  listPrincipals(): PrincipalRecord[] {
    return (this.sql.listPrincipals.all() as PrincipalRow[]).map(principalFromRow);
  }

  revokePrincipal(nameOrId: string, at: string): PrincipalRecord | undefined {
    return this.db.transaction(() => {
      const row = this.sql.findActivePrincipal.get(nameOrId, nameOrId, nameOrId) as PrincipalRow | undefined;
      if (row === undefined) return undefined;
      this.sql.revokePrincipal.run(at, row.id);
      this.sql.revokeTokens.run(at, row.id);
      this.audit.append('service.principal', { action: 'revoked', id: row.id, name: row.name, kind: row.kind, groups: JSON.parse(row.groups) as string[] }, at);
      return { ...principalFromRow(row), revoked_at: at };
    }).immediate();
  }

  insertRequest(t: RenderedTransition): StoredEvent[] {
    return this.db.transaction(() => {
      const r = t.next;
      this.sql.insertRequest.run({
        id: r.id,
        status: r.status,
        requester_id: r.requester_id,
        requester: JSON.stringify(r.requester),
        created_at: r.created_at,
        expires_at: r.expires_at,
        expires_ms: Date.parse(r.expires_at),
        decided_at: r.decided_at ?? null,
        command: JSON.stringify(r.command),
        command_digest: r.command_digest,
        context: JSON.stringify(r.context),
        requirement: JSON.stringify(r.requirement),
        rules: JSON.stringify(r.rules),
        client_decision: JSON.stringify(r.client_decision),
        policy_digest: r.policy_digest,
        denial: json(r.denial),
        receipt: json(r.receipt),
        outcome: json(r.outcome),
      });
      const empty: RequestRecord = { ...r, approvals: [], questions: [] };
      return this.write(empty, t, 0);
    }).immediate();
  }

  getRequest(id: string): RequestRecord | undefined {
    return this.read(id);
  }

  listRequests(query: { readonly status?: RequestStatus; readonly limit: number }): RequestRecord[] {
    const rows = this.sql.listRequests.all(query.status ?? null, query.status ?? null, query.limit) as RequestRow[];
    return rows.map((row) => this.hydrate(row));
  }

  transact(id: string, change: Change): TransactResult | undefined {
    // IMMEDIATE takes the write lock before reading, so the state `change` sees is the state it replaces.
    return this.transactFn.immediate(id, change);
  }

  eventsAfter(id: string, afterSeq: number): StoredEvent[] {
    return this.sql.eventsAfter.all(id, afterSeq) as StoredEvent[];
  }

  duePending(nowMs: number): string[] {
    const pending = (this.sql.duePending.all(nowMs) as { id: string }[]).map((r) => r.id);
    // ISO 8601 UTC with milliseconds sorts as it compares (see clock.ts), so SQLite compares text.
    const approved = (this.sql.dueApproved.all(new Date(nowMs).toISOString()) as { id: string }[]).map((r) => r.id);
    return [...pending, ...approved];
  }

  nextExpiry(): number | undefined {
    const row = this.sql.nextExpiry.get() as { next: number | null };
    const receipt = this.sql.nextReceiptExpiry.get() as { next: string | null };
    // A receipt is claimable up to and including not_after: it expires 1 ms later.
    const receiptMs = receipt.next === null ? undefined : Date.parse(receipt.next) + 1;
    const candidates = [row.next ?? undefined, receiptMs].filter((x): x is number => x !== undefined && Number.isFinite(x));
    return candidates.length === 0 ? undefined : Math.min(...candidates);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private read(id: string): RequestRecord | undefined {
    const row = this.sql.getRequest.get(id) as RequestRow | undefined;
    return row === undefined ? undefined : this.hydrate(row);
  }

  private hydrate(row: RequestRow): RequestRecord {
    const approvals = (this.sql.votes.all(row.id) as VoteRow[]).map(
      (v): ApprovalRecord => ({
        approver: v.approver,
        kind: v.kind,
        groups: JSON.parse(v.groups) as string[],
        channel: v.channel,
        at: v.at,
        ...(v.comment !== null ? { comment: v.comment } : {}),
      }),
    );
    const questions = (this.sql.questions.all(row.id) as QuestionRow[]).map(
      (q): Question => ({
        id: q.id,
        by: q.asked_by,
        question: q.question,
        at: q.at,
        ...(q.answer !== null ? { answer: q.answer } : {}),
        ...(q.answered_at !== null ? { answered_at: q.answered_at } : {}),
      }),
    );
    return {
      id: row.id,
      status: row.status,
      created_at: row.created_at,
      expires_at: row.expires_at,
      ...(row.decided_at !== null ? { decided_at: row.decided_at } : {}),
      requester_id: row.requester_id,
      requester: JSON.parse(row.requester),
      command: JSON.parse(row.command),
      command_digest: row.command_digest,
      context: JSON.parse(row.context),
      requirement: JSON.parse(row.requirement),
      rules: JSON.parse(row.rules),
      client_decision: JSON.parse(row.client_decision),
      policy_digest: row.policy_digest,
      approvals,
      ...(row.denial !== null ? { denial: JSON.parse(row.denial) } : {}),
      questions,
      ...(row.receipt !== null ? { receipt: JSON.parse(row.receipt) } : {}),
      ...(row.outcome !== null ? { outcome: JSON.parse(row.outcome) } : {}),
    };
  }

  /** Writes what changed from `prev` to `t.next` (votes and questions only ever grow) and the events. */
  private write(prev: RequestRecord, t: RenderedTransition, lastSeq?: number): StoredEvent[] {
    const r = t.next;
    let seq = lastSeq ?? (this.sql.lastSeq.get(r.id) as { last_seq: number }).last_seq;
    r.approvals.slice(prev.approvals.length).forEach((a, i) => {
      this.sql.insertVote.run(r.id, a.approver, prev.approvals.length + i, a.kind, JSON.stringify(a.groups), a.channel, a.at, a.comment ?? null);
    });
    r.questions.forEach((q, i) => {
      const before = prev.questions[i];
      if (before === undefined) this.sql.insertQuestion.run(q.id, r.id, i, q.by, q.question, q.at, q.answer ?? null, q.answered_at ?? null);
      else if (before.answer !== q.answer) this.sql.answerQuestion.run(q.answer ?? null, q.answered_at ?? null, q.id);
    });
    const events = t.events.map((type): StoredEvent => {
      seq += 1;
      const data = JSON.stringify({ seq, type, at: t.at, request: t.snapshot });
      this.sql.insertEvent.run(r.id, seq, type, t.at, data);
      this.audit.append('service.event', { request_id: r.id, type, event_seq: seq, request: t.snapshot as unknown as JsonValue }, t.at);
      return { request_id: r.id, seq, type, at: t.at, data };
    });
    this.sql.updateRequest.run(r.status, r.decided_at ?? null, json(r.denial), json(r.receipt), json(r.outcome), seq, r.id);
    return events;
  }
}

type Change = (current: RequestRecord) => RenderedTransition | undefined;
type TransactResult = { record: RequestRecord; events: StoredEvent[] };

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  db.transaction(() => {
    const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    const current = row?.version ?? 0;
    if (row === undefined) db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
    if (current > MIGRATIONS.length) {
      throw new StoreError('schema_too_new', `the database schema is version ${current}, newer than this gate understands (${MIGRATIONS.length}); upgrade gate`);
    }
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length);
  }).immediate();
}

function prepare(db: Database) {
  return {
    insertPrincipal: db.prepare('INSERT INTO principals (id, name, kind, groups, created_at) VALUES (?, ?, ?, ?, ?)'),
    insertToken: db.prepare('INSERT INTO tokens (id, principal_id, hash, created_at) VALUES (?, ?, ?, ?)'),
    principalByTokenHash: db.prepare(
      `SELECT p.* FROM tokens t JOIN principals p ON p.id = t.principal_id
       WHERE t.hash = ? AND t.revoked_at IS NULL AND p.revoked_at IS NULL`,
    ),
    listPrincipals: db.prepare('SELECT * FROM principals ORDER BY created_at, name'),
    principalByName: db.prepare('SELECT * FROM principals WHERE name = ? AND revoked_at IS NULL'),
    findActivePrincipal: db.prepare(
      `SELECT * FROM principals WHERE revoked_at IS NULL
       AND (name = ? OR id = ? OR id = (SELECT principal_id FROM tokens WHERE id = ?))`,
    ),
    revokePrincipal: db.prepare('UPDATE principals SET revoked_at = ? WHERE id = ?'),
    revokeTokens: db.prepare('UPDATE tokens SET revoked_at = ? WHERE principal_id = ? AND revoked_at IS NULL'),
    insertRequest: db.prepare(
      `INSERT INTO requests (id, status, requester_id, requester, created_at, expires_at, expires_ms, decided_at, command,
         command_digest, context, requirement, rules, client_decision, policy_digest, denial, receipt, outcome)
       VALUES (@id, @status, @requester_id, @requester, @created_at, @expires_at, @expires_ms, @decided_at, @command,
         @command_digest, @context, @requirement, @rules, @client_decision, @policy_digest, @denial, @receipt, @outcome)`,
    ),
    getRequest: db.prepare('SELECT * FROM requests WHERE id = ?'),
    listRequests: db.prepare('SELECT * FROM requests WHERE (? IS NULL OR status = ?) ORDER BY created_at DESC, id DESC LIMIT ?'),
    updateRequest: db.prepare('UPDATE requests SET status = ?, decided_at = ?, denial = ?, receipt = ?, outcome = ?, last_seq = ? WHERE id = ?'),
    lastSeq: db.prepare('SELECT last_seq FROM requests WHERE id = ?'),
    votes: db.prepare('SELECT * FROM votes WHERE request_id = ? ORDER BY ordinal'),
    insertVote: db.prepare('INSERT INTO votes (request_id, approver, ordinal, kind, groups, channel, at, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    questions: db.prepare('SELECT * FROM questions WHERE request_id = ? ORDER BY ordinal'),
    insertQuestion: db.prepare(
      'INSERT INTO questions (id, request_id, ordinal, asked_by, question, at, answer, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    answerQuestion: db.prepare('UPDATE questions SET answer = ?, answered_at = ? WHERE id = ?'),
    insertEvent: db.prepare('INSERT INTO events (request_id, seq, type, at, data) VALUES (?, ?, ?, ?, ?)'),
    eventsAfter: db.prepare('SELECT request_id, seq, type, at, data FROM events WHERE request_id = ? AND seq > ? ORDER BY seq'),
    duePending: db.prepare("SELECT id FROM requests WHERE status = 'pending' AND expires_ms <= ? ORDER BY expires_ms"),
    nextExpiry: db.prepare("SELECT MIN(expires_ms) AS next FROM requests WHERE status = 'pending'"),
    // Approved requests are few and short-lived (claimed within seconds): no index needed.
    dueApproved: db.prepare("SELECT id FROM requests WHERE status = 'approved' AND json_extract(receipt, '$.payload.not_after') < ? ORDER BY created_at"),
    nextReceiptExpiry: db.prepare("SELECT MIN(json_extract(receipt, '$.payload.not_after')) AS next FROM requests WHERE status = 'approved'"),
  };
}

/** A principals row as selected with `SELECT *`; shared with the web page's session store. */
export interface PrincipalRow {
  id: string;
  name: string;
  kind: PrincipalKind;
  groups: string;
  created_at: string;
  revoked_at?: string | null;
}

export const principalFromRow = (row: PrincipalRow): PrincipalRecord => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  groups: JSON.parse(row.groups) as string[],
  created_at: row.created_at,
  ...(row.revoked_at !== null && row.revoked_at !== undefined ? { revoked_at: row.revoked_at } : {}),
});

interface RequestRow {
  id: string;
  status: RequestStatus;
  requester_id: string;
  requester: string;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  command: string;
  command_digest: string;
  context: string;
  requirement: string;
  rules: string;
  client_decision: string;
  policy_digest: string;
  denial: string | null;
  receipt: string | null;
  outcome: string | null;
}

interface VoteRow {
  approver: string;
  kind: PrincipalKind;
  groups: string;
  channel: string;
  at: string;
  comment: string | null;
}

interface QuestionRow {
  id: string;
  asked_by: string;
  question: string;
  at: string;
  answer: string | null;
  answered_at: string | null;
}

