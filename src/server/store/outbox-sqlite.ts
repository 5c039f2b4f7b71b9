import type { RequestStatus } from '../../approval/protocol.js';
import type { Database } from './driver.js';
import type { OpenRow, Outbox, OutboxRow, OutboxState, ReplyState } from './outbox.js';

/** The outbox in the server's SQLite database (migration 3); every write is its own durable commit. */
export class SqliteOutbox implements Outbox {
  private readonly sql: ReturnType<typeof prepare>;

  constructor(private readonly db: Database) {
    this.sql = prepare(db);
  }

  add(requestId: string, destination: string, targets: readonly string[], at: string): void {
    this.db.transaction(() => {
      for (const target of targets) this.sql.insert.run(requestId, destination, target, at);
    }).immediate();
  }

  due(nowMs: number, limit: number): OpenRow[] {
    return (this.sql.due.all(nowMs, limit) as (Row & { last_seq: number; status: RequestStatus })[]).map((r) => ({
      ...fromRow(r),
      last_seq: r.last_seq,
      status: r.status,
    }));
  }

  nextAttempt(nowMs: number): number | undefined {
    return (this.sql.nextAttempt.get(nowMs) as { next: number | null }).next ?? undefined;
  }

  save(row: OutboxRow): void {
    this.sql.save.run({
      state: row.state,
      ref: row.ref ?? null,
      rendered_seq: row.rendered_seq,
      reply: row.reply,
      attempts: row.attempts,
      next_attempt_ms: row.next_attempt_ms,
      posting_since_ms: row.posting_since_ms ?? null,
      last_error: row.last_error ?? null,
      done: row.done ? 1 : 0,
      request_id: row.request_id,
      destination: row.destination,
      target: row.target,
    });
  }

  rows(requestId: string): OutboxRow[] {
    return (this.sql.rows.all(requestId) as Row[]).map(fromRow);
  }
}

interface Row {
  request_id: string;
  destination: string;
  target: string;
  state: OutboxState;
  ref: string | null;
  rendered_seq: number;
  reply: ReplyState;
  attempts: number;
  next_attempt_ms: number;
  posting_since_ms: number | null;
  last_error: string | null;
  done: number;
}

const fromRow = (r: Row): OutboxRow => ({
  request_id: r.request_id,
  destination: r.destination,
  target: r.target,
  state: r.state,
  ...(r.ref !== null ? { ref: r.ref } : {}),
  rendered_seq: r.rendered_seq,
  reply: r.reply,
  attempts: r.attempts,
  next_attempt_ms: r.next_attempt_ms,
  ...(r.posting_since_ms !== null ? { posting_since_ms: r.posting_since_ms } : {}),
  ...(r.last_error !== null ? { last_error: r.last_error } : {}),
  done: r.done !== 0,
});

const COLUMNS = 'o.request_id, o.destination, o.target, o.state, o.ref, o.rendered_seq, o.reply, o.attempts, o.next_attempt_ms, o.posting_since_ms, o.last_error, o.done';

function prepare(db: Database) {
  return {
    insert: db.prepare(`INSERT OR IGNORE INTO notify_outbox (request_id, destination, target, state, created_at) VALUES (?, ?, ?, 'new', ?)`),
    // Work exists when the row is not posted yet, shows an older seq than the request's last,
    // owes the outcome reply, or can be closed because its request is final.
    due: db.prepare(
      `SELECT ${COLUMNS}, r.last_seq AS last_seq, r.status AS status
       FROM notify_outbox o JOIN requests r ON r.id = o.request_id
       WHERE o.done = 0 AND o.next_attempt_ms <= ? AND (
         o.state IN ('new', 'posting')
         OR o.rendered_seq < r.last_seq
         OR (r.status <> 'pending' AND o.reply IN ('none', 'posting'))
         OR r.status IN ('denied', 'expired', 'cancelled', 'executed'))
       ORDER BY o.next_attempt_ms, o.created_at
       LIMIT ?`,
    ),
    nextAttempt: db.prepare('SELECT MIN(next_attempt_ms) AS next FROM notify_outbox WHERE done = 0 AND next_attempt_ms > ?'),
    save: db.prepare(
      `UPDATE notify_outbox SET state = @state, ref = @ref, rendered_seq = @rendered_seq, reply = @reply, attempts = @attempts,
         next_attempt_ms = @next_attempt_ms, posting_since_ms = @posting_since_ms, last_error = @last_error, done = @done
       WHERE request_id = @request_id AND destination = @destination AND target = @target`,
    ),
    rows: db.prepare(`SELECT ${COLUMNS} FROM notify_outbox o WHERE o.request_id = ? ORDER BY o.destination, o.created_at, o.target`),
  };
}
