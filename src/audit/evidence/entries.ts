import { splitLine, splitLines } from '../log/line.js';
import { AUDIT_EVENTS, type AuditRecord } from '../log/record.js';

/** One readable line of a log, with what evidence needs to cite it. Not yet trusted: see verify.ts. */
export interface LogEntry {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly record: AuditRecord;
  /** The signed bytes (canonical JSON of the record), exactly as on disk. */
  readonly body: Buffer;
  /** The whole line with its LF. */
  readonly bytes: Buffer;
  /** Hex SHA-256 of the line with its LF (what the next record's `prev` holds). */
  readonly hash: string;
  /** base64 Ed25519 signature, as on disk. */
  readonly signature: string;
}

/**
 * The lines of a log that parse as records, in file order. Lines that do not (malformed, not JSON,
 * unknown event) are left out: the verification report names them, and showing or exporting
 * them as if they were records would present unreadable bytes as evidence.
 */
export function readEntries(bytes: Buffer): LogEntry[] {
  const out: LogEntry[] = [];
  splitLines(bytes).lines.forEach((line, index) => {
    const split = splitLine(line);
    if (!split.ok) return;
    let record: unknown;
    try {
      record = JSON.parse(split.raw.body.toString('utf8'));
    } catch {
      return;
    }
    if (!isRecord(record)) return;
    out.push({ line: index + 1, record, body: split.raw.body, bytes: line, hash: split.raw.hash, signature: split.raw.signature.toString('base64') });
  });
  return out;
}

function isRecord(value: unknown): value is AuditRecord {
  const r = value as Record<string, unknown> | null;
  return (
    typeof r === 'object' && r !== null && !Array.isArray(r) &&
    Number.isSafeInteger(r.seq) && typeof r.at === 'string' && Number.isFinite(Date.parse(r.at)) &&
    (AUDIT_EVENTS as readonly unknown[]).includes(r.event) && typeof r.data === 'object' && r.data !== null
  );
}
