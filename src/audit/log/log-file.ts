import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SigningKey } from '../../crypto/signing-key.js';
import { GateError } from '../../errors.js';
import { encodeRecord, LF, signatureValid, splitLine } from './line.js';
import type { AuditEvent, AuditRecord, EventData, LogHead } from './record.js';
import { lockExclusive, unlock } from './lock.js';
import type { LogHeadWire } from '../../approval/protocol.js';
import { signHead } from '../anchor/head-signature.js';

export interface AuditLogOptions {
  readonly path: string;
  readonly key: SigningKey;
  readonly host: string;
  readonly gateVersion: string;
  /** How long to wait for other gate processes appending to the same log. */
  readonly lockTimeoutMs?: number;
  readonly now?: () => Date;
}

export interface Appended {
  readonly record: AuditRecord;
  readonly head: LogHead;
}

/**
 * A host's append-only audit log file. Each append, under an exclusive flock: read the head (the
 * last complete line, whose signature must verify with our key), keep any partial line a crash
 * left (as a log.recovered record), write the new signed line in one write, fsync. When append
 * returns, the record is on disk; when it throws, the caller must not run the command.
 */
export class AuditLogFile {
  constructor(private readonly options: AuditLogOptions) {}

  get path(): string {
    return this.options.path;
  }

  /** The log's name: the key id of the key that signs it. */
  get logId(): string {
    return this.options.key.keyId;
  }

  /** `head` as this log's key holder states it to the approval service (anchoring). */
  signedHead(head: LogHead): LogHeadWire {
    return signHead(head, this.options.key, (this.options.now ?? (() => new Date()))());
  }

  append<E extends AuditEvent>(event: E, data: EventData<E>): Appended {
    const { path, key } = this.options;
    const now = this.options.now ?? (() => new Date());
    let fd: number;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      fd = openSync(path, 'a+', 0o600);
    } catch (error) {
      throw unwritable(path, error);
    }
    try {
      lockExclusive(fd, path, this.options.lockTimeoutMs ?? 10_000);
      try {
        const tail = readTail(fd, path, key);
        const chunks: Buffer[] = [];
        let head = tail.head;
        if (head === undefined) {
          const opened = encodeRecord(undefined, key.keyId, 'log.opened', { host: this.options.host, public_key: key.spki, gate_version: this.options.gateVersion }, now(), key.privateKey);
          chunks.push(opened.line);
          head = opened.head;
        }
        if (tail.partial !== undefined) {
          // A crash mid-write left bytes without a newline: cut them off the chain, keep them in a record.
          ftruncateSync(fd, tail.completeBytes);
          const recovered = encodeRecord(head, key.keyId, 'log.recovered', { partial_base64: tail.partial.toString('base64'), partial_bytes: tail.partial.length }, now(), key.privateKey);
          chunks.push(recovered.line);
          head = recovered.head;
        }
        const written = encodeRecord(head, key.keyId, event, data, now(), key.privateKey);
        chunks.push(written.line);
        writeAll(fd, Buffer.concat(chunks));
        fsyncSync(fd);
        if (tail.head === undefined) fsyncDir(dirname(path));
        return { record: written.record, head: written.head };
      } finally {
        unlock(fd);
      }
    } catch (error) {
      if (error instanceof GateError) throw error;
      throw unwritable(path, error);
    } finally {
      closeSync(fd);
    }
  }

  /** The head as it is now (no lock: a reader may see the state just before a concurrent append). */
  head(): LogHead | undefined {
    let fd: number;
    try {
      fd = openSync(this.options.path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw unwritable(this.options.path, error);
    }
    try {
      return readTail(fd, this.options.path, this.options.key).head;
    } finally {
      closeSync(fd);
    }
  }
}

interface Tail {
  readonly head: LogHead | undefined;
  /** Bytes after the last LF (an interrupted write). */
  readonly partial: Buffer | undefined;
  /** File length up to and including the last LF. */
  readonly completeBytes: number;
}

const CHUNK = 64 * 1024;

/** Reads backwards from the end to the last complete line, and checks it is ours and intact. */
function readTail(fd: number, path: string, key: SigningKey): Tail {
  const size = fstatSync(fd).size;
  if (size === 0) return { head: undefined, partial: undefined, completeBytes: 0 };
  let buffer = Buffer.alloc(0);
  let start = size;
  let lastLf = -1;
  let prevLf = -1;
  // Grow the window backwards until it holds the last LF and the LF (or file start) before it.
  while (start > 0) {
    const from = Math.max(0, start - CHUNK);
    const chunk = Buffer.alloc(start - from);
    readSync(fd, chunk, 0, chunk.length, from);
    buffer = Buffer.concat([chunk, buffer]);
    start = from;
    lastLf = buffer.lastIndexOf(LF);
    if (lastLf !== -1) {
      prevLf = lastLf === 0 ? -1 : buffer.lastIndexOf(LF, lastLf - 1);
      if (prevLf !== -1) break;
    }
  }
  const partialStart = lastLf + 1;
  const partial = partialStart < buffer.length ? buffer.subarray(partialStart) : undefined;
  if (lastLf === -1) return { head: undefined, partial, completeBytes: start };
  const line = buffer.subarray(prevLf + 1, lastLf + 1);
  const split = splitLine(line);
  let record: AuditRecord | undefined;
  if (split.ok) {
    try {
      record = JSON.parse(split.raw.body.toString('utf8')) as AuditRecord;
    } catch {
      record = undefined;
    }
  }
  if (!split.ok || record === undefined || !Number.isSafeInteger(record.seq)) {
    throw damaged(path, 'its last line is not a readable record');
  }
  if (record.log !== key.keyId) throw damaged(path, `its last record belongs to log ${record.log}, signed by another key than this host's (${key.keyId})`);
  if (!signatureValid(split.raw, key.publicKey)) throw damaged(path, `its last record (${record.seq}) does not carry a valid signature of this host's key`);
  return { head: { seq: record.seq, hash: split.raw.hash }, partial, completeBytes: start + lastLf + 1 };
}

function writeAll(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the file itself was synced.
  }
}

const unwritable = (path: string, cause: unknown): GateError =>
  new GateError('CONFIG_INVALID', `cannot write the audit log ${path}: ${(cause as Error).message}`, {
    hint: 'fix its permissions or free disk space, or point GATE_AUDIT_LOG (or `gate config set auditLog`) at a writable file',
    cause,
  });

const damaged = (path: string, why: string): GateError =>
  new GateError('CONFIG_INVALID', `the audit log ${path} cannot be extended: ${why}`, {
    hint: `run \`gate audit verify --log ${path}\` to see what happened; keep the file as evidence (move it aside to start a new log)`,
  });
