import { hostname } from 'node:os';
import type { HostLogs, SignedCheckpoint } from '../approval/protocol.js';
import { encodeRecord } from '../audit/log/line.js';
import type { AuditEvent, EventData, LogHead } from '../audit/log/record.js';
import { gateVersion } from '../config/version.js';
import type { SigningKey } from '../crypto/signing-key.js';
import { GateError } from '../errors.js';
import { describeConflict, judgeHead, type AnchoredHead } from './audit-heads.js';
import type { Anchored, AuditStore, HeadInput, ServiceLogPage } from './audit-store.js';
import type { Database } from './store/driver.js';
import { StoreError } from './store/store.js';

/**
 * The audit tables of the server's SQLite database: `audit_heads` (one row per received head, with
 * the exact checkpoint it was answered with) and `service_log` (one row per line of the service's
 * own log, the same line format as a host log, signed with the server key).
 */
export class SqliteAudit implements AuditStore {
  readonly logId: string | undefined;
  private readonly sql: ReturnType<typeof prepare>;

  constructor(
    private readonly db: Database,
    private readonly key: SigningKey | undefined,
  ) {
    this.sql = prepare(db);
    this.logId = key?.keyId;
    if (key !== undefined) {
      const other = this.sql.any.get() as { log: string } | undefined;
      // One database, one service log: another key here means the wrong GATE_HOME (gate token with
      // another key) or a lost key; either way, writing on would split the evidence silently.
      if (other !== undefined && this.sql.head.get(key.keyId) === undefined) {
        throw new GateError('CONFIG_INVALID', `the service's audit log in this database is signed by key ${other.log}, not by this server key ${key.keyId}`, {
          hint: 'run gate with the GATE_HOME of the server that owns the database (its server/server-key.pem), or restore that key file',
        });
      }
    }
  }

  /**
   * Appends a record to the service log. Runs inside the caller's transaction, so the record and
   * the change it describes commit together or not at all.
   */
  append<E extends AuditEvent>(event: E, data: EventData<E>, at: string): void {
    const key = this.key;
    if (key === undefined) {
      // Tests and read-only tools open the store without the key; they must not leave holes in a log.
      if (this.sql.any.get() !== undefined) throw new StoreError('audit_key_required', 'this database keeps a signed service log; open it with the server key to change it');
      return;
    }
    let date = new Date(at);
    if (!Number.isFinite(date.getTime())) date = new Date();
    let head = this.sql.head.get(key.keyId) as LogHead | undefined;
    if (head === undefined) {
      const opened = encodeRecord(undefined, key.keyId, 'log.opened', { host: hostname(), public_key: key.spki, gate_version: gateVersion() }, date, key.privateKey);
      this.sql.insertLine.run(key.keyId, 0, opened.head.hash, opened.line);
      head = opened.head;
    }
    const written = encodeRecord(head, key.keyId, event, data, date, key.privateKey);
    this.sql.insertLine.run(key.keyId, written.head.seq, written.head.hash, written.line);
  }

  anchor(head: HeadInput, sign: Parameters<AuditStore['anchor']>[1]): Anchored {
    return this.db.transaction((): Anchored => {
      const verdict = judgeHead(
        head,
        {
          ...optional('highest', this.row(this.sql.highest.get(head.log_id))),
          ...optional('atSeq', this.row(this.sql.atSeq.get(head.log_id, head.seq))),
          ...optional('same', this.row(this.sql.same.get(head.log_id, head.seq, head.hash))),
        },
        Date.parse(head.received_at),
      );
      if (verdict.kind === 'repeat') return { checkpoint: verdict.checkpoint, stored: false };
      const { conflict } = verdict;
      const checkpoint = sign({
        type: 'gate.audit.checkpoint',
        v: 1,
        log_id: head.log_id,
        host: head.host,
        seq: head.seq,
        hash: head.hash,
        by: head.principal.name,
        received_at: head.received_at,
        ...(conflict !== undefined ? { conflict } : {}),
      });
      this.sql.insertHead.run({
        log_id: head.log_id,
        seq: head.seq,
        hash: head.hash,
        host: head.host,
        principal_id: head.principal.id,
        principal_name: head.principal.name,
        received_at: head.received_at,
        conflict: conflict?.kind ?? null,
        payload: JSON.stringify(checkpoint.payload),
        signature: checkpoint.signature,
      });
      this.append(
        'service.head',
        {
          log_id: head.log_id,
          host: head.host,
          seq: head.seq,
          hash: head.hash,
          by: head.principal.name,
          ...(conflict !== undefined ? { conflict: describeConflict(head, conflict) } : {}),
        },
        head.received_at,
      );
      return { checkpoint, stored: true };
    }).immediate();
  }

  checkpoints(logId: string, after: number, limit: number): { checkpoints: SignedCheckpoint[]; next?: number } {
    const rows = this.sql.checkpoints.all(logId, after, limit + 1) as (CheckpointRow & { id: number })[];
    const page = rows.slice(0, limit);
    return { checkpoints: page.map(toCheckpoint), ...(rows.length > limit ? { next: page.at(-1)!.id } : {}) };
  }

  hostLogs(host: string): HostLogs['logs'] {
    return (this.sql.hostLogs.all(host) as { log_id: string; first: string; n: number }[]).map((r) => ({
      log_id: r.log_id,
      first_received_at: r.first,
      checkpoints: r.n,
      latest: toCheckpoint(this.sql.highest.get(r.log_id) as CheckpointRow),
    }));
  }

  lines(afterSeq: number, limit: number): ServiceLogPage {
    if (this.key === undefined) return { lines: [], headSeq: -1 };
    // One read transaction: the page and the head come from the same snapshot.
    return this.db.transaction((): ServiceLogPage => {
      const lines: Buffer[] = [];
      let bytes = 0;
      let lastSeq: number | undefined;
      for (const row of this.sql.lines.iterate(this.key!.keyId, afterSeq, limit) as Iterable<{ seq: number; line: Buffer }>) {
        // Pages stay well under a client's reply cap even when snapshots are large; at least one line.
        if (lines.length > 0 && bytes + row.line.length > PAGE_MAX_BYTES) break;
        lines.push(row.line);
        bytes += row.line.length;
        lastSeq = row.seq;
      }
      const head = this.sql.head.get(this.key!.keyId) as LogHead | undefined;
      return { lines, ...(lastSeq !== undefined ? { lastSeq } : {}), headSeq: head?.seq ?? -1 };
    })();
  }

  private row(row: unknown): AnchoredHead | undefined {
    if (row === undefined) return undefined;
    const r = row as CheckpointRow;
    return { seq: r.seq, hash: r.hash, received_at: r.received_at, checkpoint: toCheckpoint(r) };
  }
}

/** A page of the service log holds at most this many bytes (and at least one line). */
export const PAGE_MAX_BYTES = 2 * 1024 * 1024;

interface CheckpointRow {
  seq: number;
  hash: string;
  received_at: string;
  payload: string;
  signature: string;
}

const toCheckpoint = (r: CheckpointRow): SignedCheckpoint => ({ payload: JSON.parse(r.payload) as SignedCheckpoint['payload'], signature: r.signature });

const optional = <K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [name]: value } as { [P in K]?: V }));

function prepare(db: Database) {
  const columns = 'seq, hash, received_at, payload, signature';
  return {
    any: db.prepare('SELECT log FROM service_log LIMIT 1'),
    head: db.prepare('SELECT seq, hash FROM service_log WHERE log = ? ORDER BY seq DESC LIMIT 1'),
    insertLine: db.prepare('INSERT INTO service_log (log, seq, hash, line) VALUES (?, ?, ?, ?)'),
    lines: db.prepare('SELECT seq, line FROM service_log WHERE log = ? AND seq > ? ORDER BY seq LIMIT ?'),
    highest: db.prepare(`SELECT ${columns} FROM audit_heads WHERE log_id = ? ORDER BY seq DESC, id DESC LIMIT 1`),
    atSeq: db.prepare(`SELECT ${columns} FROM audit_heads WHERE log_id = ? AND seq = ? ORDER BY id LIMIT 1`),
    same: db.prepare(`SELECT ${columns} FROM audit_heads WHERE log_id = ? AND seq = ? AND hash = ? ORDER BY id LIMIT 1`),
    insertHead: db.prepare(
      `INSERT INTO audit_heads (log_id, seq, hash, host, principal_id, principal_name, received_at, conflict, payload, signature)
       VALUES (@log_id, @seq, @hash, @host, @principal_id, @principal_name, @received_at, @conflict, @payload, @signature)`,
    ),
    checkpoints: db.prepare('SELECT id, payload, signature FROM audit_heads WHERE log_id = ? AND id > ? ORDER BY id LIMIT ?'),
    hostLogs: db.prepare('SELECT log_id, MIN(received_at) AS first, COUNT(*) AS n FROM audit_heads WHERE host = ? GROUP BY log_id ORDER BY first'),
  };
}
